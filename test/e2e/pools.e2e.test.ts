// A pool through the BUILT router with the official `openai` SDK: two OpenAI-compatible loopback
// upstreams stand for provisioned capacity that is full (429 with retry-after) and pay-as-you-go
// capacity; a priority pool spills the request over to the second, skips the first while it
// cools down (its retry-after), and the client sees the model that served, JSON and streamed. An
// embeddings pool spills over the same way.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const calls: string[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    calls.push(req.url ?? '');
    if (req.url?.endsWith('/embeddings')) {
      if (req.url.startsWith('/emb-full/')) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '5000' });
        return res.end(JSON.stringify({ error: { message: 'quota', type: 'rate_limit_error' } }));
      }
      const vector = [0.6, 0.8];
      const embedding =
        body.encoding_format === 'base64'
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          object: 'list',
          model: 'text-embedding-3-small',
          data: [{ object: 'embedding', index: 0, embedding }],
          usage: { prompt_tokens: 3, total_tokens: 3 },
        }),
      );
    }
    if (req.url?.startsWith('/ptu/')) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
      return res.end(
        JSON.stringify({
          error: {
            message: 'provisioned capacity exceeded',
            type: 'rate_limit_error',
            code: '429',
          },
        }),
      );
    }
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-paygo', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'Spilled ' }, null));
      res.write(chunk({ content: 'over.' }, 'stop'));
      return res.end('data: [DONE]\n\n');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-paygo',
        object: 'chat.completion',
        created: 1_760_000_000,
        model: 'gpt-4.1-paygo',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Spilled over.' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const common = {
    provider: 'openai' as const,
    model: 'gpt-4.1',
    prices: { inputPer1M: 2, outputPer1M: 8 },
    contextWindow: 1_000_000,
    maxOutputTokens: 32_768,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        { name: 'gpt41-ptu', baseUrl: `${base}/ptu/v1`, ...common },
        { name: 'gpt41-paygo', baseUrl: `${base}/paygo/v1`, ...common },
        ...['emb-full', 'emb-ok'].map((name) => ({
          name,
          kind: 'embeddings' as const,
          provider: 'openai' as const,
          model: 'text-embedding-3-small',
          baseUrl: `${base}/${name}/v1`,
          prices: { inputPer1M: 0.02, outputPer1M: 0 },
          contextWindow: 8191,
        })),
      ],
      routers: [],
      pools: [
        { name: 'gpt-4.1', deployments: ['gpt41-ptu', 'gpt41-paygo'], strategy: 'priority' },
        { name: 'embed', deployments: ['emb-full', 'emb-ok'], strategy: 'priority' },
      ],
    }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('a priority pool through the built router', () => {
  it('spills over from full provisioned capacity, JSON and streaming, with the openai SDK', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.model).toBe('gpt-4.1-paygo');
    expect(data.choices[0]!.message.content).toBe('Spilled over.');
    expect(response.headers.get('x-router-deployment')).toBe('gpt41-paygo');
    expect(response.headers.get('x-router-attempts')).toBe('2');

    const stream = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'hi again' }],
      stream: true,
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Spilled over.');
    // The provisioned deployment asked to wait 3 s: the stream went straight to pay-as-you-go.
    expect(calls).toEqual([
      '/ptu/v1/chat/completions',
      '/paygo/v1/chat/completions',
      '/paygo/v1/chat/completions',
    ]);

    // An embeddings pool the same way (the SDK asks for base64 and decodes it).
    const emb = await client.embeddings.create({ model: 'embed', input: 'a search query' });
    expect(emb.data[0]!.embedding.map((x) => Number(x.toFixed(3)))).toEqual([0.6, 0.8]);
    const again = await client.embeddings
      .create({ model: 'embed', input: 'another query' })
      .withResponse();
    expect(again.response.headers.get('x-router-deployment')).toBe('emb-ok');
    expect(calls.filter((c) => c.endsWith('/embeddings'))).toEqual([
      '/emb-full/v1/embeddings',
      '/emb-ok/v1/embeddings',
      '/emb-ok/v1/embeddings',
    ]);

    const models = await client.models.list();
    const pool = models.data.find((m) => m.id === 'gpt-4.1') as unknown as Record<string, unknown>;
    expect(pool).toMatchObject({ type: 'pool', strategy: 'priority' });
  });
});
