// Stored Chat Completions through the HTTP routes (`app.inject()`): `store: true` keeps the
// completion whichever upstream served it (OpenAI, Azure and Claude through their real adapters
// over a recording HTTP client, a scripted stream), under an id of the router's own, and neither
// `store` nor `metadata` goes upstream; retrieve, list (filters, paging), update, messages and
// delete, per tenant; the 400s name the field.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../../test/helpers/fake-adapter.js';
import { recordedUpstreams } from '../../../test/helpers/recorded-upstreams.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ProviderAdapter } from '../../providers/types.js';
import { createMemoryChatCompletionStore } from '../../store/memory/memory-chat-completion-store.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';

const A = as('team-a');

/** An app whose deployments `gpt` (OpenAI), `az` (Azure) and `claude` (Anthropic) answer through
 * their adapters over recording HTTP clients, and `small` / `big` through scripted fakes. */
async function setup(script: Step[] = [{ reply: 'four' }]) {
  const upstreams = recordedUpstreams();
  const config = testConfig({
    deployments: [
      simDeployment('small', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
      simDeployment('big', { prices: { inputPer1M: 10, outputPer1M: 30 } }),
      ...upstreams.deployments,
    ],
    routers: [{ name: 'model-router', modelSubset: ['small', 'big'] }],
  });
  const adapters: Record<string, ProviderAdapter> = {
    small: fakeAdapter('small', script),
    big: fakeAdapter('big', script),
    ...upstreams.adapters(config.deployments),
  };
  const store = createMemoryChatCompletionStore(100);
  const t = await buildTestApp(config, adapters, {
    authenticator: tenants,
    chatCompletions: store,
  });
  const post = (body: Record<string, unknown>, headers = A, url = '/v1/chat/completions') =>
    t.app.inject({ method: 'POST', url, headers, payload: body });
  const get = (url: string, headers = A) => t.app.inject({ method: 'GET', url, headers });
  return {
    ...t,
    store,
    sent: upstreams.sent,
    post,
    get,
  };
}

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'What is 2+2?' }],
  ...extra,
});

