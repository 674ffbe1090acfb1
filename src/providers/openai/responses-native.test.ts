// The native Responses path of the OpenAI-family adapter, through undici's MockAgent: Azure's v1
// path and api-key header, the body as the client wrote it, function-call and usage mapping for the
// gateway's accounting, and upstream failures (failed event, in-band error, dropped stream).
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatChunk } from '../../core/wire-types.js';
import { createHttpClient } from '../http-client.js';
import { nativeEventsOf, nativeResponseOf } from '../native-api.js';
import { createOpenAiAdapter } from './openai-adapter.js';
import { nativeBody, responseToChat } from './responses-native.js';

const azure = deploymentSchema.parse({
  name: 'gpt5-azure',
  provider: 'azure',
  model: 'gpt-5-deploy',
  baseUrl: 'https://res.openai.azure.com',
  apiKeyEnv: 'AZ_KEY',
  prices: { inputPer1M: 1, outputPer1M: 2 },
  contextWindow: 400_000,
  maxOutputTokens: 128_000,
  capabilities: { responsesApi: true, reasoning: true },
});

let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined; // a test without an agent must not close the last one again
});

function setup() {
  agent = new MockAgent();
  agent.disableNetConnect();
  const adapter = createOpenAiAdapter(azure, createHttpClient({ dispatcher: agent }), {
    AZ_KEY: 'az-secret',
  });
  return { adapter, pool: agent.get('https://res.openai.azure.com') };
}

const native = {
  api: 'responses' as const,
  body: { model: 'model-router', input: [{ role: 'user', content: 'hi' }], tools: [] },
};
const chatBody = { model: 'gpt-5-deploy', messages: [{ role: 'user' as const, content: 'hi' }] };
const sse = (events: Record<string, unknown>[]) =>
  events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');

