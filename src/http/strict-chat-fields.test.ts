// Chat requests OpenAI refuses are refused here too, with OpenAI's `param`, instead of passing a
// simulated or Anthropic upstream and failing only once a real OpenAI deployment is routed to:
// top_logprobs without logprobs, stream_options without stream, a tool result that answers no
// call of the assistant message before it, or calls left unanswered before the next turn, a JSON
// schema output format whose schema is not an object or whose name is not OpenAI's pattern.
// /v1/messages and /v1/responses keep their own rules.
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

type Json = Record<string, unknown>;

async function app() {
  const config = testConfig();
  const adapters = simulatedAdapters(config);
  return buildTestApp(config, adapters, { responses: createResponseStore(100) });
}

const user = { role: 'user', content: 'What is the weather in Oslo?' };
const call = (id: string) => ({
  id,
  type: 'function',
  function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
});
const asked = (...ids: string[]) => ({
  role: 'assistant',
  content: null,
  tool_calls: ids.map(call),
});
const result = (id: string | undefined) => ({
  role: 'tool',
  content: '{"temp": 3}',
  ...(id === undefined ? {} : { tool_call_id: id }),
});
const tools = [{ type: 'function', function: { name: 'get_weather', parameters: {} } }];

describe('chat fields OpenAI refuses', () => {
  it('refuses top_logprobs without logprobs: true, and serves it with', async () => {
    const t = await app();
    const post = (extra: Json) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [user], ...extra },
      });
    for (const extra of [{ top_logprobs: 2 }, { top_logprobs: 0, logprobs: false }]) {
      const res = await post(extra);
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().error).toMatchObject({
        type: 'invalid_request_error',
        param: 'top_logprobs',
        code: 'invalid_value',
      });
      expect(res.json().error.message).toContain("'logprobs' is true");
    }
    for (const extra of [{ top_logprobs: 2, logprobs: true }, { top_logprobs: null }, {}])
      expect((await post(extra)).statusCode, JSON.stringify(extra)).toBe(200);
    await t.app.close();
  });

  it('refuses stream_options unless stream is true, in OpenAI’s words', async () => {
    const t = await app();
    const post = (url: string, extra: Json) =>
      t.app.inject({
        method: 'POST',
        url,
        payload: { model: 'model-router', ...extra },
      });
    const options = { stream_options: { include_usage: true } };
    for (const [url, body] of [
      ['/v1/chat/completions', { messages: [user], ...options }],
      ['/v1/chat/completions', { messages: [user], stream: false, ...options }],
      [
        '/openai/deployments/model-router/chat/completions?api-version=2024-10-21',
        { messages: [user], ...options },
      ],
      ['/v1/completions', { prompt: 'Say hi', ...options }],
    ] as const) {
      const res = await post(url, body);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toMatchObject({
        type: 'invalid_request_error',
        param: 'stream_options',
      });
      expect(res.json().error.message).toMatch(
        /^The 'stream_options' parameter is only allowed when 'stream' is enabled/,
      );
    }
    const streamed = await post('/v1/chat/completions', {
      messages: [user],
      stream: true,
      ...options,
    });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).toContain('"usage":{');
    expect(
      (await post('/v1/chat/completions', { messages: [user], stream_options: null })).statusCode,
    ).toBe(200);
    await t.app.close();
  });

  it('refuses a tool message that answers no call of the assistant message before it', async () => {
    const t = await app();
    const post = (messages: Json[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages, tools },
      });
    const cases: { messages: Json[]; param: string; says: string }[] = [
      // No assistant message with tool_calls at all.
      {
        messages: [user, result('call_1')],
        param: 'messages.[1].role',
        says: "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'",
      },
      // The assistant's calls were followed by a user turn: the result comes too late.
      {
        messages: [user, asked('call_1'), result('call_1'), user, result('call_1')],
        param: 'messages.[4].role',
        says: "must be a response to a preceeding message with 'tool_calls'",
      },
      // An assistant message without calls in between.
      {
        messages: [
          user,
          asked('call_1'),
          result('call_1'),
          { role: 'assistant', content: 'Done.' },
          result('call_1'),
        ],
        param: 'messages.[4].role',
        says: "must be a response to a preceeding message with 'tool_calls'",
      },
      // An id the assistant never called.
      {
        messages: [user, asked('call_1', 'call_2'), result('call_1'), result('call_9')],
        param: 'messages.[3].tool_call_id',
        says: "'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message",
      },
      // No id at all.
      {
        messages: [user, asked('call_1'), result(undefined)],
        param: 'messages.[2].tool_call_id',
        says: "Missing required parameter: 'messages[2].tool_call_id'",
      },
    ];
    for (const { messages, param, says } of cases) {
      const res = await post(messages);
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json().error.message).toContain(says);
    }
    // The normal loop: calls, then their results (in any order), then more turns, is served.
    for (const messages of [
      [user, asked('call_1', 'call_2'), result('call_2'), result('call_1')],
      [user, asked('call_1'), result('call_1'), { role: 'assistant', content: '3 °C' }, user],
      [user, asked('call_1'), result('call_1'), asked('call_2'), result('call_2')],
    ])
      expect((await post(messages)).statusCode).toBe(200);
    await t.app.close();
  });

  it('refuses an assistant message whose calls are not all answered before the next turn', async () => {
    const t = await app();
    const post = (messages: Json[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages, tools },
      });
    const says =
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages:";
    const cases: { messages: Json[]; param: string; ids: string }[] = [
      // The calls, then a user turn with no result at all.
      { messages: [user, asked('call_1'), user], param: 'messages.[2].role', ids: 'call_1' },
      // One of two parallel calls answered, then the next assistant turn.
      {
        messages: [
          user,
          asked('call_1', 'call_2'),
          result('call_2'),
          { role: 'assistant', content: '3 °C' },
        ],
        param: 'messages.[3].role',
        ids: 'call_1',
      },
      // One of two answered, and the conversation ends there.
      {
        messages: [user, asked('call_1', 'call_2'), result('call_1')],
        param: 'messages.[1].tool_calls',
        ids: 'call_2',
      },
    ];
    for (const { messages, param, ids } of cases) {
      const res = await post(messages);
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error).toMatchObject({
        type: 'invalid_request_error',
        param,
        code: 'invalid_value',
      });
      expect(res.json().error.message).toContain(`${says} ${ids} (`);
    }
    // Calls that end the conversation are the upstream's to judge (served by the simulated fleet).
    expect((await post([user, asked('call_1', 'call_2')])).statusCode).toBe(200);
    await t.app.close();
  });

  it('refuses a json_schema response format whose schema is no object or strict no boolean', async () => {
    const t = await app();
    const post = (jsonSchema: Json) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'model-router',
          messages: [user],
          response_format: { type: 'json_schema', json_schema: { name: 'weather', ...jsonSchema } },
        },
      });
    const cases: [Json, string, string][] = [
      [{ schema: 'object' }, 'response_format.json_schema.schema', 'got "object"'],
      [{ schema: [{ type: 'object' }] }, 'response_format.json_schema.schema', 'got [{"type"'],
      [
        { schema: { type: 'object' }, strict: 'true' },
        'response_format.json_schema.strict',
        'got "true"',
      ],
    ];
    for (const [jsonSchema, param, got] of cases) {
      const res = await post(jsonSchema);
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error).toMatchObject({
        type: 'invalid_request_error',
        param,
        code: 'invalid_type',
      });
      expect(res.json().error.message).toContain(got);
    }
    // A schema object, strict or not, and no schema at all (optional in OpenAI's API) are served.
    for (const jsonSchema of [
      { schema: { type: 'object', properties: { temp: { type: 'number' } } }, strict: true },
      { schema: { type: 'object' }, strict: null },
      {},
    ])
      expect((await post(jsonSchema)).statusCode, JSON.stringify(jsonSchema)).toBe(200);
    await t.app.close();
  });

  it("refuses a json_schema format's name outside OpenAI's pattern, on chat and Responses", async () => {
    const t = await app();
    const schema = { type: 'object' };
    const chat = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        messages: [user],
        response_format: { type: 'json_schema', json_schema: { name: 'the weather!', schema } },
      },
    });
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toEqual({
      type: 'invalid_request_error',
      param: 'response_format.json_schema.name',
      code: 'invalid_value',
      message: `Invalid 'response_format.json_schema.name': "the weather!" does not match the pattern '^[a-zA-Z0-9_-]{1,64}$' (the schema's name: a-z, A-Z, 0-9, _ and -, at most 64 characters).`,
    });
    const responses = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'model-router',
        input: 'hi',
        text: { format: { type: 'json_schema', name: 'x'.repeat(65), schema } },
      },
    });
    expect(responses.statusCode).toBe(400);
    expect(responses.json().error).toMatchObject({
      param: 'text.format.name',
      code: 'invalid_value',
    });
    await t.app.close();
  });

  it('leaves /v1/messages and /v1/responses to their own rules', async () => {
    const t = await app();
    // Anthropic's shapes: a tool_result block answers a tool_use block; served as before.
    const messages = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: {
        model: 'model-router',
        max_tokens: 100,
        tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
        messages: [
          { role: 'user', content: 'Weather in Oslo?' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '3 °C' }],
          },
        ],
      },
    });
    expect(messages.statusCode, messages.body).toBe(200);
    // The Responses API: a function_call_output whose call is in the stored previous response,
    // not in this request's input, is served.
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'model-router',
        input: 'What is the weather in Oslo?',
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
        tool_choice: 'required',
      },
    });
    expect(first.statusCode, first.body).toBe(200);
    const fc = (first.json().output as Json[]).find((o) => o.type === 'function_call')!;
    const second = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'model-router',
        previous_response_id: first.json().id,
        input: [{ type: 'function_call_output', call_id: fc.call_id, output: '3 °C' }],
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      },
    });
    expect(second.statusCode, second.body).toBe(200);
    await t.app.close();
  });
});
