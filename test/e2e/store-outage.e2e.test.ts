// With the request log's PostgreSQL out of reach, the routes of stored objects (responses,
// conversations, stored chat completions, files, batches) answer 503 request_log_unavailable saying
// so, as usage and feedback do, instead of a 500 internal_error with a stack trace a request. The
// outage is a real one: the database's address has nothing listening.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';

let rt: Runtime;
const logged: string[] = [];
beforeAll(async () => {
  const input = testConfigInput({
    server: { host: '127.0.0.1', port: 0, logLevel: 'warn' },
    requestLog: {
      kind: 'postgres',
      postgresUrl: 'postgres://postgres@127.0.0.1:1/test',
      postgresSchema: 'outage',
    },
  });
  rt = await createRuntime(parseConfig(input, {}).config, {
    logStream: new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    }),
  });
}, 30_000);
afterAll(async () => {
  await rt?.close();
});

describe('the request log database out of reach', () => {
  it('stored-object routes answer 503 request_log_unavailable, naming the cause', async () => {
    const calls: [string, string, object?][] = [
      ['GET', '/v1/responses/resp_abc'],
      ['POST', '/v1/conversations', {}],
      ['GET', '/v1/chat/completions'],
      ['GET', '/v1/files'],
      ['GET', '/v1/batches'],
    ];
    for (const [method, url, payload] of calls) {
      const res = await rt.app.inject({
        method: method as 'GET' | 'POST',
        url,
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(503);
      expect(res.json().error, url).toMatchObject({
        type: 'server_error',
        code: 'request_log_unavailable',
      });
      expect(res.json().error.message, url).toContain('ECONNREFUSED');
    }
    // Routing does not need it: chat is served.
    const chat = await rt.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(chat.statusCode, chat.body).toBe(200);
  }, 60_000);

  it("the batch runner's claims, failing every pass, are one warning, not one a second", async () => {
    const claims = () =>
      logged.filter((l) => l.includes('batches: could not claim a batch')).length;
    // Said once the first pass failed (on a loaded machine that can be a while after start-up)…
    await expect.poll(claims).toBe(1);
    await new Promise((r) => setTimeout(r, 3500));
    // …and three passes and more have failed since: said once still (the next in a minute).
    expect(claims()).toBe(1);
  }, 20_000);
});
