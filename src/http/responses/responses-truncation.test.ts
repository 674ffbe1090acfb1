// Responses `truncation: "auto"` on the bridged path: an input over the context window is served
// with its oldest messages left out (whole turns first, tool calls with their results), fitted to
// the largest window among the deployments that could otherwise serve it, and said in
// x-router-warnings; the stored conversation keeps everything. Without it, or when even the
// latest user message does not fit, the context-length 400 as before. A Responses-native upstream
// gets the input whole, with `truncation` as sent.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import {
  nativeCodexDeployment,
  simDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import type { ChatMessage } from '../../core/wire-types.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { createResponseStore } from '../../store/response-store.js';

type Json = Record<string, unknown>;

// 2,500 tokens each (o200k counts each "<tag> line <n>" line as 5): two do not fit `small`.
const bulky = (tag: string) => Array.from({ length: 500 }, (_, i) => `${tag} line ${i}`).join('\n');

const call = (id: string, output: string, args = `{"p":"${id}"}`): Json[] => [
  { type: 'function_call', call_id: id, name: 'read_file', arguments: args },
  { type: 'function_call_output', call_id: id, output },
];

/** Two earlier turns, each with a bulky tool result, then the latest question. */
const conversation: Json[] = [
  { role: 'user', content: 'Read the first file.' },
  ...call('call_1', bulky('first')),
  { role: 'assistant', content: 'Read it.' },
  { role: 'user', content: 'Read the second file.' },
  ...call('call_2', bulky('second')),
  { role: 'assistant', content: 'Read it too.' },
  { role: 'user', content: 'Which file is longer?' },
];

const apps: { app: { close(): Promise<unknown> } }[] = [];
afterEach(async () => {
  for (const t of apps.splice(0)) await t.app.close();
});

/** `small` reads 5,000 tokens (4,000 of prompt beside its 1,000 of output); `big` 128,000 but no tools. */
async function setup() {
  const config = testConfig({
    deployments: [
      simDeployment('big', { capabilities: { tools: false, streaming: true } }),
      simDeployment('small', { contextWindow: 5_000, maxOutputTokens: 1_000, dataZone: 'eu' }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['big', 'small'] }],
  });
  const adapters = {
    big: fakeAdapter('big', [{ reply: 'ok' }]),
    small: fakeAdapter('small', [{ reply: 'The second.' }]),
  };
  const t = await buildTestApp(config, adapters, { responses: createResponseStore() });
  apps.push(t);
  const post = (payload: Json) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { max_output_tokens: 1000, ...payload },
    });
  return { ...t, adapters, post };
}

const sent = (a: { calls: { body: { messages: ChatMessage[] } }[] }) =>
  a.calls.at(-1)!.body.messages;

