// The Conversations API through the HTTP routes (`app.inject()`): create with items and metadata,
// retrieve, update, delete, items added, listed (order, cursor), retrieved and deleted, per tenant;
// and Responses turns on a conversation whichever upstream answers (OpenAI and Azure bridged to
// chat, a native Responses upstream, Claude, through their real adapters over recording HTTP
// clients): the conversation's items are the context, the turn's input and output are appended
// once it completed (JSON, streamed, background), nothing when it failed or was cancelled, and a
// second response while one runs is refused with `conversation_locked`.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import { recordedUpstreams, upstreamDeployment } from '../../../test/helpers/recorded-upstreams.js';
import { gatedAdapter } from '../../../test/helpers/gated-adapter.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import type { ProviderAdapter } from '../../providers/types.js';
import { createMemoryConversationObjectStore } from '../../store/memory/memory-conversation-object-store.js';
import { createResponseStore } from '../../store/response-store.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';

type Json = Record<string, unknown>;

const A = as('team-a');
const B = as('team-b');

async function setup(script: Step[] = [{ reply: 'four' }]) {
  const upstreams = recordedUpstreams();
  let n = 0;
  // A Responses upstream: each answer's output item has an id of its own, as OpenAI's have.
  const native = scriptedHttp(() => ({
    body: {
      id: `resp_up${++n}`,
      object: 'response',
      status: 'completed',
      model: 'gpt-4.1',
      output: [
        {
          type: 'message',
          id: `msg_up${n}`,
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'four', annotations: [] }],
        },
      ],
      usage: { input_tokens: 9, output_tokens: 1, total_tokens: 10 },
    },
  }));
  const config = testConfig({
    deployments: [
      simDeployment('small', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
      simDeployment('big', { prices: { inputPer1M: 10, outputPer1M: 30 } }),
      simDeployment('gate', { prices: { inputPer1M: 10, outputPer1M: 30 } }),
      ...upstreams.deployments,
      upstreamDeployment('native', 'openai', {
        capabilities: { tools: true, streaming: true, responsesApi: true },
      }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['small', 'big'] }],
  });
  const d = (name: string) => config.deployments.find((x) => x.name === name) as DeploymentConfig;
  const gate = gatedAdapter('gate-sim', ['do'], ['ne']);
  const adapters: Record<string, ProviderAdapter> = {
    small: fakeAdapter('small', script),
    big: fakeAdapter('big', script),
    gate,
    ...upstreams.adapters(config.deployments),
    native: createOpenAiAdapter(d('native'), native.http, {}),
  };
  const conversations = createMemoryConversationObjectStore(100);
  const t = await buildTestApp(config, adapters, {
    authenticator: tenants,
    responses: createResponseStore(100),
    conversations,
  });
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Json, headers = A) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  return {
    ...t,
    gate,
    conversations,
    sent: { ...upstreams.sent, native: native.sent },
    call,
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function newConversation(t: Setup, body: Json = {}): Promise<string> {
  const res = await t.call('POST', '/v1/conversations', body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().id as string;
}

/** The texts of a conversation's items, oldest first. */
async function texts(t: Setup, id: string): Promise<string[]> {
  const res = await t.call('GET', `/v1/conversations/${id}/items?order=asc&limit=100`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().data as Json[]).map((item) =>
    (item.content as Json[]).map((p) => String(p.text)).join(''),
  );
}

describe('the Conversations API', () => {
  it('creates, retrieves, updates and deletes a conversation, for its tenant only', async () => {
    const t = await setup();
    const created = await t.call('POST', '/v1/conversations', {
      metadata: { topic: 'demo' },
      items: [{ type: 'message', role: 'user', content: 'Hello!' }],
    });
    expect(created.statusCode, created.body).toBe(200);
    const conv = created.json();
    expect(conv).toMatchObject({ object: 'conversation', metadata: { topic: 'demo' } });
    expect(conv.id).toMatch(/^conv_/);
    expect(typeof conv.created_at).toBe('number');
    expect((await t.call('GET', `/v1/conversations/${conv.id}`)).json()).toEqual(conv);
    const items = (await t.call('GET', `/v1/conversations/${conv.id}/items`)).json();
    expect(items).toMatchObject({ object: 'list', has_more: false });
    expect(items.data).toEqual([
      {
        id: items.first_id,
        type: 'message',
        status: 'completed',
        role: 'user',
        content: [{ type: 'input_text', text: 'Hello!' }],
      },
    ]);
    // Another tenant sees nothing of it, and cannot change it.
    for (const [method, url, body] of [
      ['GET', `/v1/conversations/${conv.id}`],
      ['POST', `/v1/conversations/${conv.id}`, { metadata: {} }],
      ['GET', `/v1/conversations/${conv.id}/items`],
      ['GET', `/v1/conversations/${conv.id}/items/${items.first_id}`],
      ['POST', `/v1/conversations/${conv.id}/items`, { items: [{ role: 'user', content: 'x' }] }],
      ['DELETE', `/v1/conversations/${conv.id}/items/${items.first_id}`],
      ['DELETE', `/v1/conversations/${conv.id}`],
    ] as const) {
      const res = await t.call(method, url, body as Json | undefined, B);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const updated = await t.call('POST', `/v1/conversations/${conv.id}`, {
      metadata: { stage: 'eval' },
    });
    expect(updated.json()).toEqual({ ...conv, metadata: { stage: 'eval' } });
    // Azure's paths reach the same conversation.
    const azure = await t.call(
      'GET',
      `/openai/conversations/${conv.id}?api-version=2025-04-01-preview`,
    );
    expect(azure.json()).toEqual({ ...conv, metadata: { stage: 'eval' } });
    expect((await t.call('GET', `/openai/v1/conversations/${conv.id}`)).statusCode).toBe(200);
    const deleted = await t.call('DELETE', `/v1/conversations/${conv.id}`);
    expect(deleted.json()).toEqual({ id: conv.id, object: 'conversation.deleted', deleted: true });
    expect((await t.call('GET', `/v1/conversations/${conv.id}`)).statusCode).toBe(404);
  });

  it('adds, lists (desc by default, cursor), retrieves and deletes items', async () => {
    const t = await setup();
    const id = await newConversation(t);
    const added = await t.call('POST', `/v1/conversations/${id}/items`, {
      items: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one' }] },
        { role: 'assistant', content: 'two' },
        { type: 'message', id: 'msg_mine', role: 'user', content: 'three' },
      ],
    });
    expect(added.statusCode, added.body).toBe(200);
    const list = added.json();
    expect(list.data.map((i: Json) => i.id)).toEqual([
      list.first_id,
      expect.stringMatching(/^msg_/),
      'msg_mine',
    ]);
    expect(list.data[1].content).toEqual([{ type: 'output_text', text: 'two', annotations: [] }]);
    expect(await texts(t, id)).toEqual(['one', 'two', 'three']);
    const desc = (await t.call('GET', `/v1/conversations/${id}/items?limit=2`)).json();
    expect(desc.data.map((i: Json) => i.id)).toEqual(['msg_mine', list.data[1].id]);
    expect(desc.has_more).toBe(true);
    const rest = (
      await t.call('GET', `/v1/conversations/${id}/items?limit=2&after=${desc.last_id}`)
    ).json();
    expect(rest.data.map((i: Json) => i.id)).toEqual([list.first_id]);
    expect(rest.has_more).toBe(false);
    expect((await t.call('GET', `/v1/conversations/${id}/items/msg_mine`)).json()).toMatchObject({
      id: 'msg_mine',
      role: 'user',
    });
    const removed = await t.call('DELETE', `/v1/conversations/${id}/items/msg_mine`);
    expect(removed.json()).toMatchObject({ id, object: 'conversation' });
    expect(await texts(t, id)).toEqual(['one', 'two']);
    const gone = await t.call('GET', `/v1/conversations/${id}/items/msg_mine`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('item_not_found');
    // The SDK's include[] is accepted.
    const included = await t.call(
      'GET',
      `/v1/conversations/${id}/items?include[]=message.output_text.logprobs`,
    );
    expect(included.statusCode).toBe(200);
    // A value OpenAI does not take is its 400, naming it.
    const unknown = await t.call('GET', `/v1/conversations/${id}/items?include[]=logprobs`);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ param: 'include[0]', code: 'invalid_value' });
  });

  it('answers bad requests with a 400 naming the field', async () => {
    const t = await setup();
    const id = await newConversation(t);
    const cases: [string, string, Json, string][] = [
      ['POST', '/v1/conversations', { metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata'],
      ['POST', '/v1/conversations', { metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
      [
        'POST',
        '/v1/conversations',
        { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
        'metadata',
      ],
      [
        'POST',
        '/v1/conversations',
        { items: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })) },
        'items',
      ],
      ['POST', '/v1/conversations', { items: [{ role: 'robot', content: 'x' }] }, 'items[0].role'],
      ['POST', `/v1/conversations/${id}/items`, {}, 'items'],
      [
        'POST',
        `/v1/conversations/${id}/items`,
        { items: [{ role: 'user', content: 'ok' }, { type: 'function_call_output' }] },
        'items[1].call_id',
      ],
      [
        'POST',
        `/v1/conversations/${id}/items`,
        { items: [{ role: 'user', content: 'ok' }, { type: 'compaction_trigger' }] },
        'items[1].type',
      ],
      ['POST', '/v1/conversations', { items: [{ type: 'compaction_trigger' }] }, 'items[0].type'],
      // A type that is no item type (a typo) would be kept and never reach a model.
      ['POST', '/v1/conversations', { items: [{ type: 'bogus', foo: 1 }] }, 'items[0].type'],
      [
        'POST',
        `/v1/conversations/${id}/items`,
        {
          items: [
            { role: 'user', content: 'ok' },
            { type: 'mesage', role: 'user', content: 'x' },
          ],
        },
        'items[1].type',
      ],
      ['POST', `/v1/conversations/${id}`, {}, 'metadata'],
    ];
    for (const [method, url, body, param] of cases) {
      const res = await t.call(method as 'POST', url, body);
      expect(res.statusCode, `${url} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(res.json().error.param, res.body).toBe(param);
    }
    const order = await t.call('GET', `/v1/conversations/${id}/items?order=up`);
    expect(order.json().error.param).toBe('order');
    const after = await t.call('GET', `/v1/conversations/${id}/items?after=msg_nope`);
    expect(after.json().error.param).toBe('after');
    // Nothing was added by the refused requests.
    expect(await texts(t, id)).toEqual([]);
    // A hosted tool's call item is an item type: kept as it is.
    const hosted = await t.call('POST', `/v1/conversations/${id}/items`, {
      items: [
        {
          type: 'web_search_call',
          id: 'ws_1',
          status: 'completed',
          action: { type: 'search', query: 'q' },
        },
      ],
    });
    expect(hosted.statusCode, hosted.body).toBe(200);
  });
});

describe('Responses turns on a conversation', () => {
  it('reads the items as context and appends each turn, whichever upstream answers', async () => {
    const t = await setup();
    for (const model of ['gpt', 'az', 'claude', 'native', 'small'] as const) {
      const id = await newConversation(t, {
        items: [{ type: 'message', role: 'user', content: 'My name is Ada.' }],
      });
      const first = await t.call('POST', '/v1/responses', {
        model,
        input: 'What is 2+2?',
        conversation: id,
      });
      expect(first.statusCode, `${model}: ${first.body}`).toBe(200);
      expect(first.json().conversation, model).toEqual({ id });
      const second = await t.call('POST', '/v1/responses', {
        model,
        input: [{ role: 'user', content: 'And my name?' }],
        conversation: { id },
      });
      expect(second.statusCode, `${model}: ${second.body}`).toBe(200);
      expect(await texts(t, id), model).toEqual([
        'My name is Ada.',
        'What is 2+2?',
        'four',
        'And my name?',
        'four',
      ]);
      // What the upstream got for the second turn: the conversation, then the input; and no
      // `conversation` (the router keeps it).
      if (model !== 'small') {
        const body = JSON.parse(t.sent[model].at(-1)!.body) as Json;
        expect(body, model).not.toHaveProperty('conversation');
        const said = JSON.stringify(body.messages ?? body.input);
        for (const text of ['My name is Ada.', 'What is 2+2?', 'four', 'And my name?'])
          expect(said, `${model} ${text}`).toContain(text);
        expect(said.indexOf('My name is Ada.'), model).toBeLessThan(said.indexOf('And my name?'));
      }
      // The stored response lists its own input only.
      const inputItems = await t.call('GET', `/v1/responses/${second.json().id}/input_items`);
      expect(inputItems.json().data.length, model).toBe(1);
    }
  });

  it('appends a streamed turn before its terminal event, and a background one once done', async () => {
    const t = await setup([{ chunks: ['fo', 'ur'] }]);
    const id = await newConversation(t);
    const streamed = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'streamed?',
      conversation: id,
      stream: true,
    });
    expect(streamed.body).toContain('response.completed');
    expect(streamed.body).toContain(`"conversation":{"id":"${id}"}`);
    expect(await texts(t, id)).toEqual(['streamed?', 'four']);
    const queued = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'background?',
      conversation: id,
      background: true,
    });
    expect(queued.json().status).toBe('queued');
    expect(queued.json().conversation).toEqual({ id });
    for (let i = 0; i < 100 && t.background!.running() > 0; i++)
      await new Promise((r) => setImmediate(r));
    expect(t.background!.running()).toBe(0);
    const done = await t.call('GET', `/v1/responses/${queued.json().id}`);
    expect(done.json().status).toBe('completed');
    expect(await texts(t, id)).toEqual(['streamed?', 'four', 'background?', 'four']);
  });

  it('refuses a second response while one runs; a failed turn appends nothing', async () => {
    const t = await setup([{ error: { status: 400, code: 'bad' } }, { reply: 'four' }]);
    const id = await newConversation(t);
    const reached = t.gate.reached();
    const running = t.call('POST', '/v1/responses', {
      model: 'gate',
      input: 'first',
      conversation: id,
    });
    await reached;
    const second = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'second',
      conversation: id,
    });
    expect(second.statusCode).toBe(400);
    expect(second.json().error).toMatchObject({
      param: 'conversation',
      code: 'conversation_locked',
    });
    const manual = await t.call('POST', `/v1/conversations/${id}/items`, {
      items: [{ role: 'user', content: 'x' }],
    });
    expect(manual.json().error.code).toBe('conversation_locked');
    t.gate.release();
    expect((await running).statusCode).toBe(200);
    // Failed upstream (the scripted 400): nothing appended, the lock released.
    const failed = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'fails',
      conversation: id,
    });
    expect(failed.statusCode).toBe(400);
    const after = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'works',
      conversation: id,
    });
    expect(after.statusCode, after.body).toBe(200);
    expect(await texts(t, id)).toEqual(['first', 'done', 'works', 'four']);
  });

  it('a cancelled background turn appends nothing and frees the conversation', async () => {
    const t = await setup();
    const id = await newConversation(t);
    const reached = t.gate.reached();
    const queued = await t.call('POST', '/v1/responses', {
      model: 'gate',
      input: 'cancel me',
      conversation: id,
      background: true,
    });
    expect(queued.statusCode, queued.body).toBe(200);
    await reached;
    const busy = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'meanwhile',
      conversation: id,
    });
    expect(busy.json().error.code).toBe('conversation_locked');
    const cancelled = await t.call('POST', `/v1/responses/${queued.json().id}/cancel`);
    expect(cancelled.json().status).toBe('cancelled');
    for (let i = 0; i < 100 && t.background!.running() > 0; i++)
      await new Promise((r) => setImmediate(r));
    expect(t.background!.running()).toBe(0);
    expect(await texts(t, id)).toEqual([]);
    const next = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'next',
      conversation: id,
    });
    expect(next.statusCode, next.body).toBe(200);
    expect(await texts(t, id)).toEqual(['next', 'four']);
  });

  it('refuses previous_response_id beside it, and an unknown or foreign conversation', async () => {
    const t = await setup();
    const id = await newConversation(t);
    const first = await t.call('POST', '/v1/responses', { model: 'small', input: 'hi' });
    const both = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'x',
      conversation: id,
      previous_response_id: first.json().id,
    });
    expect(both.statusCode).toBe(400);
    expect(both.json().error).toMatchObject({
      param: 'conversation',
      code: 'mutually_exclusive_parameters',
    });
    for (const [conversation, headers] of [
      ['conv_nope', A],
      [id, B],
    ] as const) {
      const res = await t.call(
        'POST',
        '/v1/responses',
        { model: 'small', input: 'x', conversation },
        headers,
      );
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({
        param: 'conversation',
        code: 'conversation_not_found',
      });
    }
    const shape = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'x',
      conversation: 5,
    });
    expect(shape.json().error).toMatchObject({ param: 'conversation', code: 'invalid_type' });
    // A refused request leaves the conversation unlocked and as it was.
    const ok = await t.call('POST', '/v1/responses', {
      model: 'small',
      input: 'x',
      conversation: id,
    });
    expect(ok.statusCode).toBe(200);
    expect(await texts(t, id)).toEqual(['x', 'four']);
  });
});