describe('stored chat completions', () => {
  it('keeps what the client got, whichever upstream served; store and metadata stay here', async () => {
    const t = await setup();
    for (const name of ['gpt', 'az', 'claude'] as const) {
      const created = await t.post(ask(name, { store: true, metadata: { run: name } }));
      expect(created.statusCode).toBe(200);
      const body = created.json();
      // The router's own id, not the upstream's.
      expect(body.id).toMatch(/^chatcmpl-/);
      expect(body.id).not.toBe('chatcmpl-upstream');
      expect(body.id).not.toBe('chatcmpl-msg_1');
      const upstream = JSON.parse(t.sent[name].at(-1)!.body) as Record<string, unknown>;
      expect(upstream).not.toHaveProperty('store');
      expect(upstream).not.toHaveProperty('metadata');
      const got = await t.get(`/v1/chat/completions/${body.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual({
        ...body,
        metadata: { run: name },
        request_id: created.headers['x-request-id'],
      });
      expect(got.json().choices[0].message.content).toBe('four');
    }
    // store: false (or absent) keeps nothing, and is not sent upstream either.
    const unstored = await t.post(ask('gpt', { store: false, metadata: { run: 'x' } }));
    expect(unstored.json().id).toBe('chatcmpl-upstream');
    expect(JSON.parse(t.sent.gpt.at(-1)!.body)).not.toHaveProperty('store');
    expect((await t.get('/v1/chat/completions/chatcmpl-upstream')).statusCode).toBe(404);
    const list = await t.get('/v1/chat/completions');
    expect(list.json().data.map((c: { model: string }) => c.model)).toEqual([
      'gpt-4.1-2025-04-14',
      'gpt-4.1-2025-04-14',
      'claude-sonnet-4-5',
    ]);
  });

  it('keeps a stream assembled, under the id every chunk carried; a stream cut short is not kept', async () => {
    const t = await setup([
      { chunks: ['Hel', 'lo ', 'there'] },
      { chunks: ['a', 'b', 'c'], failAfter: 1 },
    ]);
    const res = await t.post(
      ask('small', { stream: true, store: true, stream_options: { include_usage: true } }),
    );
    const chunks = res.body
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { id: string; usage?: unknown });
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(/^chatcmpl-/);
    expect(id).not.toBe('chatcmpl-fake');
    const got = (await t.get(`/v1/chat/completions/${id}`)).json();
    expect(got).toMatchObject({
      id,
      object: 'chat.completion',
      model: 'small',
      metadata: {},
      choices: [
        { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello there' } },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    const cut = await t.post(ask('small', { stream: true, store: true }));
    expect(cut.body).toContain('upstream_dropped');
    expect((await t.get('/v1/chat/completions')).json().data).toHaveLength(1);
  });

  it("another tenant can neither read, list, update, list the messages of nor delete a tenant's completion", async () => {
    const t = await setup();
    const id = (await t.post(ask('small', { store: true }))).json().id as string;
    const B = as('team-b');
    for (const [method, url] of [
      ['GET', `/v1/chat/completions/${id}`],
      ['GET', `/v1/chat/completions/${id}/messages`],
      ['DELETE', `/v1/chat/completions/${id}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: B });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', code: 'not_found' });
    }
    const update = await t.app.inject({
      method: 'POST',
      url: `/v1/chat/completions/${id}`,
      headers: B,
      payload: { metadata: { a: 'b' } },
    });
    expect(update.statusCode).toBe(404);
    expect((await t.get('/v1/chat/completions', B)).json()).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });
    expect((await t.get(`/v1/chat/completions/${id}`)).statusCode).toBe(200);
  });

  it('lists with OpenAI’s envelope: model and metadata filters, after, limit, order', async () => {
    const t = await setup();
    const made: string[] = [];
    for (const [model, env] of [
      ['small', 'prod'],
      ['big', 'prod'],
      ['small', 'dev'],
      ['small', 'prod'],
    ] as const) {
      made.push((await t.post(ask(model, { store: true, metadata: { env } }))).json().id);
    }
    const list = async (query: string) => (await t.get(`/v1/chat/completions?${query}`)).json();
    const all = await list('');
    expect(all.object).toBe('list');
    // Oldest first (OpenAI's default order here): creation times never repeat in one process.
    const asc = all.data.map((c: { id: string }) => c.id) as string[];
    expect(asc).toEqual(made);
    expect(all).toMatchObject({ first_id: asc[0], last_id: asc[3], has_more: false });
    expect((await list('order=desc')).data.map((c: { id: string }) => c.id)).toEqual(
      [...asc].reverse(),
    );
    const page = await list('limit=2');
    expect(page).toMatchObject({ first_id: asc[0], last_id: asc[1], has_more: true });
    const next = await list(`limit=2&after=${page.last_id}`);
    expect(next.data.map((c: { id: string }) => c.id)).toEqual(asc.slice(2));
    expect(next.has_more).toBe(false);
    const big = await list('model=big');
    expect(big.data.map((c: { id: string }) => c.id)).toEqual([made[1]]);
    expect(big.data[0].metadata).toEqual({ env: 'prod' });
    const prod = await list('metadata%5Benv%5D=prod&model=small');
    expect(prod.data.map((c: { id: string }) => c.id)).toEqual([made[0], made[3]]);
    expect((await list('metadata[env]=staging')).data).toEqual([]);
    // A bad order is a 400 naming it.
    const bad = await t.get('/v1/chat/completions?order=sideways');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe('order');
    // So is a metadata filter not in metadata[<key>] form, which filtered nothing.
    const flat = await t.get('/v1/chat/completions?metadata=env');
    expect(flat.statusCode).toBe(400);
    expect(flat.json().error).toMatchObject({ param: 'metadata', code: 'invalid_value' });
    expect(flat.json().error.message).toContain('metadata[<key>]=<value>');
  });

  it('updates metadata (replacing it), lists the request messages, and deletes', async () => {
    const t = await setup();
    const created = await t.post({
      model: 'small',
      store: true,
      metadata: { a: '1', b: '2' },
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'text', text: 'this picture?' },
          ],
        },
        { role: 'assistant', content: 'A cat.' },
        { role: 'user', content: 'Sure?', name: 'sam' },
      ],
    });
    const id = created.json().id as string;
    const updated = await t.app.inject({
      method: 'POST',
      url: `/v1/chat/completions/${id}`,
      headers: A,
      payload: { metadata: { c: '3' } },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ id, object: 'chat.completion', metadata: { c: '3' } });
    expect((await t.get(`/v1/chat/completions/${id}`)).json().metadata).toEqual({ c: '3' });

    const messages = (await t.get(`/v1/chat/completions/${id}/messages`)).json();
    expect(messages).toEqual({
      object: 'list',
      data: [
        { id: `${id}-0`, role: 'system', content: 'Be brief.', content_parts: null },
        {
          id: `${id}-1`,
          role: 'user',
          content: 'What is in\nthis picture?',
          content_parts: [
            { type: 'text', text: 'What is in' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'text', text: 'this picture?' },
          ],
        },
        { id: `${id}-2`, role: 'assistant', content: 'A cat.', content_parts: null },
        { id: `${id}-3`, role: 'user', content: 'Sure?', name: 'sam', content_parts: null },
      ],
      first_id: `${id}-0`,
      last_id: `${id}-3`,
      has_more: false,
    });
    const desc = (await t.get(`/v1/chat/completions/${id}/messages?order=desc&limit=2`)).json();
    expect(desc).toMatchObject({ first_id: `${id}-3`, last_id: `${id}-2`, has_more: true });
    const rest = (
      await t.get(`/v1/chat/completions/${id}/messages?order=desc&limit=2&after=${id}-2`)
    ).json();
    expect(rest.data.map((m: { id: string }) => m.id)).toEqual([`${id}-1`, `${id}-0`]);
    expect(rest.has_more).toBe(false);

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/chat/completions/${id}`,
      headers: A,
    });
    expect(deleted.json()).toEqual({ object: 'chat.completion.deleted', id, deleted: true });
    expect((await t.get(`/v1/chat/completions/${id}`)).statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/chat/completions/${id}`, headers: A }))
        .statusCode,
    ).toBe(404);
  });

  it('refuses bad store, metadata and update bodies with a 400 naming the field', async () => {
    const t = await setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ store: 'yes' }, 'store'],
      [{ store: true, metadata: 'x' }, 'metadata'],
      [
        {
          store: true,
          metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
        },
        'metadata',
      ],
      [{ store: true, metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata'],
      [{ store: true, metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
      [{ store: true, metadata: { k: 1 } }, 'metadata.k'],
    ];
    for (const [extra, param] of cases) {
      const res = await t.post(ask('small', extra));
      expect(res.statusCode, JSON.stringify(extra).slice(0, 60)).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
    }
    // 16 pairs, a 64-character key and a 512-character value are fine.
    const ok = await t.post(
      ask('small', {
        store: true,
        metadata: {
          ...Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`k${i}`, 'v'])),
          ['k'.repeat(64)]: 'v',
          long: 'v'.repeat(512),
        },
      }),
    );
    expect(ok.statusCode).toBe(200);
    const id = ok.json().id as string;
    for (const [payload, param] of [
      [{}, 'metadata'],
      [{ metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/chat/completions/${id}`,
        headers: A,
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
  });

  it('answers on the Azure paths too', async () => {
    const t = await setup();
    const id = (
      await t.post(ask('small', { store: true }), A, '/openai/v1/chat/completions')
    ).json().id as string;
    expect((await t.get(`/openai/v1/chat/completions/${id}`)).json().id).toBe(id);
    expect(
      (await t.get(`/openai/chat/completions/${id}?api-version=2025-04-01-preview`)).json().id,
    ).toBe(id);
    expect(
      (await t.get('/openai/chat/completions?api-version=2025-04-01-preview')).json().data,
    ).toHaveLength(1);
    expect((await t.get(`/openai/chat/completions/${id}?api-version=yesterday`)).statusCode).toBe(
      400,
    );
    // The dated deployment path stores as well.
    const dated = await t.post(
      { messages: [{ role: 'user', content: 'hi' }], store: true },
      A,
      '/openai/deployments/small/chat/completions?api-version=2024-10-21',
    );
    expect((await t.get(`/v1/chat/completions/${dated.json().id}`)).statusCode).toBe(200);
  });
});
