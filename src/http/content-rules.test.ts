// Content the APIs forbid is a 400 naming it before routing, not a part or a tool list silently
// left out (found by a black-box audit with the openai and Anthropic SDKs): OpenAI's empty content
// array and images outside user messages; Anthropic's wrongly typed `messages`, `tools` and
// `metadata`, and a user's block in Claude's turn. And (a fuzzing audit, 2026-12-07) an image
// `detail`, file part or message `name` of a shape OpenAI refuses, and a tool schema that is no
// JSON Schema, on every API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

const config = testConfig();
let t: Awaited<ReturnType<typeof buildTestApp>>;
beforeAll(async () => {
  t = await buildTestApp(config, simulatedAdapters(config));
});
afterAll(async () => {
  await t.app.close();
});

const image = { type: 'image_url', image_url: { url: 'https://example.com/a.png' } };
const chat = (messages: unknown[]) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model: 'model-router', messages },
  });
const messages = (body: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    payload: { model: 'model-router', max_tokens: 20, ...body },
  });

describe('chat content OpenAI forbids', () => {
  it('an empty content array, and images outside user messages, are 400s naming the part', async () => {
    const cases: [unknown[], string, string][] = [
      [[{ role: 'user', content: [] }], 'messages[0].content', 'must not be an empty array'],
      [
        [
          { role: 'system', content: [image] },
          { role: 'user', content: 'hi' },
        ],
        'messages[0].content[0].type',
        'allowed in user messages only, not in a system message',
      ],
      [
        [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: [image] },
          { role: 'user', content: 'and?' },
        ],
        'messages[1].content[0].type',
        'not in an assistant message',
      ],
    ];
    for (const [msgs, param, words] of cases) {
      const res = await chat(msgs);
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json().error.message).toContain(words);
    }
  });

  it('still takes what the spec allows: images in user messages, an assistant tool call with no content', async () => {
    const res = await chat([
      { role: 'user', content: [{ type: 'text', text: 'what is this?' }, image] },
      {
        role: 'assistant',
        content: [],
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'done' },
    ]);
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a part or name of a shape OpenAI refuses is a 400 naming it (they were passed on)', async () => {
    const cases: [unknown, string, string][] = [
      [
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'ultra' } }],
        },
        'messages[0].content[0].image_url.detail',
        `Invalid value for 'messages[0].content[0].image_url.detail': "ultra". Supported values are: 'auto', 'low', and 'high'.`,
      ],
      [
        { role: 'user', content: [{ type: 'file' }] },
        'messages[0].content[0].file',
        'messages[0].content[0].file is required in a file part: send {"file_data": "data:application/pdf;base64,…", "filename": "…"} or {"file_id": "file-…"}.',
      ],
      [
        { role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf' } }] },
        'messages[0].content[0].file.file_data',
        'messages[0].content[0].file names no file',
      ],
      [
        { role: 'user', content: [{ type: 'file', file: { file_id: 7 } }] },
        'messages[0].content[0].file.file_id',
        "Invalid type for 'messages[0].content[0].file.file_id': expected a string, but got 7.",
      ],
      [
        { role: 'user', content: 'hi', name: 5 },
        'messages[0].name',
        "Invalid type for 'messages[0].name': expected a string naming the participant, but got 5.",
      ],
    ];
    for (const [message, param, words] of cases) {
      const res = await chat([message]);
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json().error.message).toContain(words);
    }
    const fine = await chat([
      {
        role: 'user',
        name: 'ada',
        content: [
          { type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'low' } },
          { type: 'file', file: { file_id: 'file-abc' } },
        ],
      },
    ]);
    expect(fine.statusCode, fine.body).toBe(200);
  });
});

