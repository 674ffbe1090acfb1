// Server-side compaction on `POST /v1/responses`: `context_management` compacts a turn whose
// context is over its threshold before serving it (the response's first output item is the
// compaction item), a final `compaction_trigger` input item compacts now with no answer, and the
// turns that continue a compacted one (previous_response_id, conversation, or its output appended
// to the input) carry the compacted context. The pass is logged as `responses.compact`.
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import {
  testConfig,
  testConfigInput,
  nativeCodexDeployment,
} from '../../../test/helpers/test-config.js';
import { parseConfig } from '../../config/load-config.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';
import type { ChatMessage } from '../../core/wire-types.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { createResponseStore } from '../../store/response-store.js';
import { SUMMARY_HEADING } from './compaction-item.js';
import { COMPACTION_INSTRUCTIONS } from './responses-compact.js';

type Json = Record<string, unknown>;

const SUMMARY = 'The user wants a dog cafe landing page; index.html (2 KB) was written.';
const COMPACTED = `${SUMMARY_HEADING}\n\n${SUMMARY}`;
// A tool result of some 3,000 tokens: the context is over a threshold of 1,000 with it.
const BULKY = Array.from({ length: 1500 }, (_, i) => `line ${i}`).join('\n');
const compaction = [{ type: 'compaction', compact_threshold: 1000 }];

const conversation: Json[] = [
  { role: 'user', content: 'Create a landing page for a dog cafe.' },
  { type: 'function_call', call_id: 'call_1', name: 'write_file', arguments: '{"p":"index.html"}' },
  { type: 'function_call_output', call_id: 'call_1', output: BULKY },
  { role: 'user', content: 'Make the title bigger.' },
];
/** What a turn on the compacted `conversation` is sent. */
const compactedContext = [
  { role: 'user', content: 'Create a landing page for a dog cafe.' },
  { role: 'user', content: 'Make the title bigger.' },
  { role: 'user', content: COMPACTED },
];

const apps: { app: { close(): Promise<unknown> } }[] = [];
afterEach(async () => {
  for (const t of apps.splice(0)) await t.app.close();
});

async function setup(
  script: Step[] = [{ reply: SUMMARY }, { reply: 'Title enlarged.' }, { reply: SUMMARY }],
) {
  const adapters = {
    big: fakeAdapter('big', script),
    mid: fakeAdapter('mid', [{ reply: 'Footer added.' }]),
    small: fakeAdapter('small', [{ reply: 'ok' }]),
  };
  const t = await buildTestApp(testConfig(), adapters, {
    authenticator: tenants,
    responses: createResponseStore(),
  });
  apps.push(t);
  const post = (url: string, payload: Json) =>
    t.app.inject({ method: 'POST', url, headers: as('team-a'), payload });
  return { ...t, adapters, post };
}

const sentTo = (a: { calls: { body: { messages: ChatMessage[] } }[] }, n = -1) =>
  a.calls.at(n)!.body.messages;

