// ONE conformance suite run against every HTTP adapter (OpenAI, Azure OpenAI, OpenAI-compatible,
// Anthropic) through undici's MockAgent: text, stream, tools (auto/required/named, parallel), JSON
// schema output, usage incl. cached and reasoning tokens, upstream 400/401/429/500, a malformed
// chunk, an in-band stream error, and abort mid-stream. Fixtures follow the payloads quoted in
// ../shared/specs/CONTRACTS.md (§2.2–2.4 OpenAI, §1.4–1.5 Azure, §4.3–4.5 Anthropic).
// To add an adapter: add a Harness with its dialect (how replies look on the wire).
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentSchema, type DeploymentConfig } from '../../src/config/deployment-schema.js';
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatRequest } from '../../src/core/wire-types.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/anthropic-adapter.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';

interface Call {
  usage?: { prompt: number; cached: number; completion: number; reasoning: number };
}

interface Dialect {
  json(
    text: string | null,
    tools: { id: string; name: string; args: string }[],
    u: Call['usage'],
  ): unknown;
  stream(
    pieces: string[],
    tools: { id: string; name: string; args: string[] }[],
    u: Call['usage'],
  ): string;
  error(status: number, message: string): unknown;
  streamError(): string;
}

const USAGE = { prompt: 120, cached: 64, completion: 30, reasoning: 12 };

