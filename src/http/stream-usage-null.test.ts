// With `stream_options.include_usage`, OpenAI's chunks say `"usage": null` until the last, which
// carries the usage (CONTRACTS.md §2.3); without it they have no `usage` at all. The router's
// streams do the same whichever fleet answers (here the simulated one, whose chunks leave it out),
// on chat, the legacy completions and the Azure paths.
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  type TestApp,
  simulatedAdapters,
} from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';

type Json = Record<string, unknown>;

let t: TestApp | undefined;
async function app(): Promise<TestApp> {
  if (t) return t;
  const config = testConfig();
  const adapters = simulatedAdapters(config);
  t = await buildTestApp(config, adapters);
  return t;
}

afterAll(async () => {
  await t?.app.close();
});

async function streamed(url: string, body: Json): Promise<Json[]> {
  const res = await (await app()).app.inject({ method: 'POST', url, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  const lines = res.payload
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));
  expect(lines.at(-1)).toBe('[DONE]');
  return lines.slice(0, -1).map((l) => JSON.parse(l) as Json);
}

const PATHS: [string, Json][] = [
  ['/v1/chat/completions', { messages: [{ role: 'user', content: 'Tell me a story' }] }],
  [
    '/openai/deployments/big/chat/completions?api-version=2024-10-21',
    { messages: [{ role: 'user', content: 'Tell me a story' }] },
  ],
  ['/v1/completions', { prompt: 'Once upon a time' }],
];

describe('"usage": null on every chunk but the last, when the client asks for usage', () => {
  it('include_usage: null on each chunk, the usage on the last (choices empty)', async () => {
    for (const [url, body] of PATHS) {
      const chunks = await streamed(url, {
        model: 'model-router',
        stream: true,
        stream_options: { include_usage: true },
        ...body,
      });
      expect(chunks.length, url).toBeGreaterThan(2);
      for (const c of chunks.slice(0, -1)) expect(c, url).toHaveProperty('usage', null);
      const last = chunks.at(-1)!;
      expect(last.choices, url).toEqual([]);
      expect(last.usage, url).toMatchObject({ total_tokens: expect.any(Number) });
    }
  });

  it('without it, no chunk has a usage field', async () => {
    for (const [url, body] of PATHS)
      for (const options of [{}, { stream_options: { include_usage: false } }]) {
        const chunks = await streamed(url, {
          model: 'model-router',
          stream: true,
          ...options,
          ...body,
        });
        for (const c of chunks) expect(c, url).not.toHaveProperty('usage');
      }
  });
});