describe('Messages fields of the wrong type', () => {
  it('are 400s in Anthropic’s shape naming the field', async () => {
    const hi = [{ role: 'user', content: 'hi' }];
    const cases: [Record<string, unknown>, string][] = [
      [{ messages: 'hi' }, 'messages: Input should be a valid list'],
      [{ messages: hi, tools: 'x' }, 'tools: Input should be a valid list'],
      [{ messages: hi, metadata: 'x' }, 'metadata: Input should be a valid dictionary'],
      [
        { messages: hi, metadata: { user_id: 5 } },
        'metadata.user_id: Input should be a valid string',
      ],
      [
        {
          messages: [
            { role: 'user', content: 'hi' },
            {
              role: 'assistant',
              content: [{ type: 'tool_result', tool_use_id: 'x', content: 'y' }],
            },
            { role: 'user', content: 'go on' },
          ],
        },
        'messages.1.content.0: a tool_result block belongs in a user message',
      ],
    ];
    for (const [body, words] of cases) {
      const res = await messages(body);
      expect(res.statusCode, words).toBe(400);
      expect(res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(res.json().error.message).toContain(words);
    }
    const ok = await messages({ messages: hi, metadata: { user_id: 'u1' }, tools: [] });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});

describe('two tool calls of one id in one assistant turn', () => {
  const call = (id: string, name: string) => ({
    id,
    type: 'function',
    function: { name, arguments: '{}' },
  });
  it('chat: a 400 naming the message, as a tool message could not say which it answers', async () => {
    const res = await chat([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [call('c1', 'f'), call('c1', 'g')] },
      { role: 'tool', tool_call_id: 'c1', content: 'done' },
    ]);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ param: 'messages.[1].tool_calls' });
    expect(res.json().error.message).toContain("messages[1].tool_calls[1] has the id 'c1'");
    // The same id in a later turn is another call: served.
    const later = await chat([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: null, tool_calls: [call('c1', 'f')] },
      { role: 'tool', tool_call_id: 'c1', content: 'done' },
      { role: 'assistant', content: null, tool_calls: [call('c1', 'f')] },
      { role: 'tool', tool_call_id: 'c1', content: 'done again' },
    ]);
    expect(later.statusCode, later.body).toBe(200);
  });

  it("messages: a 400 in Anthropic's words, the turn split over two messages too", async () => {
    const use = (id: string) => ({ type: 'tool_use', id, name: 'f', input: {} });
    const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' });
    const go = { role: 'user', content: 'go' };
    for (const turn of [
      [{ role: 'assistant', content: [use('t1'), use('t1')] }],
      [
        { role: 'assistant', content: [use('t1')] },
        { role: 'assistant', content: [use('t1')] },
      ],
    ]) {
      const res = await messages({
        messages: [go, ...turn, { role: 'user', content: [result('t1')] }],
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.message).toContain('`tool_use` ids must be unique');
    }
    const later = await messages({
      messages: [
        go,
        { role: 'assistant', content: [use('t1')] },
        { role: 'user', content: [result('t1')] },
        { role: 'assistant', content: [use('t1')] },
        { role: 'user', content: [result('t1')] },
      ],
    });
    expect(later.statusCode, later.body).toBe(200);
  });
});

describe('a tool schema no JSON Schema meta-schema takes', () => {
  const schema = { type: 'object', properties: { city: { type: 'str' } } };
  it("is a 400 on every API, in its own words (it was served, OpenAI's and Anthropic's refuse it)", async () => {
    const r = await buildTestApp(config, simulatedAdapters(config), {
      responses: createResponseStore(100),
    });
    const anthropic = await messages({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'weather', input_schema: schema }],
    });
    expect(anthropic.statusCode).toBe(400);
    expect(anthropic.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: expect.stringMatching(
          /^tools\.0\.input_schema: JSON schema is invalid \(\/properties\/city\/type must be equal to one of the allowed values .*\)\. It must match JSON Schema draft 2020-12/,
        ),
      },
    });
    for (const [url, tools] of [
      ['/v1/responses', [{ type: 'function', name: 'weather', parameters: schema }]],
      ['/v1/responses/input_tokens', [{ type: 'function', name: 'weather', parameters: schema }]],
    ] as const) {
      const res = await r.app.inject({
        method: 'POST',
        url,
        payload: { model: 'model-router', input: 'hi', tools },
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatchObject({
        param: 'tools[0].parameters',
        code: 'invalid_function_parameters',
        message: expect.stringContaining("Invalid schema for function 'weather'"),
      });
    }
    const format = await r.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'model-router',
        input: 'hi',
        text: { format: { type: 'json_schema', name: 'out', schema } },
      },
    });
    expect(format.json().error).toMatchObject({
      param: 'text.format.schema',
      code: 'invalid_json_schema',
    });
    await r.app.close();
  });
});