describe('context_management on POST /v1/responses', () => {
  it('under its threshold: the turn is served as it is, with nothing more logged', async () => {
    const t = await setup([{ reply: 'Hello.' }]);
    const res = await t.post('/v1/responses', {
      model: 'big',
      input: 'hi',
      context_management: compaction,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().output.map((i: Json) => i.type)).toEqual(['message']);
    expect(t.adapters.big.calls).toHaveLength(1);
    expect(sentTo(t.adapters.big)).toEqual([{ role: 'user', content: 'hi' }]);
    expect(t.records.map((r) => r.endpoint)).toEqual(['responses']);
  });

  it('over it: compacts first, serves the turn on the summary, and the next turns carry it', async () => {
    const t = await setup();
    const res = await t.post('/v1/responses', {
      model: 'big',
      input: conversation,
      context_management: compaction,
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.output.map((i: Json) => i.type)).toEqual(['compaction', 'message']);
    expect(body.output[0]).toEqual({
      id: expect.stringMatching(/^cmp_/),
      type: 'compaction',
      encrypted_content: expect.stringMatching(/^mr_compaction\.v1\./),
    });
    expect(body.output[1].content[0].text).toBe('Title enlarged.');
    // The pass saw the whole conversation; the turn got the user's messages and the summary.
    const [pass, turn] = t.adapters.big.calls.map((c) => c.body.messages);
    expect(pass![0]).toEqual({ role: 'system', content: COMPACTION_INSTRUCTIONS });
    expect(String(pass![1]!.content)).toContain('line 1499');
    expect(turn).toEqual(compactedContext);
    // Both logged, each with its cost: the pass as responses.compact, the turn as responses.
    expect(t.records.map((r) => [r.endpoint, r.deployment])).toEqual([
      ['responses.compact', 'big'],
      ['responses', 'big'],
    ]);
    // The usage is the turn's (the pass is billed in its own record).
    expect(body.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });

    // Continued by previous_response_id, on another deployment: the compacted context.
    const next = await t.post('/v1/responses', {
      model: 'mid',
      previous_response_id: body.id,
      input: 'Now add a footer.',
      context_management: compaction,
    });
    expect(next.statusCode, next.body).toBe(200);
    expect(next.json().output.map((i: Json) => i.type)).toEqual(['message']);
    const continued = [
      ...compactedContext,
      { role: 'assistant', content: 'Title enlarged.' },
      { role: 'user', content: 'Now add a footer.' },
    ];
    expect(sentTo(t.adapters.mid)).toEqual(continued);
    // Its own input items: this turn's user messages and the summary (not the whole conversation).
    const items = await t.app.inject({
      method: 'GET',
      url: `/v1/responses/${body.id}/input_items?order=asc`,
      headers: as('team-a'),
    });
    expect(items.json().data.map((i: Json) => (i.content as Json[])[0]!.text)).toEqual([
      'Create a landing page for a dog cafe.',
      'Make the title bigger.',
      COMPACTED,
    ]);

    // Continued statelessly, its output appended to the input as OpenAI's guide says: the same.
    const stateless = await t.post('/v1/responses', {
      model: 'mid',
      input: [...conversation, ...body.output, { role: 'user', content: 'Now add a footer.' }],
      context_management: compaction,
    });
    expect(stateless.statusCode, stateless.body).toBe(200);
    expect(sentTo(t.adapters.mid)).toEqual(continued);
    expect(t.records.filter((r) => r.endpoint === 'responses.compact')).toHaveLength(1);
  });

  it('a conversation (Conversations API) goes on from the compacted context', async () => {
    const t = await setup();
    const created = await t.post('/v1/conversations', { items: conversation.slice(0, 3) });
    expect(created.statusCode, created.body).toBe(200);
    const id = created.json().id as string;
    const first = await t.post('/v1/responses', {
      model: 'big',
      conversation: id,
      input: 'Make the title bigger.',
      context_management: compaction,
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().output[0].type).toBe('compaction');
    expect(sentTo(t.adapters.big)).toEqual(compactedContext);
    const second = await t.post('/v1/responses', {
      model: 'mid',
      conversation: id,
      input: 'Now add a footer.',
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(sentTo(t.adapters.mid)).toEqual([
      ...compactedContext,
      { role: 'assistant', content: 'Title enlarged.' },
      { role: 'user', content: 'Now add a footer.' },
    ]);
  });

  it('streamed: the compaction item is announced first, then the answer', async () => {
    const t = await setup();
    const res = await t.post('/v1/responses', {
      model: 'big',
      input: conversation,
      context_management: compaction,
      stream: true,
    });
    expect(res.statusCode).toBe(200);
    const events = res.body
      .split('\n\n')
      .filter((b) => b.startsWith('event:'))
      .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)) as Json);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.slice(0, 6).map((e) => [e.type, e.output_index ?? null])).toEqual([
      ['response.created', null],
      ['response.in_progress', null],
      ['response.output_item.added', 0],
      ['response.compaction.compacting', 0],
      ['response.output_item.done', 0],
      ['response.output_item.added', 1],
    ]);
    const item = (events[4]!.item as Json).id;
    expect(events[3]!.item_id).toBe(item);
    const done = events.at(-1)!;
    expect(done.type).toBe('response.completed');
    const output = (done.response as Json).output as Json[];
    expect(output.map((i) => [i.type, i.id === item])).toEqual([
      ['compaction', true],
      ['message', false],
    ]);
    expect(sentTo(t.adapters.big)).toEqual(compactedContext);
  });

  it('in the background: the run compacts, then answers', async () => {
    const t = await setup();
    const res = await t.post('/v1/responses', {
      model: 'big',
      input: conversation,
      context_management: compaction,
      background: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('queued');
    let r: Json;
    for (;;) {
      r = (
        await t.app.inject({
          method: 'GET',
          url: `/v1/responses/${res.json().id}`,
          headers: as('team-a'),
        })
      ).json();
      if (r.status !== 'queued' && r.status !== 'in_progress') break;
      await new Promise((done) => setTimeout(done, 5));
    }
    expect(r.status).toBe('completed');
    expect((r.output as Json[]).map((i) => i.type)).toEqual(['compaction', 'message']);
    expect(sentTo(t.adapters.big)).toEqual(compactedContext);
    expect(t.records.map((x) => x.endpoint)).toEqual(['responses.compact', 'responses']);
    // Streamed in the background: the same events, kept for followers.
    const streamed = await t.post('/v1/responses', {
      model: 'big',
      input: conversation,
      context_management: compaction,
      background: true,
      stream: true,
    });
    expect(streamed.statusCode).toBe(200);
    const types = streamed.body
      .split('\n\n')
      .filter((b) => b.startsWith('event:'))
      .map((b) => (JSON.parse(b.slice(b.indexOf('data: ') + 6)) as Json).type);
    expect(types.slice(0, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.compaction.compacting',
      'response.output_item.done',
    ]);
    expect(types.at(-1)).toBe('response.completed');
  });

  it('checks context_management: its type and a threshold of at least 1000', async () => {
    const t = await setup();
    for (const [context_management, param] of [
      [[{ type: 'truncation' }], 'context_management[0].type'],
      [[{ type: 'compaction' }, {}], 'context_management[1].type'],
      [[{ type: 'compaction', compact_threshold: 999 }], 'context_management[0].compact_threshold'],
      [
        [{ type: 'compaction', compact_threshold: 1500.5 }],
        'context_management[0].compact_threshold',
      ],
      [
        [{ type: 'compaction', compact_threshold: '2000' }],
        'context_management[0].compact_threshold',
      ],
      [{ type: 'compaction' }, 'context_management'],
      [[], 'context_management'],
    ] as const) {
      const res = await t.post('/v1/responses', { model: 'big', input: 'hi', context_management });
      expect(res.statusCode, JSON.stringify(context_management)).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
    const ok = await t.post('/v1/responses', {
      model: 'big',
      input: 'hi',
      context_management: [{ type: 'compaction', compact_threshold: 1000 }],
    });
    expect(ok.statusCode).toBe(200);
    expect(t.adapters.big.calls).toHaveLength(1);
  });

  it('without compact_threshold: compacts over 80% of the smallest context window', async () => {
    // `small` has a context window of 20,000 tokens: model-router compacts over 16,000.
    const base = testConfigInput();
    const config = parseConfig(
      {
        ...base,
        deployments: base.deployments!.map((d) =>
          d.name === 'small' ? { ...d, contextWindow: 20_000 } : d,
        ),
      },
      {},
    ).config;
    const reply: Step = { reply: 'ok' };
    const fleet = { big: fakeAdapter('big', [reply]), mid: fakeAdapter('mid', [reply]) };
    const t = await buildTestApp(
      config,
      { ...fleet, small: fakeAdapter('small', [reply]) },
      { authenticator: tenants, responses: createResponseStore() },
    );
    apps.push(t);
    const post = (input: Json[], threshold?: null) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        headers: as('team-a'),
        payload: {
          model: 'model-router',
          input,
          context_management: [{ type: 'compaction', compact_threshold: threshold }],
        },
      });
    const under = await post(conversation);
    expect(under.statusCode, under.body).toBe(200);
    expect(under.json().output[0].type).toBe('message');
    // Four times the tool output is over it.
    const call = conversation.slice(1, 3);
    const over = await post([conversation[0]!, ...call, ...call, ...call, ...call], null);
    expect(over.statusCode, over.body).toBe(200);
    expect(over.json().output[0].type).toBe('compaction');
    expect(t.records.map((r) => r.endpoint)).toEqual([
      'responses',
      'responses.compact',
      'responses',
    ]);
  });
});

describe('a compaction_trigger input item', () => {
  it('compacts now: the response is the compaction item alone, and the next turn goes on from it', async () => {
    const t = await setup([{ reply: SUMMARY }, { reply: 'Title enlarged.' }]);
    const res = await t.post('/v1/responses', {
      model: 'big',
      input: [...conversation.slice(0, 3), { type: 'compaction_trigger' }],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'big' });
    expect(body.output.map((i: Json) => i.type)).toEqual(['compaction']);
    expect(body.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });
    expect(t.adapters.big.calls).toHaveLength(1);
    expect(sentTo(t.adapters.big)[0]).toEqual({ role: 'system', content: COMPACTION_INSTRUCTIONS });
    expect(t.records.map((r) => r.endpoint)).toEqual(['responses.compact']);
    const next = await t.post('/v1/responses', {
      model: 'mid',
      previous_response_id: body.id,
      input: 'Make the title bigger.',
    });
    expect(next.statusCode, next.body).toBe(200);
    expect(sentTo(t.adapters.mid)).toEqual([
      compactedContext[0],
      compactedContext[2],
      { role: 'user', content: 'Make the title bigger.' },
    ]);
  });

  it('streamed: created, the compaction item, completed', async () => {
    const t = await setup();
    const res = await t.post('/v1/responses', {
      model: 'big',
      input: [...conversation, { type: 'compaction_trigger', id: 'ct_1' }],
      stream: true,
    });
    expect(res.statusCode).toBe(200);
    const types = res.body
      .split('\n\n')
      .filter((b) => b.startsWith('event:'))
      .map((b) => (JSON.parse(b.slice(b.indexOf('data: ') + 6)) as Json).type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.compaction.compacting',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('anywhere but last is a 400 naming it; errors name the items as sent', async () => {
    const t = await setup();
    const early = await t.post('/v1/responses', {
      model: 'big',
      input: [{ type: 'compaction_trigger' }, { role: 'user', content: 'hi' }],
    });
    expect(early.statusCode).toBe(400);
    expect(early.json().error.param).toBe('input[0]');
    expect(early.json().error.message).toMatch(/final input item/);
    // Items before a compaction item are left out; a bad one after it is named where it was sent.
    const compacted = await t.post('/v1/responses', {
      model: 'big',
      input: [...conversation.slice(0, 3), { type: 'compaction_trigger' }],
    });
    const bad = await t.post('/v1/responses', {
      model: 'big',
      input: [...conversation, ...compacted.json().output, { role: 'robot', content: 'x' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe('input[5].role');
    expect(t.adapters.big.calls).toHaveLength(1);
  });
});

describe('the official openai SDK', () => {
  it('sends context_management and reads the compacted response, JSON and streamed', async () => {
    const script: Step[] = [
      { reply: SUMMARY },
      { reply: 'Title enlarged.' },
      { reply: SUMMARY },
      { reply: 'Title enlarged.' },
    ];
    const t = await setup(script);
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'team-a', maxRetries: 0 });
    const input = conversation as unknown as OpenAI.Responses.ResponseInputItem[];
    const context_management = [{ type: 'compaction', compact_threshold: 1000 }];
    const created = await client.responses.create({ model: 'big', input, context_management });
    expect(created.output.map((i) => i.type)).toEqual(['compaction', 'message']);
    expect(created.output_text).toBe('Title enlarged.');
    const stream = client.responses.stream({ model: 'big', input, context_management });
    const seen: string[] = [];
    stream.on('event', (e) => seen.push(e.type));
    const final = await stream.finalResponse();
    expect(final.output.map((i) => i.type)).toEqual(['compaction', 'message']);
    expect(final.output_text).toBe('Title enlarged.');
    expect(seen).toContain('response.compaction.compacting');
  });
});

describe('a native Responses upstream', () => {
  it('is not asked to compact: it gets the compacted input, without context_management', async () => {
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
              output: [
                {
                  type: 'message',
                  id: 'msg_up',
                  status: 'completed',
                  role: 'assistant',
                  content: [{ type: 'output_text', text: 'Done.', annotations: [] }],
                },
              ],
              usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
            },
          },
    );
    const t = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { responses: createResponseStore() },
    );
    apps.push(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'codex', input: conversation, context_management: compaction },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().output.map((i: Json) => i.type)).toEqual(['compaction', 'message']);
    expect(sent.map((r) => new URL(r.url).pathname)).toEqual([
      '/v1/chat/completions',
      '/v1/responses',
    ]);
    const upstream = JSON.parse(sent[1]!.body) as Json;
    expect(upstream.context_management).toBeUndefined();
    expect((upstream.input as Json[]).map((i) => i.content)).toEqual(
      compactedContext.map((m) => m.content),
    );
  });
});