const openAiDialect: Dialect = {
  json: (text, tools, u) => ({
    id: 'chatcmpl-123',
    object: 'chat.completion',
    created: 1694268190,
    model: 'gpt-4o-2024-08-06',
    choices: [
      {
        index: 0,
        finish_reason: tools.length ? 'tool_calls' : 'stop',
        logprobs: null,
        message: {
          role: 'assistant',
          content: text,
          refusal: null,
          ...(tools.length
            ? {
                tool_calls: tools.map((t) => ({
                  id: t.id,
                  type: 'function',
                  function: { name: t.name, arguments: t.args },
                })),
              }
            : {}),
        },
      },
    ],
    usage: {
      prompt_tokens: u!.prompt,
      completion_tokens: u!.completion,
      total_tokens: u!.prompt + u!.completion,
      prompt_tokens_details: { cached_tokens: u!.cached },
      completion_tokens_details: { reasoning_tokens: u!.reasoning },
    },
  }),
  stream: (pieces, tools, u) => {
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
    const lines = [
      {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      },
    ];
    for (const p of pieces)
      lines.push({
        ...base,
        choices: [{ index: 0, delta: { content: p } as never, finish_reason: null }],
      });
    tools.forEach((t, i) => {
      lines.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index: i, id: t.id, type: 'function', function: { name: t.name, arguments: '' } },
              ],
            } as never,
            finish_reason: null,
          },
        ],
      });
      for (const a of t.args)
        lines.push({
          ...base,
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: i, function: { arguments: a } }] } as never,
              finish_reason: null,
            },
          ],
        });
    });
    lines.push({
      ...base,
      choices: [
        {
          index: 0,
          delta: {} as never,
          finish_reason: (tools.length ? 'tool_calls' : 'stop') as never,
        },
      ],
    });
    const usage = {
      ...base,
      choices: [],
      usage: {
        prompt_tokens: u!.prompt,
        completion_tokens: u!.completion,
        total_tokens: u!.prompt + u!.completion,
        prompt_tokens_details: { cached_tokens: u!.cached },
        completion_tokens_details: { reasoning_tokens: u!.reasoning },
      },
    };
    return (
      [...lines, usage].map((l) => `data: ${JSON.stringify(l)}\n\n`).join('') + 'data: [DONE]\n\n'
    );
  },
  error: (status, message) => ({
    error: {
      message,
      type: status === 429 ? 'tokens' : 'invalid_request_error',
      param: null,
      code: status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null,
    },
  }),
  streamError: () =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] })}\n\ndata: {"error":{"message":"server overloaded","type":"server_error","code":"overloaded"}}\n\n`,
};

const anthropicDialect: Dialect = {
  json: (text, tools, u) => ({
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      ...(text ? [{ type: 'text', text }] : []),
      ...tools.map((t) => ({
        type: 'tool_use',
        id: t.id,
        name: t.name,
        input: JSON.parse(t.args),
      })),
    ],
    stop_reason: tools.length ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: u!.prompt - u!.cached,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: u!.cached,
      output_tokens: u!.completion,
    },
  }),
  stream: (pieces, tools, u) => {
    const ev = (type: string, data: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    let out = ev('message_start', {
      message: {
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        stop_reason: null,
        usage: {
          input_tokens: u!.prompt - u!.cached,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: u!.cached,
          output_tokens: 1,
        },
      },
    });
    let index = 0;
    if (pieces.length) {
      out +=
        ev('content_block_start', { index, content_block: { type: 'text', text: '' } }) +
        ev('ping', {});
      for (const p of pieces)
        out += ev('content_block_delta', { index, delta: { type: 'text_delta', text: p } });
      out += ev('content_block_stop', { index });
      index++;
    }
    for (const t of tools) {
      out += ev('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} },
      });
      for (const a of t.args)
        out += ev('content_block_delta', {
          index,
          delta: { type: 'input_json_delta', partial_json: a },
        });
      out += ev('content_block_stop', { index });
      index++;
    }
    out += ev('message_delta', {
      delta: { stop_reason: tools.length ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: u!.completion },
    });
    return out + ev('message_stop', {});
  },
  error: (status, message) => ({
    type: 'error',
    error: {
      type:
        {
          400: 'invalid_request_error',
          401: 'authentication_error',
          429: 'rate_limit_error',
          500: 'api_error',
        }[status] ?? 'api_error',
      message,
    },
    request_id: 'req_1',
  }),
  streamError: () =>
    `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 3 } } })}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`,
};

interface Harness {
  name: string;
  origin: string;
  path: string;
  dialect: Dialect;
  deployment: DeploymentConfig;
  make(http: ReturnType<typeof createHttpClient>): ProviderAdapter;
  /** Auth as the vendor expects it. */
  expectAuth(headers: Record<string, string>): void;
}

const env = { UPSTREAM_KEY: 'sk-test-123' };
const deployment = (provider: string, extra: Record<string, unknown> = {}) =>
  deploymentSchema.parse({
    name: `${provider}-dep`,
    provider,
    model: 'upstream-model',
    apiKeyEnv: 'UPSTREAM_KEY',
    prices: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 1000,
    maxOutputTokens: 100,
    capabilities: { reasoning: true },
    ...extra,
  });

const harnesses: Harness[] = [
  {
    name: 'openai',
    origin: 'https://api.openai.com',
    path: '/v1/chat/completions',
    dialect: openAiDialect,
    deployment: deployment('openai'),
    make: (h) => createOpenAiAdapter(deployment('openai'), h, env),
    expectAuth: (hd) => expect(hd.authorization).toBe('Bearer sk-test-123'),
  },
  {
    name: 'azure',
    origin: 'https://res.openai.azure.com',
    path: '/openai/deployments/upstream-model/chat/completions?api-version=2024-10-21',
    dialect: openAiDialect,
    deployment: deployment('azure', {
      baseUrl: 'https://res.openai.azure.com',
      apiVersion: '2024-10-21',
    }),
    make: (h) =>
      createOpenAiAdapter(
        deployment('azure', { baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-10-21' }),
        h,
        env,
      ),
    expectAuth: (hd) => expect(hd['api-key']).toBe('sk-test-123'),
  },
  {
    name: 'openai-compatible',
    origin: 'http://127.0.0.1:11434',
    path: '/v1/chat/completions',
    dialect: openAiDialect,
    deployment: deployment('openai-compatible', { baseUrl: 'http://127.0.0.1:11434/v1' }),
    make: (h) =>
      createOpenAiAdapter(
        deployment('openai-compatible', { baseUrl: 'http://127.0.0.1:11434/v1' }),
        h,
        env,
      ),
    expectAuth: (hd) => expect(hd.authorization).toBe('Bearer sk-test-123'),
  },
  {
    name: 'anthropic',
    origin: 'https://api.anthropic.com',
    path: '/v1/messages',
    dialect: anthropicDialect,
    deployment: deployment('anthropic'),
    make: (h) => createAnthropicAdapter(deployment('anthropic'), h, env),
    expectAuth: (hd) => expect(hd['x-api-key']).toBe('sk-test-123'),
  },
];

const request = (extra: Partial<ChatRequest> = {}): ChatRequest =>
  ({
    model: 'upstream-model',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Oslo?' },
    ],
    ...extra,
  }) as ChatRequest;

async function collect(chunks: AsyncIterable<ChatChunk>) {
  let text = '';
  const tools = new Map<number, { id?: string; name?: string; args: string }>();
  let finish: string | null = null;
  let usage: ChatChunk['usage'] | undefined;
  for await (const c of chunks) {
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      text += ch.delta?.content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
      for (const t of ch.delta?.tool_calls ?? []) {
        const cur = tools.get(t.index) ?? { args: '' };
        if (t.id) cur.id = t.id;
        if (t.function?.name) cur.name = t.function.name;
        cur.args += t.function?.arguments ?? '';
        tools.set(t.index, cur);
      }
    }
  }
  return { text, tools: [...tools.values()], finish, usage };
}

let agent: MockAgent;
afterEach(async () => {
  await agent?.close();
});

for (const h of harnesses) {
  describe(`adapter conformance: ${h.name}`, () => {
    const setup = () => {
      agent = new MockAgent();
      agent.disableNetConnect();
      const http = createHttpClient({ dispatcher: agent });
      return { adapter: h.make(http), pool: agent.get(h.origin) };
    };
    const signal = () => new AbortController().signal;
    const call = (body: ChatRequest, s = signal()) => ({
      deployment: h.deployment,
      body,
      signal: s,
      requestId: 'req_test',
    });

    it('text: content, served model, usage with cached and prompt tokens; vendor auth and body', async () => {
      const { adapter, pool } = setup();
      let sent: { headers: Record<string, string>; body: string } | undefined;
      pool.intercept({ path: h.path, method: 'POST' }).reply((opts) => {
        sent = { headers: opts.headers as Record<string, string>, body: String(opts.body) };
        return {
          statusCode: 200,
          data: JSON.stringify(h.dialect.json('It is 12°C.', [], USAGE)),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      });
      const { response } = await adapter.chat(call(request()));
      expect(response.choices[0]?.message.content).toBe('It is 12°C.');
      expect(response.choices[0]?.finish_reason).toBe('stop');
      expect(response.model).toMatch(/gpt-4o|claude/);
      expect(response.usage?.prompt_tokens).toBe(120);
      expect(response.usage?.prompt_tokens_details?.cached_tokens).toBe(64);
      expect(response.usage?.completion_tokens).toBe(30);
      h.expectAuth(sent!.headers);
      const body = JSON.parse(sent!.body);
      if (h.name === 'anthropic') {
        expect(body.system).toBe('Be brief.');
        expect(body.max_tokens).toBe(100);
        expect(body.messages).toEqual([
          { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
        ]);
      } else expect(body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    });

    it('stream: text in order, finish reason and usage', async () => {
      const { adapter, pool } = setup();
      pool
        .intercept({ path: h.path, method: 'POST' })
        .reply(200, h.dialect.stream(['It ', 'is ', '12°C.'], [], USAGE), {
          headers: { 'content-type': 'text/event-stream' },
        });
      const s = await adapter.chatStream(call(request({ stream: true })));
      const r = await collect(s.chunks);
      expect(r.text).toBe('It is 12°C.');
      expect(r.finish).toBe('stop');
      expect(r.usage?.prompt_tokens).toBe(120);
      expect(r.usage?.prompt_tokens_details?.cached_tokens).toBe(64);
    });

    it('tools: parallel tool calls, whole and streamed in fragments; named and required tool_choice sent', async () => {
      const { adapter, pool } = setup();
      const tools = [
        { id: 'call_1', name: 'get_weather', args: '{"city":"Oslo"}' },
        { id: 'call_2', name: 'get_time', args: '{"tz":"CET"}' },
      ];
      const bodies: string[] = [];
      pool
        .intercept({ path: h.path, method: 'POST' })
        .reply(
          (o) => (
            bodies.push(String(o.body)),
            { statusCode: 200, data: JSON.stringify(h.dialect.json(null, tools, USAGE)) }
          ),
        );
      const fnTools = [
        {
          type: 'function' as const,
          function: { name: 'get_weather', parameters: { type: 'object' } },
        },
        {
          type: 'function' as const,
          function: { name: 'get_time', parameters: { type: 'object' } },
        },
      ];
      const { response } = await adapter.chat(
        call(request({ tools: fnTools, tool_choice: 'required' })),
      );
      expect(response.choices[0]?.finish_reason).toBe('tool_calls');
      expect(
        response.choices[0]?.message.tool_calls?.map((t) =>
          t.type === 'function' ? [t.id, t.function.name, JSON.parse(t.function.arguments)] : null,
        ),
      ).toEqual([
        ['call_1', 'get_weather', { city: 'Oslo' }],
        ['call_2', 'get_time', { tz: 'CET' }],
      ]);
      pool.intercept({ path: h.path, method: 'POST' }).reply(
        (o) => (
          bodies.push(String(o.body)),
          {
            statusCode: 200,
            data: h.dialect.stream(
              [],
              [{ id: 'call_1', name: 'get_weather', args: ['{"city":', '"Oslo"}'] }],
              USAGE,
            ),
          }
        ),
      );
      const s = await adapter.chatStream(
        call(
          request({
            stream: true,
            tools: fnTools,
            tool_choice: { type: 'function', function: { name: 'get_weather' } },
          }),
        ),
      );
      const r = await collect(s.chunks);
      expect(r.tools).toEqual([{ id: 'call_1', name: 'get_weather', args: '{"city":"Oslo"}' }]);
      expect(r.finish).toBe('tool_calls');
      const [first, second] = bodies.map((b) => JSON.parse(b));
      if (h.name === 'anthropic') {
        expect(first.tool_choice).toEqual({ type: 'any' });
        expect(second.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
        expect(first.tools[0]).toEqual({ name: 'get_weather', input_schema: { type: 'object' } });
      } else {
        expect(first.tool_choice).toBe('required');
        expect(second.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
      }
    });

    it('JSON schema output reaches the upstream in its own form', async () => {
      const { adapter, pool } = setup();
      let body: Record<string, unknown> = {};
      pool.intercept({ path: h.path, method: 'POST' }).reply((o) => {
        body = JSON.parse(String(o.body));
        return {
          statusCode: 200,
          data: JSON.stringify(
            h.name === 'anthropic'
              ? h.dialect.json(
                  null,
                  [{ id: 'toolu_1', name: 'json_output', args: '{"answer":"yes"}' }],
                  USAGE,
                )
              : h.dialect.json('{"answer":"yes"}', [], USAGE),
          ),
        };
      });
      const rf = {
        type: 'json_schema' as const,
        json_schema: {
          name: 'a',
          schema: { type: 'object', properties: { answer: { type: 'string' } } },
          strict: true,
        },
      };
      const { response } = await adapter.chat(call(request({ response_format: rf })));
      expect(JSON.parse(response.choices[0]!.message.content!)).toEqual({ answer: 'yes' });
      expect(response.choices[0]?.finish_reason).toBe('stop');
      if (h.name === 'anthropic')
        expect(body.tool_choice).toEqual({ type: 'tool', name: 'json_output' });
      else expect(body.response_format).toEqual(rf);
    });

    // A 401 is the router's own credential refused: the deployment's 502, failed over (fault
    // audit F2, 2026-12-06).
    for (const [upstream, status, retryable] of [
      [400, 400, false],
      [401, 502, true],
      [429, 429, true],
      [500, 500, true],
    ] as const) {
      it(`upstream ${upstream}: status ${status}, retryable=${retryable}, retry-after passed on`, async () => {
        const { adapter, pool } = setup();
        pool
          .intercept({ path: h.path, method: 'POST' })
          .reply(upstream, JSON.stringify(h.dialect.error(upstream, `boom ${upstream}`)), {
            headers: { 'retry-after': '7', 'content-type': 'application/json' },
          });
        const err = await adapter.chat(call(request())).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GatewayError);
        const e = err as GatewayError;
        expect(e.status).toBe(status);
        expect(e.retryable).toBe(retryable);
        expect(e.message).toContain(`boom ${upstream}`);
        expect(e.headers['retry-after']).toBe('7');
        if (status === 429) expect(e.toEnvelope().error.code).toBe('rate_limit_exceeded');
      });
    }

    it('a malformed chunk and an in-band error after the 200 become GatewayErrors mid-stream, after the good text', async () => {
      const { adapter, pool } = setup();
      const malformed =
        h.name === 'anthropic'
          ? 'event: message_start\ndata: {"type":"message_start","message":{}}\n\nevent: content_block_delta\ndata: {not json\n\n'
          : 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: {not json\n\n';
      pool.intercept({ path: h.path, method: 'POST' }).reply(200, malformed);
      const s1 = await adapter.chatStream(call(request({ stream: true })));
      await expect(collect(s1.chunks)).rejects.toMatchObject({ code: 'upstream_malformed_chunk' });
      pool.intercept({ path: h.path, method: 'POST' }).reply(200, h.dialect.streamError());
      const s2 = await adapter.chatStream(call(request({ stream: true })));
      let text = '';
      const err = await (async () => {
        for await (const c of s2.chunks) text += c.choices[0]?.delta?.content ?? '';
      })().catch((e: unknown) => e);
      expect(text).toBe('Hel');
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).retryable).toBe(true);
    });

    it('a stream closed before its end is a retryable drop after the good text; one missing only its end marker is whole', async () => {
      const { adapter, pool } = setup();
      const events = h.dialect
        .stream(['Hel', 'lo'], [], USAGE)
        .split('\n\n')
        .filter((e) => e !== '');
      // Cut before the finish (OpenAI's finish_reason chunk, Anthropic's message_delta).
      const finishAt = events.findIndex(
        (e) => /"finish_reason":"/.test(e) || e.startsWith('event: message_delta'),
      );
      const join = (list: string[]) => list.map((e) => `${e}\n\n`).join('');
      const run = async (body: string) => {
        pool.intercept({ path: h.path, method: 'POST' }).reply(200, body);
        const s = await adapter.chatStream(call(request({ stream: true })));
        let text = '';
        const err = await (async () => {
          for await (const c of s.chunks) text += c.choices[0]?.delta?.content ?? '';
        })().catch((e: unknown) => e);
        return { text, err };
      };
      const cut = await run(join(events.slice(0, finishAt)));
      expect(cut.text).toBe('Hello');
      expect(cut.err).toBeInstanceOf(GatewayError);
      expect(cut.err).toMatchObject({ code: 'upstream_stream_dropped', retryable: true });
      // A body with no event at all (a 200 that closed at once) is cut short too.
      expect((await run('')).err).toMatchObject({ code: 'upstream_stream_dropped' });
      // Only the end marker ([DONE], message_stop) missing: the answer was whole.
      const whole = await run(join(events.slice(0, -1)));
      expect(whole).toEqual({ text: 'Hello', err: undefined });
    });

    it("a 2xx reply that is the API's error object is a retryable error, not an empty answer", async () => {
      const { adapter, pool } = setup();
      pool
        .intercept({ path: h.path, method: 'POST' })
        .reply(200, JSON.stringify(h.dialect.error(500, 'upstream broke')), {
          headers: { 'content-type': 'application/json' },
        });
      const err = await adapter.chat(call(request())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).retryable).toBe(true);
      expect((err as GatewayError).message).toContain('upstream broke');
    });

    it('abort mid-stream stops the iteration', async () => {
      const { adapter, pool } = setup();
      pool
        .intercept({ path: h.path, method: 'POST' })
        .reply(200, h.dialect.stream(['a', 'b', 'c', 'd'], [], USAGE));
      const controller = new AbortController();
      const s = await adapter.chatStream(call(request({ stream: true }), controller.signal));
      let seen = 0;
      const outcome = await (async () => {
        for await (const c of s.chunks) {
          if (c.choices[0]?.delta?.content) seen++;
          if (seen === 1) controller.abort(new Error('client went away'));
        }
        return 'ended';
      })().catch(() => 'threw');
      expect(['ended', 'threw']).toContain(outcome);
      expect(seen).toBeLessThan(4);
    });
  });
}
