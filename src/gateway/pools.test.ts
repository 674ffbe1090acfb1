// Pools through the gateway (scripted adapters, in process): spillover on a retryable failure in
// priority order, round-robin and weighted spreading, the eligibility rules on every member,
// key scopes and subsets, the request log, /v1/models and the errors when nothing can serve.
import { describe, expect, it } from 'vitest';
import { GatewayError, unauthorized } from '../core/errors.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { EmbeddingsResponse } from '../core/wire-types.js';
import type { Authenticator } from '../http/auth-hook.js';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  testConfig,
} from '../../test/helpers/test-config.js';
import type { ConfigInput } from '../config/schema.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const ok: Step[] = [{ reply: 'ok' }];
const postChat = (t: TestApp, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload, headers });
const chat = (model = 'gpt-pool', content = 'hi') => ({
  model,
  messages: [{ role: 'user', content }],
});

function fleet(
  pool: Partial<NonNullable<ConfigInput['pools']>[number]>,
  scripts: Record<string, Step[]> = {},
) {
  const deployments = [
    simDeployment('ptu', { model: 'gpt-4.1', region: 'swedencentral', dataZone: 'eu' }),
    simDeployment('paygo', { model: 'gpt-4.1', region: 'eastus', dataZone: 'us' }),
    simDeployment('small-ctx', {
      model: 'gpt-4.1',
      contextWindow: 1_000,
      maxOutputTokens: 500,
      dataZone: 'eu',
    }),
  ];
  const config = testConfig({
    deployments: [...testConfig().deployments, ...deployments] as ConfigInput['deployments'],
    pools: [{ name: 'gpt-pool', deployments: ['ptu', 'paygo'], ...pool }],
  });
  const adapters = Object.fromEntries(
    ['big', 'mid', 'small', 'ptu', 'paygo', 'small-ctx'].map((n) => [
      n,
      fakeAdapter(`${n}-model`, scripts[n] ?? ok),
    ]),
  );
  return { config, adapters };
}

