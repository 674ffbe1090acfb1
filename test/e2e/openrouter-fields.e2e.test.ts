// OpenRouter code through the BUILT router with the official `openai` SDK: the routing fields
// (`models`, `route`, `provider`, `usage`) sent as extra body, as OpenRouter's docs show. Two
// loopback upstreams answer as OpenAI does, 400 "Unrecognized request argument" to any of those
// fields: the first pool's fails with a 500, the `models` fallback serves, JSON and streamed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const OPENROUTER_FIELDS = ['models', 'route', 'provider', 'usage'];
const calls: string[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    calls.push(req.url ?? '');
    const json = (status: number, payload: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    // What OpenAI answers to a field it does not know.
    const unknown = OPENROUTER_FIELDS.find((f) => f in body);
    if (unknown)
      return json(400, {
        error: {
          message: `Unrecognized request argument supplied: ${unknown}`,
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    if (req.url?.startsWith('/down/'))
      return json(500, { error: { message: 'The server had an error', type: 'server_error' } });
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini-2025-04-14', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: 'Fell ' }, null));
      res.write(chunk({ content: 'back.' }, 'stop'));
      return res.end('data: [DONE]\n\n');
    }
    json(200, {
      id: 'chatcmpl-up',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: 'gpt-4.1-mini-2025-04-14',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Fell back.' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const common = {
    provider: 'openai' as const,
    prices: { inputPer1M: 0.4, outputPer1M: 1.6 },
    contextWindow: 1_000_000,
    maxOutputTokens: 32_768,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        { name: 'gpt41', model: 'gpt-4.1', baseUrl: `${base}/down/v1`, ...common },
        { name: 'gpt41-mini', model: 'gpt-4.1-mini', baseUrl: `${base}/up/v1`, ...common },
      ],
      routers: [],
      pools: [
        { name: 'primary', deployments: ['gpt41'] },
        { name: 'backup', deployments: ['gpt41-mini'] },
      ],
    }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

// OpenRouter's fields are not in the SDK's types: sent as extra body, as OpenRouter's docs do.
const openRouterBody = {
  models: ['primary', 'backup'],
  route: 'fallback',
  provider: { allow_fallbacks: true, sort: 'price', data_collection: 'allow' },
  usage: { include: true },
};

describe('OpenRouter routing fields through the built router', () => {
  it('falls back to the next of models, JSON and streaming, and sends none of the fields upstream', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'primary',
        messages: [{ role: 'user', content: 'hi' }],
        ...openRouterBody,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
    expect(data.model).toBe('gpt-4.1-mini-2025-04-14');
    expect(data.choices[0]!.message.content).toBe('Fell back.');
    expect(response.headers.get('x-router-target')).toBe('backup');
    expect(response.headers.get('x-router-targets-tried')).toBe('primary (upstream_500)');
    expect(response.headers.get('x-router-attempts')).toBe('2');
    // 1000 × $0.4 + 100 × $1.6 per 1M tokens.
    expect((data.usage as { cost?: number }).cost).toBeCloseTo(0.00056, 10);

    const stream = await client.chat.completions.create({
      messages: [{ role: 'user', content: 'hi again' }],
      stream: true,
      ...openRouterBody,
    } as unknown as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Fell back.');
    // Every upstream call got a body it accepted: none answered 400.
    expect(calls).toEqual([
      '/down/v1/chat/completions',
      '/up/v1/chat/completions',
      '/down/v1/chat/completions',
      '/up/v1/chat/completions',
    ]);
  });
});
