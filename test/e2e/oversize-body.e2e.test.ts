// A body refused before it was read whole (over server.bodyLimitBytes) must reach a client that is
// still uploading as the 413 and its message: the built server closed the connection on it, and
// the openai SDK got a reset ("Connection error.", retried with the whole upload) for most such
// requests instead of the answer saying which setting to raise.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer(
    testConfigInput({ server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 65_536 } }),
  );
});
afterAll(() => server?.stop());

describe('a body over the limit, sent whole by a real client', () => {
  it('gets the 413 and its message every time, and the server keeps serving', async () => {
    const client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    const outcomes: string[] = [];
    for (const size of [2_000_000, 8_000_000, 2_000_000, 8_000_000, 2_000_000, 8_000_000]) {
      const err = await client.chat.completions
        .create({ model: 'model-router', messages: [{ role: 'user', content: 'x'.repeat(size) }] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      outcomes.push(
        err instanceof OpenAI.APIError && err.status !== undefined
          ? `${err.status} ${err.message}`
          : String(err),
      );
    }
    expect(outcomes.filter((o) => !/^413 .*server\.bodyLimitBytes/.test(o))).toEqual([]);
    const ok = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(ok.choices[0]?.message.content).toBeTruthy();
  });
});