describe('pools', () => {
  it('priority: the first member serves; a retryable failure spills over to the next', async () => {
    const { config, adapters } = fleet(
      { strategy: 'priority' },
      { ptu: [{ reply: 'ok' }, { error: { status: 429, headers: { 'retry-after': '2' } } }] },
    );
    const t = await buildTestApp(config, adapters);
    const first = await postChat(t, chat());
    expect(first.statusCode).toBe(200);
    expect(first.json().model).toBe('ptu-model');
    expect(first.headers['x-router-deployment']).toBe('ptu');
    const spilled = await postChat(t, chat());
    expect(spilled.statusCode).toBe(200);
    expect(spilled.json().model).toBe('paygo-model');
    expect(spilled.headers['x-router-attempts']).toBe('2');
    // The log says which pool was called, who served, and the attempt that failed.
    const rec = t.records.at(-1)!;
    expect(rec).toMatchObject({ router: 'gpt-pool', deployment: 'paygo', status: 200 });
    expect(rec.attempts.map((a) => [a.deployment, a.outcome, a.httpStatus])).toEqual([
      ['ptu', 'error', 429],
      ['paygo', 'ok', undefined],
    ]);
    // Pools route nothing: no receipt, no routing mode.
    expect(spilled.headers['x-router-decision-id']).toBeUndefined();
    expect(rec.routingMode).toBeUndefined();
  });

  it('an upstream 429 with retry-after takes the member out of rotation until then', async () => {
    const { config, adapters } = fleet(
      { strategy: 'priority' },
      {
        ptu: [{ error: { status: 429, headers: { 'retry-after': '2' } } }, { reply: 'ok' }],
        paygo: [
          { reply: 'ok' },
          { reply: 'ok' },
          { error: { status: 429, headers: { 'retry-after-ms': '800' } } },
        ],
      },
    );
    const t = await buildTestApp(config, adapters);
    const send = () =>
      t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat() });
    expect((await send()).headers['x-router-attempts']).toBe('2');
    // Within the 2 s it asked for, ptu is not called at all: one attempt, on paygo.
    const next = await send();
    expect(next.headers['x-router-deployment']).toBe('paygo');
    expect(next.headers['x-router-attempts']).toBe('1');
    expect(adapters.ptu!.calls).toHaveLength(1);
    // Both cooling: a 429 whose retry-after is when the first may be called again.
    const both = await send();
    expect(both.statusCode).toBe(429);
    const none = await send();
    expect(none.statusCode).toBe(429);
    expect(none.json().error.code).toBe('rate_limit_exceeded');
    expect(none.json().error.message).toContain('asked to wait');
    expect(none.headers['retry-after']).toBe('1');
    t.clock.advance(2_000);
    const back = await send();
    expect(back.headers['x-router-deployment']).toBe('ptu');
    expect(adapters.ptu!.calls).toHaveLength(2);
  });

  it('round-robin: members take turns, streaming too', async () => {
    const { config, adapters } = fleet({ strategy: 'round-robin' });
    const t = await buildTestApp(config, adapters);
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await postChat(t, { ...chat(), stream: i % 2 === 1 });
      expect(r.statusCode).toBe(200);
      served.push(r.headers['x-router-deployment'] as string);
    }
    expect(served).toEqual(['ptu', 'paygo', 'ptu', 'paygo']);
  });

  it('weighted: a weight of 0 serves only when the others cannot', async () => {
    const { config, adapters } = fleet(
      { strategy: 'weighted', weights: { ptu: 1, paygo: 0 } },
      { ptu: [{ reply: 'ok' }, { reply: 'ok' }, { reply: 'ok' }, { error: { status: 503 } }] },
    );
    const t = await buildTestApp(config, adapters);
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await postChat(t, chat());
      served.push(r.headers['x-router-deployment'] as string);
    }
    expect(served).toEqual(['ptu', 'ptu', 'ptu', 'paygo']);
  });

  it('every member passes the same eligibility: data zone, context window, open circuits', async () => {
    const { config, adapters } = fleet({
      strategy: 'priority',
      deployments: ['small-ctx', 'ptu', 'paygo'],
    });
    const t = await buildTestApp(config, adapters);
    // A prompt too long for small-ctx goes to the next member.
    const long = await postChat(t, chat('gpt-pool', 'word '.repeat(2_000)));
    expect(long.headers['x-router-deployment']).toBe('ptu');
    // The request narrows the zone: only paygo is in "us".
    const us = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'x-router-data-zone': 'us' },
      payload: chat(),
    });
    expect(us.headers['x-router-deployment']).toBe('paygo');
    // Open circuits on every member: 503 naming the pool and each exclusion.
    for (const n of ['small-ctx', 'ptu', 'paygo'])
      for (let i = 0; i < 5; i++) t.breakers.failure(n);
    const none = await postChat(t, chat());
    expect(none.statusCode).toBe(503);
    expect(none.json().error.code).toBe('no_healthy_deployment');
    expect(none.json().error.message).toContain('"gpt-pool"');
  });

  it('a key scoped to the pool uses its members through it, narrowed by its own subset', async () => {
    const { config, adapters } = fleet({ strategy: 'priority' });
    const keys: Authenticator = {
      authenticate(headers) {
        if (headers.authorization === 'Bearer pool-only')
          return { keyId: 'k1', tenant: 't', admin: false, scopes: ['gpt-pool'] };
        if (headers.authorization === 'Bearer paygo-only')
          return {
            keyId: 'k2',
            tenant: 't',
            admin: false,
            scopes: ['gpt-pool'],
            modelSubset: ['paygo'],
          };
        throw unauthorized();
      },
    };
    const t = await buildTestApp(config, adapters, { authenticator: keys });
    const via = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer pool-only' },
      payload: chat(),
    });
    expect(via.headers['x-router-deployment']).toBe('ptu');
    const direct = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer pool-only' },
      payload: chat('ptu'),
    });
    expect(direct.statusCode).toBe(403);
    const narrowed = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer paygo-only' },
      payload: chat(),
    });
    expect(narrowed.headers['x-router-deployment']).toBe('paygo');
  });

  it('is listed by /v1/models; a chat pool refuses embeddings requests, saying why', async () => {
    const { config, adapters } = fleet({ strategy: 'priority' });
    const t = await buildTestApp(config, adapters);
    const models = await t.app.inject({ method: 'GET', url: '/v1/models' });
    expect(models.json().data.find((m: { id: string }) => m.id === 'gpt-pool')).toMatchObject({
      type: 'pool',
      strategy: 'priority',
      deployments: ['ptu', 'paygo'],
      context_window: 128_000,
    });
    const one = await t.app.inject({ method: 'GET', url: '/v1/models/gpt-pool' });
    expect(one.json()).toMatchObject({ id: 'gpt-pool', owned_by: 'model-router' });
    const emb = await t.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      payload: { model: 'gpt-pool', input: 'x' },
    });
    expect(emb.statusCode).toBe(400);
    expect(emb.json().error.message).toContain('"gpt-pool" is a chat pool, not an embedding model');
  });
});

