// A request's logger is made at its first line (lazy-child-logger.ts): a request that logs
// nothing makes no pino child, and a line still carries the request's id.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { createLogger } from './logger.js';
import { lazyChildLogger } from './lazy-child-logger.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function lineCollector() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('a request logger made at its first line', () => {
  it('makes no child for a request that logs nothing, and one whose lines carry reqId', async () => {
    const { lines, stream } = lineCollector();
    const input = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'info' },
      deployments: [
        simDeployment('ok'),
        simDeployment('down', { simulation: { failure: { kind: '500' } } }),
      ],
      routers: [{ name: 'model-router', modelSubset: ['ok'] }],
    });
    const runtime = await createRuntime(parseConfig(input, {}).config, { logStream: stream });
    cleanups.push(() => runtime.close());
    const child = vi.spyOn(runtime.app.log, 'child');
    const ask = (model: string, id: string) =>
      runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'x-request-id': id },
        payload: { model, messages: [{ role: 'user', content: 'hi' }] },
      });

    expect((await ask('ok', 'req-quiet-1')).statusCode).toBe(200);
    expect((await ask('ok', 'req-quiet-2')).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();

    // Every deployment failed: a 5xx, which the error handler logs on the request's logger.
    expect((await ask('down', 'req-loud-1')).statusCode).toBeGreaterThanOrEqual(500);
    expect(child).toHaveBeenCalledTimes(1);
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((l) => l.reqId === 'req-loud-1')).toBe(true);
  });

  it('writes each level through one child with its bindings, and drops disabled levels unmade', () => {
    const { lines, stream } = lineCollector();
    const parent = createLogger({ level: 'info', stream });
    const child = vi.spyOn(parent, 'child');
    const log = lazyChildLogger(parent, { reqId: 'r1' }, {});
    log.debug('dropped');
    expect(child).not.toHaveBeenCalled();
    expect(log.level).toBe('info');
    log.info({ a: 1 }, 'one');
    log.warn('two %s', 'x');
    expect(child).toHaveBeenCalledTimes(1);
    // (pino's child inherits the spied `child`: the grandchild is the second call.)
    log.child({ sub: true }).error('three');
    expect(lines.map((l) => [l.reqId, l.msg, l.level])).toEqual([
      ['r1', 'one', 30],
      ['r1', 'two x', 40],
      ['r1', 'three', 50],
    ]);
    expect(lines[0]!.a).toBe(1);
    expect(lines[2]!.sub).toBe(true);
    // A level given to the child (a route's logLevel) is the child's, made at once when written.
    const chatty = lazyChildLogger(parent, { reqId: 'r2' }, { level: 'debug' });
    expect(chatty.level).toBe('debug');
    chatty.debug('kept');
    expect(lines.at(-1)).toMatchObject({ reqId: 'r2', msg: 'kept', level: 20 });
  });
});
