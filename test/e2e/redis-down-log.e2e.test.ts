// A router whose Redis is out of reach at start-up still starts (state.onFailure: open serves
// locally) and logs which Redis it could not reach and the setting that names it, the password
// hidden: a bare "connect ECONNREFUSED" or "Command timed out" left operators guessing.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';

describe('Redis out of reach at start-up', () => {
  it('logs the Redis URL (password hidden) and state.redisUrl, and serves', async () => {
    const logged: string[] = [];
    const input = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'warn' },
      state: { kind: 'redis', redisUrl: 'redis://:s3cret@127.0.0.1:1/0', onFailure: 'open' },
    });
    const rt = await createRuntime(parseConfig(input, {}).config, {
      logStream: new Writable({
        write(chunk: Buffer, _enc, done) {
          logged.push(String(chunk));
          done();
        },
      }),
    });
    try {
      const chat = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'small', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(chat.statusCode, chat.body).toBe(200);
      // Started without Redis: an outage from the start, served locally (until 2026-12-06 it
      // said outages 0).
      const ready = (await rt.app.inject({ method: 'GET', url: '/readyz' })).json();
      expect(ready.shared_state).toMatchObject({ serving: 'local', outages: 1 });
    } finally {
      await rt.close();
    }
    const down = logged.filter((l) => l.includes('shared state: Redis at'));
    expect(down.length, logged.join('')).toBeGreaterThan(0);
    expect(down[0]).toContain('redis://:[redacted]@127.0.0.1:1/0 (state.redisUrl) is unreachable');
    expect(logged.join('')).not.toContain('s3cret');
  }, 30_000);
});