describe('embeddings pools', () => {
  it('spill an indexing job over to the next member on a 429, and refuse chat requests', async () => {
    const config = testConfig({
      deployments: [
        ...testConfig().deployments,
        simEmbeddingDeployment('emb-eus', { region: 'eastus' }),
        simEmbeddingDeployment('emb-swc', { region: 'swedencentral' }),
      ] as ConfigInput['deployments'],
      pools: [{ name: 'embed', deployments: ['emb-eus', 'emb-swc'], strategy: 'priority' }],
    });
    const vector = (model: string): EmbeddingsResponse => ({
      object: 'list',
      model,
      data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }],
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    const calls: string[] = [];
    const embedAdapter = (name: string, fail: boolean) => ({
      ...fakeAdapter(name, ok),
      async embed() {
        calls.push(name);
        if (fail)
          throw new GatewayError({
            status: 429,
            type: 'rate_limit_error',
            code: '429',
            message: `${name}: too many requests`,
            headers: { 'retry-after': '10' },
            retryable: true,
          });
        return { response: vector(`${name}-model`), headers: {} };
      },
    });
    const adapters: Record<string, ProviderAdapter> = {
      big: fakeAdapter('big', ok),
      mid: fakeAdapter('mid', ok),
      small: fakeAdapter('small', ok),
      'emb-eus': embedAdapter('emb-eus', true),
      'emb-swc': embedAdapter('emb-swc', false),
    };
    const t = await buildTestApp(config, adapters);
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/embeddings',
        payload: { model: 'embed', input: 'a b' },
      });
    const first = await send();
    expect(first.statusCode).toBe(200);
    expect(first.json().model).toBe('emb-swc-model');
    expect(first.headers['x-router-deployment']).toBe('emb-swc');
    expect(first.headers['x-router-attempts']).toBe('2');
    // emb-eus asked to wait 10 s: the next request goes straight to emb-swc.
    const second = await send();
    expect(second.headers['x-router-attempts']).toBe('1');
    expect(calls).toEqual(['emb-eus', 'emb-swc', 'emb-swc']);
    const rec = t.records.at(-1)!;
    expect(rec).toMatchObject({ endpoint: 'embeddings', router: 'embed', deployment: 'emb-swc' });
    const chatToIt = await postChat(t, chat('embed'));
    expect(chatToIt.statusCode).toBe(400);
    expect(chatToIt.json().error.message).toContain('"embed" is a pool of embedding models');
  });
});

