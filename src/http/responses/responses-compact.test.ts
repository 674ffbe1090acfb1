// `POST /v1/responses/compact`: the routed model summarises the conversation; the reply keeps the
// user's messages and one compaction item of this router's, which the next `POST /v1/responses`
// turns back into the summary for whichever deployment serves it. A compaction item made by
// another server is a 400 that says what to send.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { testConfig, nativeCodexDeployment } from '../../../test/helpers/test-config.js';
import type { ChatMessage } from '../../core/wire-types.js';
import { createResponseStore } from '../../store/response-store.js';
import { SUMMARY_HEADING } from './compaction-item.js';
import { COMPACTION_INSTRUCTIONS } from './responses-compact.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';

type Json = Record<string, unknown>;

const SUMMARY = 'The user wants a landing page for a dog cafe; index.html was written.';

async function setup() {
  const script = [{ reply: SUMMARY }, { reply: 'Added a footer.' }, { reply: 'Second summary.' }];
  const adapters = {
    big: fakeAdapter('big', script),
    mid: fakeAdapter('mid', script),
    small: fakeAdapter('small', script),
  };
  const t = await buildTestApp(testConfig(), adapters, {
    authenticator: tenants,
    responses: createResponseStore(),
  });
  const post = (url: string, payload: Json, tenant = 'team-a') =>
    t.app.inject({ method: 'POST', url, headers: as(tenant), payload });
  return { ...t, adapters, post };
}

// A conversation as the Agents SDK and the Codex CLI send it (openapi.yaml's example, with a tool call).
const conversation: Json[] = [
  { role: 'user', content: 'Create a simple landing page for a dog petting cafe.' },
  {
    id: 'msg_001',
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', annotations: [], text: 'I will write index.html.' }],
  },
  {
    type: 'function_call',
    call_id: 'call_1',
    name: 'write_file',
    arguments: '{"path":"index.html"}',
  },
  { type: 'function_call_output', call_id: 'call_1', output: 'written 2 KB' },
  { role: 'user', content: [{ type: 'input_text', text: 'Make the title bigger.' }] },
];

const lastMessages = (a: { calls: { body: { messages: ChatMessage[] } }[] }, n = 0) =>
  a.calls[a.calls.length - 1 - n]!.body.messages;

