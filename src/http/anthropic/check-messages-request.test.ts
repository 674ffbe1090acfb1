// /v1/messages refuses what Anthropic's API refuses, in Anthropic's error shape, naming the field;
// a well-formed request with every checked field still passes.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { anthropicThroughInject } from '../../../test/helpers/anthropic-through-inject.js';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { createSimulatedAdapter } from '../../providers/simulated/simulated-adapter.js';

const base = {
  model: 'model-router',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hi' }],
};

describe('Anthropic Messages request checks', () => {
  it('answers each malformed field with a 400 naming it, and serves the well-formed request', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    });
    const send = (body: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: { ...base, ...body },
      });
    const cases: [Record<string, unknown>, string][] = [
      [{ max_tokens: 1.5 }, "'max_tokens' must be an integer of at least 1; got 1.5."],
      [{ temperature: 1.5 }, "'temperature' must be a number from 0 to 1; got 1.5."],
      [{ stream: 'yes' }, 'stream: Input should be a valid boolean'],
      [{ stop_sequences: 'END' }, 'stop_sequences: Input should be a list of strings'],
      [{ stop_sequences: ['END', 7] }, 'stop_sequences: Input should be a list of strings'],
      [{ system: [{ type: 'image' }] }, 'system.0: must be a text block'],
      [{ tool_choice: { type: 'bogus' } }, 'tool_choice: must be {"type": "auto"}'],
      [{ tool_choice: { type: 'tool' } }, 'tool_choice.name: Field required for type "tool"'],
      [
        { tools: [{ name: 'get weather', input_schema: { type: 'object' } }] },
        "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
      ],
      // Anthropic's limit and OpenAI's: 64 (128 were let through to OpenAI: audit F6).
      [
        { tools: [{ name: 'a'.repeat(65), input_schema: { type: 'object' } }] },
        'tools.0.name: String should match pattern \'^[a-zA-Z0-9_-]{1,64}$\' (letters, digits, _ and -; at most 64 characters); "aaaaaaaaaaaaaaaaaaaa…" has 65',
      ],
      [
        { tools: [{ name: 'f', input_schema: 'x' }] },
        'tools.0.input_schema: must be a JSON Schema',
      ],
      // A client tool has its input_schema (Anthropic's `Tool`: required), as `custom` too.
      [
        { tools: [{ name: 'f', input_schema: { type: 'object' } }, { name: 'g' }] },
        'tools.1.input_schema: Field required',
      ],
      [
        { tools: [{ type: 'custom', name: 'f', input_schema: null }] },
        'tools.0.input_schema: Field required',
      ],
      [{ tools: [{ input_schema: { type: 'object' } }] }, 'tools.0.name: Field required'],
      [{ tools: ['f'] }, 'tools.0: Input should be a valid dictionary'],
      [
        { thinking: { type: 'enabled', budget_tokens: 2000 } },
        "'max_tokens' must be greater than 'thinking.budget_tokens' (the budget is part of it); got max_tokens 100 and budget_tokens 2000",
      ],
      [
        { thinking: { type: 'enabled', budget_tokens: 5 } },
        "'thinking.budget_tokens' must be an integer of at least 1024; got 5.",
      ],
      [
        { max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 3000 } },
        "'max_tokens' must be greater than 'thinking.budget_tokens'",
      ],
      [
        { messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] },
        'messages.0.content.0.tool_use_id: Field required',
      ],
      [
        { messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'f' }] }] },
        'messages.0.content.0: a tool_use block needs a string id and name',
      ],
      [
        { messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] },
        'messages.0.content.0: must be a text block',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await send(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().type).toBe('error');
      expect(res.json().error.type).toBe('invalid_request_error');
      expect(res.json().error.message).toContain(message);
    }
    const ok = await send({
      max_tokens: 4096,
      temperature: 0.5,
      stream: false,
      // Anthropic sets no count (unlike OpenAI's four).
      stop_sequences: ['END', 'STOP', 'DONE', 'FIN', 'OVER'],
      system: [{ type: 'text', text: 'Be brief.' }],
      tool_choice: { type: 'tool', name: 'f' },
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'use f' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'done' }] },
      ],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().type).toBe('message');
  });

  // Audit F7 (2026-12-06): these were served, or refused, by whichever deployment routing picked
  // (an empty user turn reached Claude as `messages: []`); Anthropic refuses each of them.
  it('refuses empty content and bad images or documents at the door, naming the field', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    });
    const send = (messages: unknown[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: { ...base, tools: [{ name: 'f', input_schema: { type: 'object' } }], messages },
      });
    const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
    const TEXT = Buffer.from('not an image at all').toString('base64');
    const user = (...content: unknown[]) => ({ role: 'user', content });
    const image = (media_type: string, data: string) => ({
      type: 'image',
      source: { type: 'base64', media_type, data },
    });
    const doc = (source: Record<string, unknown>) => ({ type: 'document', source });
    const cases: [unknown[], string, string][] = [
      [[user()], 'messages.0', 'messages.0: all messages must have non-empty content'],
      [[{ role: 'user', content: '' }], 'messages.0', 'messages.0: all messages must have'],
      [
        [user({ type: 'text', text: 'hi' }), { role: 'assistant', content: [] }, user()],
        'messages.1',
        'except for the optional final assistant message',
      ],
      [
        [user({ type: 'text', text: '' })],
        'messages.0.content.0.text',
        'messages.0.content.0.text: text content blocks must be non-empty',
      ],
      [
        [user(image('image/bmp', PNG))],
        'messages.0.content.0.source.media_type',
        "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'; got 'image/bmp'",
      ],
      [
        [user(image('image/png', '!!!notbase64'))],
        'messages.0.content.0.source.data',
        'the image data is not valid base64',
      ],
      [
        [user(image('image/png', TEXT))],
        'messages.0.content.0.source',
        'messages.0.content.0.source is not a PNG, JPEG, GIF or WebP image: its bytes are text/plain (declared image/png)',
      ],
      [
        [user(doc({ type: 'base64', media_type: 'application/zip', data: 'UEsDBA==' }))],
        'messages.0.content.0.source.media_type',
        "Input should be 'application/pdf'",
      ],
      [
        [user(doc({ type: 'text', media_type: 'text/html', data: '<p>hi</p>' }))],
        'messages.0.content.0.source.media_type',
        "Input should be 'text/plain'",
      ],
      // In a tool result too (Claude Code's Read tool returns images there).
      [
        [
          user({ type: 'text', text: 'use f' }),
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
          user({ type: 'tool_result', tool_use_id: 't1', content: [image('image/bmp', PNG)] }),
        ],
        'messages.2.content.0.content.0.source.media_type',
        'messages.2.content.0.content.0.source.media_type: Input should be',
      ],
    ];
    for (const [messages, param, message] of cases) {
      const res = await send(messages);
      expect(res.statusCode, JSON.stringify(messages)).toBe(400);
      expect(res.json().error.type).toBe('invalid_request_error');
      expect(res.json().error.message).toContain(message);
      expect(res.json().error.message.startsWith(param), res.json().error.message).toBe(true);
    }
    // What Anthropic takes: a first turn of the assistant's (its API takes one, whatever the spec
    // says), an empty final prefill, a good image, text and PDF documents with their types.
    for (const messages of [
      [{ role: 'assistant', content: 'How can I help?' }, user({ type: 'text', text: 'Hi' })],
      [user({ type: 'text', text: 'Hi' }), { role: 'assistant', content: '' }],
      [
        user(
          image('image/png', PNG),
          doc({ type: 'text', media_type: 'text/plain', data: 'The sky is green.' }),
          doc({ type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQK' }),
          { type: 'text', text: 'What colour is the sky?' },
        ),
      ],
    ]) {
      const res = await send(messages);
      expect(res.statusCode, res.body).toBe(200);
    }
    await t.app.close();
  });

  it('refuses tool_use blocks the next user turn leaves without a tool_result', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    });
    const send = (messages: unknown[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: { ...base, tools: [{ name: 'f', input_schema: { type: 'object' } }], messages },
      });
    const ask = { role: 'user', content: 'use f' };
    const calls = (...ids: string[]) => ({
      role: 'assistant',
      content: ids.map((id) => ({ type: 'tool_use', id, name: 'f', input: {} })),
    });
    const results = (...ids: string[]) => ({
      role: 'user',
      content: ids.map((id) => ({ type: 'tool_result', tool_use_id: id, content: 'done' })),
    });
    const says = (caller: number, ids: string) =>
      `messages.${caller}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message`;
    const cases: [unknown[], string][] = [
      // A user turn of text after the calls.
      [[ask, calls('t1'), { role: 'user', content: 'never mind' }], says(1, 't1')],
      // One of two parallel calls answered.
      [[ask, calls('t1', 't2'), results('t2')], says(1, 't1')],
      // The result comes a turn too late.
      [
        [ask, calls('t1'), ask, { role: 'assistant', content: 'Well?' }, results('t1')],
        says(1, 't1'),
      ],
    ];
    for (const [messages, message] of cases) {
      const res = await send(messages);
      expect(res.statusCode, JSON.stringify(messages)).toBe(400);
      expect(res.json().error.type).toBe('invalid_request_error');
      expect(res.json().error.message).toContain(message);
    }
    for (const messages of [
      // Every call answered, a system message (Claude Code's) between.
      [ask, calls('t1', 't2'), { role: 'system', content: 'note' }, results('t2', 't1')],
      // Two assistant messages in a row are one turn; two user messages too.
      [ask, calls('t1'), calls('t2'), results('t1'), results('t2')],
      // Calls that end the conversation are the upstream's to judge.
      [ask, calls('t1')],
    ]) {
      const res = await send(messages);
      expect(res.statusCode, JSON.stringify(messages)).toBe(200);
    }
    await t.app.close();
  });

  it('count_tokens refuses a client tool without input_schema too, and counts server tools', async () => {
    const t = await buildTestApp(testConfig(), {});
    const count = (tools: unknown[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/messages/count_tokens',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: { model: 'model-router', messages: base.messages, tools },
      });
    const missing = await count([{ name: 'get_weather', description: 'The weather' }]);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('tools.0.input_schema: Field required'),
      },
    });
    const server = await count([{ type: 'web_search_20250305', name: 'web_search' }]);
    expect(server.statusCode, server.body).toBe(200);
    expect(server.json().input_tokens).toBeGreaterThan(0);
  });

  // SDK 1.13's tool runner holds the conversation in a message thread (`thread: {type: create}`,
  // then `continue` with only the tool results). The router kept no thread: `create` was dropped
  // and the second turn refused as unpaired tool results (hE sweep, 2026-12-07).
  it("refuses `thread` with Anthropic's thread_unsupported_request, so the SDK's tool runner sends the whole conversation", async () => {
    const config = testConfig();
    const adapters = Object.fromEntries(
      config.deployments.map((d) => [d.name, createSimulatedAdapter(d, { sleep: async () => {} })]),
    );
    const t = await buildTestApp(config, adapters);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: { ...base, thread: { type: 'create' } },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('thread: message threads'),
      details: { error_code: 'thread_unsupported_request' },
    });
    // `thread: null` is no thread.
    const plain = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: { ...base, thread: null },
    });
    expect(plain.statusCode, plain.body).toBe(200);

    const sent: Record<string, unknown>[] = [];
    const weather = betaTool({
      name: 'get_weather',
      description: 'The weather in a city',
      inputSchema: {
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
      },
      run: (input) => `sunny in ${input.city}`,
    });
    const runner = anthropicThroughInject(t.app, { sent }).beta.messages.toolRunner({
      model: 'model-router',
      max_tokens: 200,
      tools: [weather],
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      max_iterations: 3,
    });
    const replies: string[][] = [];
    for await (const message of runner) replies.push(message.content.map((b) => b.type));
    expect(replies).toEqual([['tool_use'], ['text']]);
    // Refused once with the thread, then sent whole: the second turn has the call and its result.
    expect(sent.map((b) => b.thread ?? null)).toEqual([{ type: 'create' }, null, null]);
    const roles = (sent[2]?.messages as { role: string }[]).map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'user']);
    await t.app.close();
  });
});