describe('pools ordered by load and latency', () => {
  it('latency: each member is measured once, then the fastest serves; streams compare first tokens', async () => {
    const { config, adapters } = fleet({ strategy: 'latency' });
    // ptu takes 300 ms to answer, paygo 20 ms (the test clock moves while they "work").
    const delays: Record<string, number> = { ptu: 300, paygo: 20 };
    const test: { clock?: TestApp['clock'] } = {};
    for (const name of ['ptu', 'paygo']) {
      const a = adapters[name]!;
      const chat = a.chat.bind(a);
      const chatStream = a.chatStream.bind(a);
      a.chat = async (req) => {
        test.clock!.advance(delays[name]!);
        return chat(req);
      };
      a.chatStream = async (req) => {
        test.clock!.advance(delays[name]! / 10);
        return chatStream(req);
      };
    }
    const t = await buildTestApp(config, adapters);
    test.clock = t.clock;
    const served: string[] = [];
    for (let i = 0; i < 10; i++)
      served.push((await postChat(t, chat())).headers['x-router-deployment'] as string);
    // The first two calls measure one member each, in either order; then paygo only.
    expect(served.slice(0, 2).sort()).toEqual(['paygo', 'ptu']);
    expect(served.slice(2)).toEqual(Array(8).fill('paygo'));
    // ptu slows down no more; paygo becomes the slow one: the average follows within a few calls.
    delays.paygo = 2_000;
    const after: string[] = [];
    for (let i = 0; i < 6; i++)
      after.push((await postChat(t, chat())).headers['x-router-deployment'] as string);
    expect(after.at(-1)).toBe('ptu');
    // Streams are ordered by time to the first token, measured apart: each member once, then ptu.
    const streamed: string[] = [];
    for (let i = 0; i < 3; i++)
      streamed.push(
        (await postChat(t, { ...chat(), stream: true })).headers['x-router-deployment'] as string,
      );
    expect(streamed.slice(0, 2).sort()).toEqual(['paygo', 'ptu']);
    expect(streamed[2]).toBe('ptu');
  });

  it('least-busy: a member with a call in flight is passed over for an idle one', async () => {
    const { config, adapters } = fleet({ strategy: 'least-busy' });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    for (const name of ['ptu', 'paygo']) {
      const a = adapters[name]!;
      const chat = a.chat.bind(a);
      a.chat = async (req) => {
        calls++;
        await gate;
        return chat(req);
      };
    }
    const t = await buildTestApp(config, adapters);
    let calls = 0;
    const pending: ReturnType<typeof postChat>[] = [];
    for (let i = 0; i < 4; i++) {
      pending.push(postChat(t, chat()));
      // Wait until the call has reached its member before sending the next one.
      await waitFor(() => expect(calls).toBe(i + 1));
    }
    open();
    const served = (await Promise.all(pending)).map((r) => r.headers['x-router-deployment']);
    // Held calls: 1, then the other member, then each has one, so 2 and 2.
    expect(served[0]).not.toBe(served[1]);
    expect(served.filter((d) => d === 'ptu')).toHaveLength(2);
  });
});

describe('pool configuration', () => {
  const base = () => ({
    deployments: [
      simDeployment('a'),
      simDeployment('b'),
      simEmbeddingDeployment('e'),
      simEmbeddingDeployment('e2', { model: 'text-embedding-3-large' }),
      simEmbeddingDeployment('e3', { model: 'te3-small-swc', like: 'text-embedding-3-small' }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['a', 'b'] }],
  });
  const issues = (pools: unknown) => {
    try {
      testConfig({ ...base(), pools } as Partial<ConfigInput>);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('says what is wrong with a pool, by path', () => {
    expect(issues([{ name: 'p', deployments: ['a', 'x'] }])).toContain(
      'pools[0].deployments[1]: unknown deployment "x"',
    );
    expect(issues([{ name: 'p', deployments: ['a', 'e'] }])).toContain(
      'pools[0].deployments: mixes chat and embeddings deployments (a: chat, e: embeddings)',
    );
    expect(issues([{ name: 'p', deployments: ['e', 'e2'] }])).toContain(
      'embedding models text-embedding-3-small, text-embedding-3-large: vectors of different models cannot be compared',
    );
    // Upstream names that differ (Azure deployment names) are one model by `like:`.
    expect(issues([{ name: 'p', deployments: ['e', 'e3'] }])).toBe('');
    expect(issues([{ name: 'a', deployments: ['a', 'b'] }])).toContain(
      'pools[0].name: "a" is also a deployment name',
    );
    expect(issues([{ name: 'model-router', deployments: ['a', 'b'] }])).toContain(
      'is also a router name',
    );
    expect(issues([{ name: 'p', deployments: ['a', 'a'] }])).toContain('lists a deployment twice');
    expect(issues([{ name: 'p', deployments: ['a', 'b'], weights: { c: 1 } }])).toContain(
      'pools[0].weights.c: "c" is not a member of the pool',
    );
    expect(issues([{ name: 'p', deployments: ['a', 'b'], weights: { a: 0, b: 0 } }])).toContain(
      'every member has weight 0',
    );
    expect(issues([{ name: 'p', deployments: ['a'], strategy: 'fastest' }])).toContain(
      'pools[0].strategy',
    );
    expect(issues([{ name: 'p', deployments: ['a', 'b'] }])).toBe('');
  });
});
