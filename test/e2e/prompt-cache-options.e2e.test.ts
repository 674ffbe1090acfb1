// openai 7.60's `prompt_cache_options` through the BUILT router, sent by the official `openai`
// SDK: checked as OpenAI checks it (a 400 naming the field, whichever deployment routing picks),
// `prewarm: true` answered by the router with no upstream call (no billed answer), `ttl` a
// minimum lifetime that reaches Claude as hour-long cache marks and a Chat Completions upstream
// as chat takes it, `mode: explicit` leaving out the breakpoints the router would add. The
// upstreams are loopback fakes of Anthropic's Messages and OpenAI's Chat Completions that record
// what they got.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

type Json = Record<string, unknown>;
type BadRequest = InstanceType<typeof OpenAI.BadRequestError>;
const received: { path: string; body: Json }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push({ path: req.url ?? '', body });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/v1/messages')
      return res.end(
        JSON.stringify({
          id: 'msg_upstream',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [{ type: 'text', text: 'Done.' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 12, output_tokens: 2 },
        }),
      );
    res.end(
      JSON.stringify({
        id: 'chatcmpl-upstream',
        object: 'chat.completion',
        created: 1_760_000_000,
        model: 'gpt-4.1-upstream',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const common = {
    prices: { inputPer1M: 3, outputPer1M: 15 },
    contextWindow: 200_000,
    maxOutputTokens: 8192,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'claude',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: base,
          promptCaching: 'auto',
          ...common,
        },
        { name: 'gpt', provider: 'openai', model: 'gpt-4.1', baseUrl: `${base}/v1`, ...common },
      ],
      routers: [{ name: 'model-router', modelSubset: ['claude', 'gpt'] }],
    }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Every `cache_control` of a Messages request body, in order. */
function cacheMarks(body: Json): unknown[] {
  const marks: unknown[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    for (const [k, inner] of Object.entries(v)) {
      if (k === 'cache_control') marks.push(inner);
      else visit(inner);
    }
  };
  visit(body);
  return marks;
}

const input: OpenAI.Responses.ResponseInput = [
  {
    role: 'user',
    content: [
      {
        type: 'input_text',
        text: 'Long project notes.',
        prompt_cache_breakpoint: { mode: 'explicit' },
      },
      { type: 'input_text', text: 'What changed?' },
    ],
  },
];

describe('prompt_cache_options.prewarm', () => {
  it('is answered by the router: a completed response with no output, no upstream call', async () => {
    const response = await client.responses.create({
      model: 'claude',
      instructions: 'You are a coding agent.',
      input,
      prompt_cache_options: { prewarm: true, ttl: '12h' },
    });
    expect(response.status).toBe('completed');
    expect(response.output).toEqual([]);
    expect(response.usage?.output_tokens).toBe(0);
    expect(response.prompt_cache_options).toEqual({ mode: 'implicit', ttl: '12h' });
    expect(received).toEqual([]);
    // Streamed, the same: its events, and still no upstream call.
    const stream = await client.responses.create({
      model: 'gpt',
      input: 'Warm up.',
      prompt_cache_options: { prewarm: true },
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['response.created', 'response.in_progress', 'response.completed']);
    expect(received).toEqual([]);
    // The next turn continues it, and is the one answered.
    const next = await client.responses.create({
      model: 'claude',
      previous_response_id: response.id,
      input: 'Now answer.',
    });
    expect(next.output_text).toBe('Done.');
    expect(received).toHaveLength(1);
    expect(JSON.stringify(received[0]!.body.messages)).toContain('Long project notes.');
  });
});

describe('prompt_cache_options.ttl and mode', () => {
  it('a ttl makes every Claude cache mark an hour long, the client’s and the router’s', async () => {
    await client.responses.create({ model: 'claude', input, prompt_cache_options: { ttl: '12h' } });
    expect(cacheMarks(received[0]!.body)).toEqual([{ type: 'ephemeral', ttl: '1h' }]);
    received.length = 0;
    await client.responses.create({
      model: 'claude',
      instructions: 'You are a coding agent.',
      input: 'What changed?',
      prompt_cache_options: { ttl: '30m' },
    });
    expect(cacheMarks(received[0]!.body)).toEqual([
      { type: 'ephemeral', ttl: '1h' },
      { type: 'ephemeral', ttl: '1h' },
    ]);
    received.length = 0;
    // Chat Completions' own (ttl 30m only), read the same way.
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'What changed?' }],
      prompt_cache_options: { ttl: '30m' },
    });
    expect(cacheMarks(received[0]!.body)).toEqual([{ type: 'ephemeral', ttl: '1h' }]);
  });

  it('mode explicit: the router adds no breakpoint of its own; the client’s stay', async () => {
    await client.responses.create({
      model: 'claude',
      instructions: 'You are a coding agent.',
      input: 'What changed?',
      prompt_cache_options: { mode: 'explicit' },
    });
    expect(cacheMarks(received[0]!.body)).toEqual([]);
    received.length = 0;
    await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'What changed?' }],
      prompt_cache_options: { mode: 'explicit' },
    });
    expect(cacheMarks(received[0]!.body)).toEqual([]);
  });

  it('bridged to Chat Completions: a 12h ttl goes on the breakpoints, the request’s as 30m', async () => {
    await client.responses.create({
      model: 'gpt',
      input,
      prompt_cache_options: { mode: 'implicit', ttl: '12h' },
    });
    const body = received[0]!.body;
    expect(body.prompt_cache_options).toEqual({ mode: 'implicit', ttl: '30m' });
    const parts = (body.messages as { content: Json[] }[]).at(-1)!.content;
    expect(parts[0]!.prompt_cache_breakpoint).toEqual({ mode: 'explicit', ttl: '12h' });
    expect(parts[1]!.prompt_cache_breakpoint).toBeUndefined();
  });
});

describe('prompt_cache_options checked as OpenAI checks it', () => {
  it.each([
    ['ttl', { ttl: '1h' }, 'invalid_value'],
    ['mode', { mode: 'auto' }, 'invalid_value'],
    ['prewarm', { prewarm: 'yes' }, 'invalid_type'],
    ['comparison_response_id', { comparison_response_id: 7 }, 'invalid_type'],
  ])(
    'Responses: a bad %s is a 400 naming it, with no upstream call',
    async (field, options, code) => {
      const e = await caught(
        client.responses.create({
          model: 'model-router',
          input: 'Hi',
          prompt_cache_options:
            options as OpenAI.Responses.ResponseCreateParams['prompt_cache_options'],
        }),
      );
      expect(e).toBeInstanceOf(OpenAI.BadRequestError);
      expect((e as BadRequest).param).toBe(`prompt_cache_options.${field}`);
      expect((e as BadRequest).code).toBe(code);
      expect(received).toEqual([]);
    },
  );

  it('Chat Completions: ttl 30m only (12h is Responses’), and an object', async () => {
    for (const [options, param] of [
      [{ ttl: '12h' }, 'prompt_cache_options.ttl'],
      ['30m', 'prompt_cache_options'],
    ] as const) {
      const e = await caught(
        client.chat.completions.create({
          model: 'model-router',
          messages: [{ role: 'user', content: 'Hi' }],
          prompt_cache_options: options as unknown as { ttl: '30m' },
        }),
      );
      expect((e as BadRequest).status).toBe(400);
      expect((e as BadRequest).param).toBe(param);
    }
    expect(received).toEqual([]);
  });
});