describe('truncation "auto" on POST /v1/responses', () => {
  it('leaves the oldest turn out to fit, says so, and stores the whole input', async () => {
    const t = await setup();
    const res = await t.post({ model: 'small', input: conversation, truncation: 'auto' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ truncation: 'auto', model: 'small' });
    // The first turn (its question, call, result and answer) is out; the second whole.
    const messages = sent(t.adapters.small);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
    expect(messages[0]).toEqual({ role: 'user', content: 'Read the second file.' });
    expect(String(messages[2]!.content)).toContain('second line 499');
    expect(JSON.stringify(messages)).not.toContain('first line');
    expect(res.headers['x-router-warnings']).toContain(
      'truncation "auto" left the oldest 4 of 9 messages out of what the model read, to fit a 5000-token context window',
    );
    const items = await t.app.inject({
      method: 'GET',
      url: `/v1/responses/${res.json().id}/input_items?order=asc`,
    });
    expect(items.json().data).toHaveLength(conversation.length);
  });

  it('POST /v1/responses/input_tokens counts what the model would read', async () => {
    const t = await setup();
    const count = async (truncation?: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/responses/input_tokens',
        payload: { model: 'small', input: conversation, truncation, max_output_tokens: 1000 },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().input_tokens as number;
    };
    const whole = await count();
    const cut = await count('auto');
    expect(whole).toBeGreaterThan(5_000);
    expect(cut).toBeLessThanOrEqual(4_000);
    expect(cut).toBeGreaterThan(2_500);
  });

  it("streamed: the same cut, and the warning on the stream's headers", async () => {
    const t = await setup();
    const res = await t.post({
      model: 'small',
      input: conversation,
      truncation: 'auto',
      stream: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('response.completed');
    expect(sent(t.adapters.small)).toHaveLength(5);
    expect(res.headers['x-router-warnings']).toContain('truncation "auto" left the oldest 4 of 9');
  });

  it('without it (or "disabled") the over-long input is the context-length 400', async () => {
    const t = await setup();
    for (const truncation of [undefined, 'disabled']) {
      const res = await t.post({ model: 'small', input: conversation, truncation });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('context_length_exceeded');
    }
    expect(t.adapters.small.calls).toHaveLength(0);
  });

  it('an input that fits is sent whole, with no warning', async () => {
    const t = await setup();
    const res = await t.post({ model: 'small', input: conversation.slice(4), truncation: 'auto' });
    expect(res.statusCode, res.body).toBe(200);
    expect(sent(t.adapters.small)).toHaveLength(5);
    expect(res.headers['x-router-warnings']).toBeUndefined();
  });

  it('keeps the instructions and the latest question, and 400s when they alone do not fit', async () => {
    const t = await setup();
    const ok = await t.post({
      model: 'small',
      instructions: 'Answer in one word.',
      input: conversation,
      truncation: 'auto',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const messages = sent(t.adapters.small);
    expect(messages[0]).toEqual({ role: 'system', content: 'Answer in one word.' });
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'Which file is longer?' });
    const tooLong = await t.post({
      model: 'small',
      input: [...conversation.slice(0, 4), { role: 'user', content: bulky('q') + bulky('r') }],
      truncation: 'auto',
    });
    expect(tooLong.statusCode, tooLong.body).toBe(400);
    expect(tooLong.json().error.code).toBe('context_length_exceeded');
    // Nor the tool call the model answers now, with its results.
    const lastCall = await t.post({
      model: 'small',
      input: [
        { role: 'user', content: 'Compare the files.' },
        ...call('call_a', 'short'),
        ...call('call_b', bulky('q') + bulky('r')),
      ],
      truncation: 'auto',
    });
    expect(lastCall.statusCode, lastCall.body).toBe(400);
    expect(t.adapters.small.calls).toHaveLength(1);
  });

  it("within the latest turn: drops the oldest tool calls with their results, never the last one's", async () => {
    const t = await setup();
    const input = [
      { role: 'user', content: 'Compare the three files.' },
      ...call('call_a', bulky('a')),
      ...call('call_b', bulky('b')),
      ...call('call_c', 'short'),
    ];
    const res = await t.post({ model: 'small', input, truncation: 'auto' });
    expect(res.statusCode, res.body).toBe(200);
    const messages = sent(t.adapters.small);
    // call_a and its result are out together; call_b and call_c in, each with its result.
    const calls = messages.flatMap((m) =>
      m.role === 'assistant' ? (m.tool_calls ?? []).map((c) => c.id) : [],
    );
    const results = messages.flatMap((m) => (m.role === 'tool' ? [m.tool_call_id] : []));
    expect(messages[0]).toEqual({ role: 'user', content: 'Compare the three files.' });
    expect(calls).toEqual(['call_b', 'call_c']);
    expect(results).toEqual(['call_b', 'call_c']);
  });

  it('a tool call goes with its result even when the call alone is what is too long', async () => {
    const t = await setup();
    const input = [
      { role: 'user', content: 'Write both files.' },
      ...call('call_a', 'written', JSON.stringify({ text: bulky('a') + bulky('b') })),
      ...call('call_b', 'written'),
    ];
    const res = await t.post({ model: 'small', input, truncation: 'auto' });
    expect(res.statusCode, res.body).toBe(200);
    const messages = sent(t.adapters.small);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(messages[2]).toMatchObject({ role: 'tool', tool_call_id: 'call_b' });
  });

  it('through a router: fits the largest window of the deployments that could serve it', async () => {
    const t = await setup();
    // Without tools `big` (128k) serves the whole input.
    const whole = await t.post({ model: 'model-router', input: conversation, truncation: 'auto' });
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json().model).toBe('big');
    expect(sent(t.adapters.big)).toHaveLength(9);
    expect(whole.headers['x-router-warnings']).toBeUndefined();
    // With tools only `small` may: the input is cut to its window.
    const tools = [{ type: 'function', name: 'read_file', parameters: { type: 'object' } }];
    const cut = await t.post({
      model: 'model-router',
      input: conversation,
      tools,
      truncation: 'auto',
    });
    expect(cut.statusCode, cut.body).toBe(200);
    expect(cut.json().model).toBe('small');
    expect(cut.headers['x-router-warnings']).toContain('to fit a 5000-token context window');
  });
});

describe('truncation "auto" and what narrows the deployments', () => {
  it("fits the window of those the request's zone header leaves", async () => {
    const t = await setup();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      headers: { 'x-router-data-zone': 'eu' },
      payload: {
        model: 'model-router',
        input: conversation,
        truncation: 'auto',
        max_output_tokens: 1000,
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().model).toBe('small');
    expect(res.headers['x-router-warnings']).toContain('to fit a 5000-token context window');
  });
});

describe('truncation "auto" and a Responses-native upstream', () => {
  it('gets the input whole, with truncation as sent, and no warning', async () => {
    const config = testConfig({
      deployments: [{ ...nativeCodexDeployment(), contextWindow: 5_000, maxOutputTokens: 1_000 }],
      routers: [],
    });
    const { http, sent: upstream } = scriptedHttp(() => ({
      body: {
        id: 'resp_up',
        object: 'response',
        status: 'completed',
        model: 'gpt-5.1-codex',
        output: [
          {
            type: 'message',
            id: 'msg_up',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'The second.', annotations: [] }],
          },
        ],
        usage: { input_tokens: 4000, output_tokens: 3, total_tokens: 4003 },
      },
    }));
    const t = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { responses: createResponseStore() },
    );
    apps.push(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'codex', input: conversation, truncation: 'auto', max_output_tokens: 1000 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-router-warnings']).toBeUndefined();
    const body = JSON.parse(upstream[0]!.body) as Json;
    expect(body.truncation).toBe('auto');
    expect(body.input).toHaveLength(conversation.length);
  });
});
