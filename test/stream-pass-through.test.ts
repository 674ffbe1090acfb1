// Streams from an OpenAI-compatible upstream through the whole router (createRuntime + a real
// loopback upstream): unmodified chunks after the first leave exactly as the upstream wrote them,
// and every feature that reads or changes chunks still sees them parsed (the output content
// filter, stored answer text, the usage the client did not ask for, the Responses bridge).
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import type { ConfigInput } from '../src/config/schema.js';
import { createRuntime } from '../src/runtime.js';
import { createSqliteRequestStore } from '../src/store/sql/sqlite-request-store.js';
import { testConfigInput } from './helpers/test-config.js';

const chunk = (fields: Record<string, unknown>) =>
  JSON.stringify({
    id: 'up-1',
    object: 'chat.completion.chunk',
    created: 7,
    model: 'up-model',
    ...fields,
  });
const delta = (content: string, extra: Record<string, unknown> = {}) =>
  chunk({ choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });

/** What the upstream sends, in order (an unusual field and key order must survive untouched). */
const UPSTREAM = [
  chunk({
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
  }),
  delta('Write to '),
  delta('alice@example.com', { system_fingerprint: 'fp_x', x_vendor: { kept: true } }),
  delta(' today.'),
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
  chunk({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } }),
];

let upstream: Server;
let baseUrl = '';

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const d of UPSTREAM) res.write(`data: ${d}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

function configInput(overrides: Partial<ConfigInput> = {}): ConfigInput {
  const input = testConfigInput(overrides);
  input.deployments = [
    {
      name: 'up',
      provider: 'openai-compatible',
      model: 'up-model',
      baseUrl,
      prices: { inputPer1M: 1, outputPer1M: 2 },
      contextWindow: 128_000,
      maxOutputTokens: 4096,
    },
  ];
  input.routers = [];
  return input;
}

async function streamOnce(
  input: ConfigInput,
  body: Record<string, unknown> = {},
  url = '/v1/chat/completions',
) {
  const rt = await createRuntime(parseConfig(input, {}).config);
  try {
    const res = await rt.app.inject({
      method: 'POST',
      url,
      payload: { model: 'up', messages: [{ role: 'user', content: 'hi' }], stream: true, ...body },
    });
    expect(res.statusCode).toBe(200);
    return { payload: res.payload };
  } finally {
    await rt.close();
  }
}

const dataLines = (payload: string) =>
  payload
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));

describe('stream pass-through', () => {
  it('writes unmodified chunks after the first exactly as the upstream sent them', async () => {
    const { payload } = await streamOnce(configInput());
    const lines = dataLines(payload);
    // The first chunk is parsed (it may carry the router's additions); the deltas and the finish
    // chunk are the upstream's bytes; the usage chunk the client did not ask for is dropped.
    expect(JSON.parse(lines[0]!)).toEqual(JSON.parse(UPSTREAM[0]!));
    expect(lines.slice(1)).toEqual([...UPSTREAM.slice(1, 5), '[DONE]']);
  });

  it('keeps the usage chunk when the client asks for it', async () => {
    const { payload } = await streamOnce(configInput(), {
      stream_options: { include_usage: true },
    });
    const lines = dataLines(payload);
    expect(JSON.parse(lines.at(-2)!).usage).toEqual({
      prompt_tokens: 9,
      completion_tokens: 4,
      total_tokens: 13,
    });
    // Every chunk before it says "usage": null, as OpenAI's do (CONTRACTS.md §2.3), though this
    // upstream (vLLM-like) leaves the field out: the chunks are read, not passed through.
    const before = lines.slice(0, -2).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(before).toHaveLength(5);
    for (const c of before) expect(c).toHaveProperty('usage', null);
    expect(before[2]).toMatchObject({ system_fingerprint: 'fp_x', x_vendor: { kept: true } });
  });

  it('the output content filter still redacts a chunk that would have passed through', async () => {
    const { payload } = await streamOnce(
      configInput({
        contentFilter: {
          enabled: true,
          rules: [
            { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'output' },
          ],
        },
      }),
    );
    expect(payload).not.toContain('alice@example.com');
    expect(payload).toContain('[DONE]');
    const text = dataLines(payload)
      .filter((l) => l !== '[DONE]')
      .map((l) => JSON.parse(l) as { choices: { delta?: { content?: string } }[] })
      .flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? ''))
      .join('');
    expect(text).toMatch(/^Write to .+ today\.$/);
  });

  it('stored answer text is read from every chunk when the request log keeps text', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mr-pass-')), 'requests.db');
    await streamOnce(
      configInput({ requestLog: { kind: 'sqlite', sqlitePath: path, storeText: true } }),
    );
    const store = createSqliteRequestStore(path);
    const rows = await store.query(0);
    await store.close();
    expect(rows.map((r) => r.answerText)).toEqual(['Write to alice@example.com today.']);
  });

  it('the Responses bridge reads every delta', async () => {
    const { payload } = await streamOnce(
      configInput(),
      { input: 'hi', messages: undefined },
      '/v1/responses',
    );
    expect(payload).toContain('event: response.output_text.delta');
    expect(payload).toContain('alice@example.com');
    expect(payload).toContain(' today.');
  });
});