describe('POST /v1/responses/compact', () => {
  it("keeps the user messages and adds a compaction item carrying the routed model's summary", async () => {
    const t = await setup();
    const res = await t.post('/v1/responses/compact', { model: 'big', input: conversation });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ object: 'response.compaction', usage: { input_tokens: 10 } });
    expect(body.id).toMatch(/^resp_/);
    expect(typeof body.created_at).toBe('number');
    expect(body.output).toHaveLength(3);
    expect(body.output.slice(0, 2)).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        status: 'completed',
        role: 'user',
        content: [
          { type: 'input_text', text: 'Create a simple landing page for a dog petting cafe.' },
        ],
      },
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        status: 'completed',
        role: 'user',
        content: [{ type: 'input_text', text: 'Make the title bigger.' }],
      },
    ]);
    const item = body.output[2];
    expect(item).toMatchObject({ type: 'compaction', id: expect.stringMatching(/^cmp_/) });
    expect(item.encrypted_content).toMatch(/^mr_compaction\.v1\./);
    // The routed model was asked for a summary of the whole conversation, tool turns as text.
    const sent = lastMessages(t.adapters.big);
    expect(sent[0]).toEqual({ role: 'system', content: COMPACTION_INSTRUCTIONS });
    const transcript = String(sent[1]!.content);
    for (const part of [
      '[user]\nCreate a simple landing page',
      '[assistant]\nI will write index.html.',
      '[assistant calls tool write_file (call call_1)]\n{"path":"index.html"}',
      '[result of tool call call_1]\nwritten 2 KB',
      '[user]\nMake the title bigger.',
    ])
      expect(transcript).toContain(part);
    expect(sent).toHaveLength(2);
    // Logged as a Responses call of its own kind, on the served deployment.
    expect(t.records).toHaveLength(1);
    expect(t.records[0]).toMatchObject({ endpoint: 'responses.compact', deployment: 'big' });
    expect(res.headers['x-router-deployment']).toBe('big');
  });

  it('its output continues the conversation: the next model gets the summary, on any deployment', async () => {
    const t = await setup();
    const compacted = await t.post('/openai/v1/responses/compact', {
      model: 'big',
      input: conversation,
    });
    expect(compacted.statusCode).toBe(200);
    const next = await t.post('/v1/responses', {
      model: 'mid',
      input: [...compacted.json().output, { role: 'user', content: 'Now add a footer.' }],
    });
    expect(next.statusCode).toBe(200);
    expect(lastMessages(t.adapters.mid)).toEqual([
      { role: 'user', content: 'Create a simple landing page for a dog petting cafe.' },
      { role: 'user', content: 'Make the title bigger.' },
      { role: 'user', content: `${SUMMARY_HEADING}\n\n${SUMMARY}` },
      { role: 'user', content: 'Now add a footer.' },
    ]);
    // Compacted again: the earlier summary goes into the new one, and is not kept as a user message.
    const again = await t.post('/v1/responses/compact', {
      model: 'big',
      input: [...compacted.json().output, { role: 'user', content: 'Now add a footer.' }],
    });
    expect(again.statusCode).toBe(200);
    const kept = (again.json().output as Json[]).filter((i) => i.type === 'message');
    expect(kept.map((m) => (m.content as Json[])[0]!.text)).toEqual([
      'Create a simple landing page for a dog petting cafe.',
      'Make the title bigger.',
      'Now add a footer.',
    ]);
    expect(String(lastMessages(t.adapters.big)[1]!.content)).toContain(
      `[summary of the conversation before this point]\n${SUMMARY}`,
    );
    // input_tokens counts the summary the item carries.
    const counted = await t.post('/v1/responses/input_tokens', {
      model: 'mid',
      input: compacted.json().output,
    });
    const spelled = await t.post('/v1/responses/input_tokens', {
      model: 'mid',
      input: [
        { role: 'user', content: 'Create a simple landing page for a dog petting cafe.' },
        { role: 'user', content: 'Make the title bigger.' },
        { role: 'user', content: `${SUMMARY_HEADING}\n\n${SUMMARY}` },
      ],
    });
    expect(counted.json().input_tokens).toBe(spelled.json().input_tokens);
  });

  it('refuses a compaction item another server made, naming it, on create, count and compact', async () => {
    const t = await setup();
    const foreign = [
      { role: 'user', content: 'hi' },
      { type: 'compaction', id: 'cmp_001', encrypted_content: 'gAAAAABpM0Yj-xyz=' },
      { role: 'user', content: 'go on' },
    ];
    for (const url of ['/v1/responses', '/v1/responses/input_tokens', '/v1/responses/compact']) {
      const res = await t.post(url, { model: 'big', input: foreign });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.param, url).toBe('input[1].encrypted_content');
      expect(res.json().error.message, url).toMatch(/POST \/v1\/responses\/compact/);
    }
    const garbled = await t.post('/v1/responses', {
      model: 'big',
      input: [{ type: 'compaction', encrypted_content: 'mr_compaction.v1.!!!' }],
    });
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json().error.param).toBe('input[0].encrypted_content');
    expect(t.adapters.big.calls).toHaveLength(0);
  });

  it('compacts the stored conversation of previous_response_id, for its own tenant only', async () => {
    const t = await setup();
    const first = await t.post('/v1/responses', { model: 'mid', input: 'Plan a trip to Rome.' });
    expect(first.statusCode).toBe(200);
    const id = first.json().id as string;
    const theirs = await t.post(
      '/v1/responses/compact',
      { model: 'big', previous_response_id: id },
      'team-b',
    );
    expect(theirs.statusCode).toBe(400);
    expect(theirs.json().error.code).toBe('previous_response_not_found');
    expect(t.adapters.big.calls).toHaveLength(0);
    const mine = await t.post('/v1/responses/compact', { model: 'big', previous_response_id: id });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().output[0].content).toEqual([
      { type: 'input_text', text: 'Plan a trip to Rome.' },
    ]);
    expect(String(lastMessages(t.adapters.big)[1]!.content)).toContain(
      `[assistant]\n${SUMMARY}`, // mid's scripted first answer
    );
  });

  it('checks the body as POST /v1/responses does', async () => {
    const t = await setup();
    expect((await t.post('/v1/responses/compact', { input: 'hi' })).json().error.param).toBe(
      'model',
    );
    expect((await t.post('/v1/responses/compact', { model: 'big' })).json().error.param).toBe(
      'input',
    );
    const empty = await t.post('/v1/responses/compact', { model: 'big', input: [] });
    expect(empty.statusCode).toBe(400);
    expect(t.records).toHaveLength(0);
  });

  it("refuses a field OpenAI's compact does not take, naming it, and takes what the Codex CLI sends", async () => {
    const t = await setup();
    const stream = await t.post('/v1/responses/compact', {
      model: 'big',
      input: conversation,
      stream: true,
    });
    expect(stream.statusCode).toBe(400);
    expect(stream.json().error).toEqual({
      message:
        "Unknown parameter: 'stream'. POST /v1/responses/compact takes no 'stream': a compaction is answered as one JSON object, never streamed: remove it.",
      type: 'invalid_request_error',
      param: 'stream',
      code: 'unknown_parameter',
    });
    const temperature = await t.post('/v1/responses/compact', {
      model: 'big',
      input: conversation,
      temperature: 0.2,
    });
    expect(temperature.json().error).toMatchObject({
      param: 'temperature',
      code: 'unknown_parameter',
      message: expect.stringMatching(
        /^Unknown parameter: 'temperature'\. POST \/v1\/responses\/compact takes model, input, previous_response_id, instructions, /,
      ),
    });
    const emptyId = await t.post('/v1/responses/compact', {
      model: 'big',
      previous_response_id: '',
    });
    expect(emptyId.json().error).toMatchObject({
      param: 'previous_response_id',
      code: 'empty_string',
    });
    const conv = await t.post('/v1/responses/compact', { model: 'big', conversation: 'conv_1' });
    expect(conv.json().error).toMatchObject({ param: 'conversation', code: 'unknown_parameter' });
    // The fields it takes are checked as POST /v1/responses checks them.
    const tier = await t.post('/v1/responses/compact', {
      model: 'big',
      input: conversation,
      service_tier: 1,
    });
    expect(tier.json().error).toMatchObject({ param: 'service_tier', code: 'invalid_type' });
    const cacheOptions = await t.post('/v1/responses/compact', {
      model: 'big',
      input: conversation,
      prompt_cache_options: 'implicit',
    });
    expect(cacheOptions.json().error).toMatchObject({
      param: 'prompt_cache_options',
      code: 'invalid_type',
    });
    expect(t.records).toHaveLength(0);
    // codex-rs `CompactionInput`, as the Codex CLI sends it.
    const codex = await t.post('/v1/responses/compact', {
      model: 'big',
      input: conversation,
      instructions: 'You are Codex.',
      tools: [{ type: 'function', name: 'write_file', parameters: { type: 'object' } }],
      parallel_tool_calls: true,
      reasoning: { effort: 'medium' },
      service_tier: 'priority',
      prompt_cache_key: 'session-1',
      text: { verbosity: 'low' },
    });
    expect(codex.statusCode).toBe(200);
    expect(codex.json().object).toBe('response.compaction');
  });

  it("uses the router's own compaction on a native Responses upstream, whose next turn gets the summary", async () => {
    const config = testConfig({
      deployments: [nativeCodexDeployment()],
      routers: [],
    });
    const { http, sent } = scriptedHttp((url) =>
      url.pathname.endsWith('/chat/completions')
        ? {
            body: {
              id: 'chatcmpl-1',
              object: 'chat.completion',
              model: 'gpt-5.1-codex',
              choices: [
                {
                  index: 0,
                  finish_reason: 'stop',
                  message: { role: 'assistant', content: SUMMARY },
                },
              ],
              usage: { prompt_tokens: 50, completion_tokens: 12, total_tokens: 62 },
            },
          }
        : {
            body: {
              id: 'resp_up',
              object: 'response',
              status: 'completed',
              model: 'gpt-5.1-codex',
              output: [],
              usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
            },
          },
    );
    const t = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { responses: createResponseStore() },
    );
    const compacted = await t.app.inject({
      method: 'POST',
      url: '/v1/responses/compact',
      payload: { model: 'codex', input: conversation },
    });
    expect(compacted.statusCode).toBe(200);
    expect(sent.map((r) => new URL(r.url).pathname)).toEqual(['/v1/chat/completions']);
    expect(compacted.json().usage).toMatchObject({ input_tokens: 50, output_tokens: 12 });
    const next = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'codex',
        input: [...compacted.json().output, { role: 'user', content: 'Now add a footer.' }],
      },
    });
    expect(next.statusCode).toBe(200);
    expect(new URL(sent[1]!.url).pathname).toBe('/v1/responses');
    const input = (JSON.parse(sent[1]!.body) as { input: Json[] }).input;
    expect(input.map((i) => i.type ?? 'message')).toEqual([
      'message',
      'message',
      'message',
      'message',
    ]);
    expect(input[2]).toEqual({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: `${SUMMARY_HEADING}\n\n${SUMMARY}` }],
    });
  });
});