describe('native Responses through the OpenAI-family adapter', () => {
  it('Azure: POST /openai/v1/responses with api-key; the Response is tied to its chat form', async () => {
    const { adapter, pool } = setup();
    let sent: { headers: Record<string, string>; body: Record<string, unknown> } | undefined;
    const upstream = {
      id: 'resp_up',
      object: 'response',
      status: 'completed',
      model: 'gpt-5-2025-08-07',
      output: [
        {
          type: 'function_call',
          id: 'fc_1',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Oslo"}',
        },
      ],
      usage: {
        input_tokens: 50,
        input_tokens_details: { cached_tokens: 20 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 10 },
        total_tokens: 80,
      },
    };
    pool.intercept({ path: '/openai/v1/responses', method: 'POST' }).reply((opts) => {
      sent = {
        headers: opts.headers as Record<string, string>,
        body: JSON.parse(String(opts.body)) as Record<string, unknown>,
      };
      return { statusCode: 200, data: JSON.stringify(upstream) };
    });
    const reply = await adapter.chat({
      deployment: azure,
      body: chatBody,
      native,
      signal: new AbortController().signal,
      requestId: 'req_1',
    });
    expect(sent!.headers['api-key']).toBe('az-secret');
    expect(sent!.body).toMatchObject({
      model: 'gpt-5-deploy',
      stream: false,
      store: false,
      tools: [],
    });
    expect(reply.response.model).toBe('gpt-5-2025-08-07');
    expect(reply.response.choices[0]!.finish_reason).toBe('tool_calls');
    expect(reply.response.choices[0]!.message.tool_calls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
      },
    ]);
    expect(reply.response.usage).toMatchObject({
      prompt_tokens: 50,
      completion_tokens: 30,
      prompt_tokens_details: { cached_tokens: 20 },
      completion_tokens_details: { reasoning_tokens: 10 },
    });
    expect(nativeResponseOf(reply.response)).toEqual(upstream);
  });

  it('without a native request the same deployment serves chat on its chat path', async () => {
    const { adapter, pool } = setup();
    pool
      .intercept({
        path: '/openai/deployments/gpt-5-deploy/chat/completions?api-version=2024-10-21',
        method: 'POST',
      })
      .reply(200, {
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-5',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
        ],
      });
    const reply = await adapter.chat({
      deployment: azure,
      body: chatBody,
      signal: new AbortController().signal,
      requestId: 'req_2',
    });
    expect(reply.response.choices[0]!.message.content).toBe('ok');
    expect(nativeResponseOf(reply.response)).toBeUndefined();
  });

  it('stream: tool-call arguments, finish and usage become chunks carrying the events', async () => {
    const { adapter, pool } = setup();
    const events = [
      {
        type: 'response.created',
        sequence_number: 0,
        response: { id: 'r', model: 'gpt-5-x', status: 'in_progress' },
      },
      {
        type: 'response.output_item.added',
        sequence_number: 1,
        output_index: 0,
        item: {
          type: 'function_call',
          id: 'fc_9',
          call_id: 'call_9',
          name: 'lookup',
          arguments: '',
        },
      },
      {
        type: 'response.function_call_arguments.delta',
        sequence_number: 2,
        item_id: 'fc_9',
        delta: '{"q":',
      },
      {
        type: 'response.function_call_arguments.delta',
        sequence_number: 3,
        item_id: 'fc_9',
        delta: '"x"}',
      },
      {
        type: 'response.completed',
        sequence_number: 4,
        response: {
          id: 'r',
          model: 'gpt-5-x',
          status: 'completed',
          usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 },
        },
      },
    ];
    pool.intercept({ path: '/openai/v1/responses', method: 'POST' }).reply(200, sse(events));
    const stream = await adapter.chatStream({
      deployment: azure,
      body: { ...chatBody, stream: true },
      native,
      signal: new AbortController().signal,
      requestId: 'req_3',
    });
    const chunks: ChatChunk[] = [];
    for await (const c of stream.chunks) chunks.push(c);
    expect(
      chunks.map((c) => c.choices[0]!.delta.tool_calls?.[0]?.function?.arguments ?? null),
    ).toEqual(['', '{"q":', '"x"}', null]);
    expect(chunks[0]!.choices[0]!.delta.tool_calls![0]).toMatchObject({
      index: 0,
      id: 'call_9',
      function: { name: 'lookup' },
    });
    expect(chunks[3]!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks[3]!.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 7 });
    expect(chunks[0]!.model).toBe('gpt-5-x');
    // Every upstream event rides with exactly one chunk, in order.
    expect(chunks.flatMap((c) => nativeEventsOf(c)!.map((e) => e.data.sequence_number))).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });

  it.each([
    [
      'a response.failed event',
      [{ type: 'response.failed', response: { error: { code: 'server_error', message: 'boom' } } }],
      /failed: boom/,
      false,
    ],
    [
      'an in-band error event',
      [{ type: 'error', code: 'rate_limit_exceeded', message: 'slow down' }],
      /slow down/,
      false,
    ],
    [
      // Cut short, as a chat stream's drop: another deployment may serve it (before the first
      // byte), and it counts against the circuit.
      'a stream that ends early',
      [{ type: 'response.created', response: { id: 'r' } }],
      /ended before response.completed/,
      true,
    ],
  ])('stream: %s is a GatewayError', async (_name, events, message, retryable) => {
    const { adapter, pool } = setup();
    pool.intercept({ path: '/openai/v1/responses', method: 'POST' }).reply(200, sse(events));
    const stream = await adapter.chatStream({
      deployment: azure,
      body: { ...chatBody, stream: true },
      native,
      signal: new AbortController().signal,
      requestId: 'req_4',
    });
    const drain = async () => {
      for await (const c of stream.chunks) void c;
    };
    const err = await drain().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as Error).message).toMatch(message);
    expect((err as GatewayError).retryable).toBe(retryable);
  });
});

describe('a native Response in its chat form (for accounting and the request log)', () => {
  it('keeps a custom_tool_call as a custom tool call, and finishes on tool_calls', () => {
    const chat = responseToChat({
      id: 'r',
      model: 'gpt-5',
      status: 'completed',
      output: [
        {
          type: 'custom_tool_call',
          id: 'ctc_1',
          call_id: 'call_1',
          name: 'apply_patch',
          input: 'P',
        },
      ],
    });
    expect(chat.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'custom', custom: { name: 'apply_patch', input: 'P' } },
    ]);
    expect(chat.choices[0]?.finish_reason).toBe('tool_calls');
  });
});

describe('the native body', () => {
  it("sends reasoning.effort at a level the model takes, as the request's chat form is", () => {
    const o4 = deploymentSchema.parse({
      ...azure,
      name: 'o4',
      model: 'o4-mini',
      capabilities: { responsesApi: true, reasoning: true, reasoningEfforts: ['low', 'high'] },
    });
    const body = (effort: string, d = o4) =>
      JSON.parse(
        nativeBody(
          { api: 'responses', body: { ...native.body, reasoning: { effort, summary: 'auto' } } },
          d,
          false,
        ),
      ) as { reasoning?: unknown };
    expect(body('xhigh').reasoning).toEqual({ effort: 'high', summary: 'auto' });
    expect(body('medium').reasoning).toEqual({ effort: 'high', summary: 'auto' });
    expect(body('low').reasoning).toEqual({ effort: 'low', summary: 'auto' });
    // Without the list, as asked.
    expect(body('xhigh', azure).reasoning).toEqual({ effort: 'xhigh', summary: 'auto' });
  });
});
