import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig, type ConfigError } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import type { ConfigInput } from '../config/schema.js';
import { unauthorized } from '../core/errors.js';
import type { Authenticator } from '../http/auth-hook.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { recordingHttp } from '../../test/helpers/fake-http.js';
import { simEmbeddingDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { deploymentSchema, type DeploymentConfig } from '../config/deployment-schema.js';
import type { EmbeddingsRequest } from '../core/wire-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { ConfigHolder } from '../config/runtime-config.js';
import { createContentFilter } from '../policy/content-filter.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';

const embedInput = simEmbeddingDeployment('embed', {
  simulation: { dimensions: 64 },
});

// `Bearer <scope>` names the one router or deployment the key may use; `Bearer any` all.
const scopedAuth: Authenticator = {
  authenticate(headers) {
    const token = String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (!token) throw unauthorized('Incorrect API key provided.');
    return {
      keyId: token,
      tenant: 't',
      admin: token === 'any',
      scopes: [token === 'any' ? '*' : token],
    };
  },
};

/** The simulated embedding model, recording each upstream call's inputs as `sent`. */
function recordingEmbedder(d: DeploymentConfig) {
  const sim = createSimulatedAdapter(d);
  const sent: EmbeddingsRequest['input'][] = [];
  const adapter: ProviderAdapter = {
    ...sim,
    embed: (req) => (sent.push(req.body.input), sim.embed!(req)),
  };
  return { adapter, sent };
}

async function setup(overrides: Partial<ConfigInput> = {}, more: ConfigInput['deployments'] = []) {
  const input = testConfigInput(overrides);
  input.deployments.push(embedInput, ...more);
  const config = parseConfig(input, {}).config;
  const embedders = Object.fromEntries(
    config.deployments
      .filter((d) => d.kind === 'embeddings')
      .map((d) => [d.name, recordingEmbedder(d)]),
  );
  const adapters = {
    big: fakeAdapter('big-sim', [{ reply: 'chat' }]),
    mid: fakeAdapter('mid-sim', [{ reply: 'chat' }]),
    small: fakeAdapter('small-sim', [{ reply: 'chat' }]),
    ...Object.fromEntries(Object.entries(embedders).map(([n, e]) => [n, e.adapter])),
  };
  const holder = { current: { config } } as unknown as ConfigHolder;
  const policies = createGovernancePolicies({
    config: holder,
    contentFilter: () => createContentFilter(config.contentFilter),
  });
  const t = await buildTestApp(config, adapters, { authenticator: scopedAuth, policies });
  /** What the `embed` deployment was sent, one entry per upstream call. */
  const sent = embedders.embed!.sent;
  return { ...t, input, sent, embedders };
}

const post = (payload: unknown, url = '/v1/embeddings', key = 'any') => ({
  method: 'POST' as const,
  url,
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  payload: payload as Record<string, unknown>,
});

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('embeddings (/v1/embeddings)', () => {
  it('counts an input of token ids as its ids: one array, or one per input', async () => {
    const t = await setup();
    for (const [input, tokens] of [
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10],
      [
        [
          [1, 2, 3],
          [4, 5],
        ],
        5,
      ],
    ] as const) {
      const r = await t.app.inject(post({ model: 'embed', input }));
      expect(r.statusCode).toBe(200);
      expect(r.json().usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    }
    await t.app.close();
  });

  it('answers an embedding deployment by name with unit vectors that put related texts closer, and records the cost', async () => {
    const t = await setup();
    const texts = ['The cat sat on the mat.', 'A cat sat on a mat today.', 'Stock prices fell.'];
    const r = await t.app.inject(post({ model: 'embed', input: texts }));
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.object).toBe('list');
    expect(body.model).toBe('text-embedding-3-small');
    expect(r.headers['x-router-deployment']).toBe('embed');
    const v = body.data.map((d: { index: number; embedding: number[] }) => d.embedding);
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2]);
    for (const x of v) {
      expect(x).toHaveLength(64);
      expect(dot(x, x)).toBeCloseTo(1, 5);
    }
    expect(dot(v[0], v[1])).toBeGreaterThan(dot(v[0], v[2]) + 0.2);
    expect(body.usage.prompt_tokens).toBeGreaterThan(10);
    const rec = t.records.at(-1)!;
    expect(rec).toMatchObject({ endpoint: 'embeddings', deployment: 'embed', status: 200 });
    expect(rec.promptTokens).toBe(body.usage.prompt_tokens);
    expect(rec.usageEstimated).toBe(false);
    expect(rec.costUsd).toBeCloseTo((body.usage.prompt_tokens * 0.02) / 1e6, 15);
    expect(rec.baselineCostUsd).toBe(rec.costUsd);
  });

  it('gives the same vectors as base64 float32 (what the openai SDK asks for), and honours dimensions', async () => {
    const t = await setup();
    const floats = (await t.app.inject(post({ model: 'embed', input: 'hello world' }))).json();
    const b64 = (
      await t.app.inject(post({ model: 'embed', input: 'hello world', encoding_format: 'base64' }))
    ).json();
    const bytes = Buffer.from(b64.data[0].embedding as string, 'base64');
    const decoded = Array.from(
      new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
    );
    expect(decoded).toEqual(floats.data[0].embedding);
    const short = await t.app.inject(post({ model: 'embed', input: 'hello', dimensions: 16 }));
    expect(short.json().data[0].embedding).toHaveLength(16);
    const tooLong = await t.app.inject(post({ model: 'embed', input: 'hello', dimensions: 100 }));
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.param).toBe('dimensions');
  });

  it('serves the Azure paths too', async () => {
    const t = await setup();
    const dated = await t.app.inject(
      post({ input: ['a b'] }, '/openai/deployments/embed/embeddings?api-version=2024-10-21'),
    );
    expect(dated.statusCode).toBe(200);
    expect(dated.json().data).toHaveLength(1);
    const noVersion = await t.app.inject(
      post({ input: ['a'] }, '/openai/deployments/embed/embeddings'),
    );
    expect(noVersion.statusCode).toBe(400);
    const v1 = await t.app.inject(post({ model: 'embed', input: 'a' }, '/openai/v1/embeddings'));
    expect(v1.statusCode).toBe(200);
  });

  it('says what to fix: routers and chat models are not embedding models, and the other way round', async () => {
    const t = await setup();
    const cases: [unknown, number, string | null][] = [
      [{ model: 'model-router', input: 'x' }, 400, 'model'],
      [{ model: 'big', input: 'x' }, 400, 'model'],
      [{ model: 'nope', input: 'x' }, 404, 'model'],
      [{ model: 'embed' }, 400, 'input'],
      [{ model: 'embed', input: [] }, 400, 'input'],
      [{ model: 'embed', input: ['ok', ''] }, 400, 'input'],
      [{ model: 'embed', input: 'x', encoding_format: 'int8' }, 400, 'encoding_format'],
      [{ input: 'x' }, 400, 'model'],
    ];
    for (const [payload, status, param] of cases) {
      const r = await t.app.inject(post(payload));
      expect([JSON.stringify(payload), r.statusCode]).toEqual([JSON.stringify(payload), status]);
      expect(r.json().error.param).toBe(param);
    }
    const chat = await t.app.inject(
      post({ model: 'embed', messages: [{ role: 'user', content: 'hi' }] }, '/v1/chat/completions'),
    );
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error.message).toContain('/v1/embeddings');
  });

  it('runs the content filter on text inputs, and passes token-id inputs (no text to read)', async () => {
    const t = await setup({
      contentFilter: {
        enabled: true,
        rules: [
          { id: 'n', kind: 'regex', patterns: ['4242'], action: 'block', appliesTo: 'input' },
        ],
      },
    });
    expect((await t.app.inject(post({ model: 'embed', input: 'card 4242' }))).statusCode).toBe(400);
    const ids = await t.app.inject(post({ model: 'embed', input: [[4242, 7, 9]] }));
    expect(ids.statusCode).toBe(200);
    expect(ids.json().data).toHaveLength(1);
  });

  it('keeps to the key’s scope, and the dashboard offers router subsets only chat models', async () => {
    const t = await setup();
    const overview = await t.app.inject({
      method: 'GET',
      url: '/dashboard/api/overview',
      headers: { authorization: 'Bearer any' },
    });
    expect(overview.json().deployments.map((d: { name: string }) => d.name)).toEqual([
      'big',
      'mid',
      'small',
    ]);
    const refused = await t.app.inject(
      post({ model: 'embed', input: 'x' }, undefined, 'model-router'),
    );
    expect(refused.statusCode).toBe(403);
    const allowed = await t.app.inject(post({ model: 'embed', input: 'x' }, undefined, 'embed'));
    expect(allowed.statusCode).toBe(200);
  });

  it('refuses configs that route embeddings, ask Anthropic for them, or leave a chat model without maxOutputTokens', () => {
    const bad = (input: ConfigInput) => {
      try {
        parseConfig(input, {});
        return [];
      } catch (err) {
        return (err as ConfigError).issues;
      }
    };
    const base = testConfigInput();
    expect(
      bad({
        ...base,
        deployments: [...base.deployments, embedInput],
        routers: [{ name: 'r', modelSubset: ['big', 'embed'] }],
      }).join(),
    ).toMatch(/routers\[0\]\.modelSubset\[1\]: "embed" is an embeddings deployment/);
    expect(
      bad({
        ...base,
        deployments: [...base.deployments, { ...embedInput, provider: 'anthropic' }],
      }).join(),
    ).toMatch(/Anthropic serves no embeddings/);
    const { maxOutputTokens: _drop, ...noMax } = base.deployments[0]!;
    void _drop;
    expect(bad({ ...base, deployments: [noMax, ...base.deployments.slice(1)] }).join()).toMatch(
      /deployments\[0\]\.maxOutputTokens: required for a chat deployment/,
    );
  });
});

describe('OpenAI-format embeddings upstreams', () => {
  it('call /embeddings (OpenAI, compatible servers) or the Azure deployment path, with the upstream model name', async () => {
    for (const [provider, extra, want] of [
      ['openai', { baseUrl: 'https://api.openai.com/v1' }, 'https://api.openai.com/v1/embeddings'],
      [
        'azure',
        { baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-10-21' },
        'https://res.openai.azure.com/openai/deployments/te3/embeddings?api-version=2024-10-21',
      ],
    ] as const) {
      const d = deploymentSchema.parse({
        name: 'e',
        provider,
        model: 'te3',
        kind: 'embeddings',
        prices: { inputPer1M: 0.02, outputPer1M: 0 },
        contextWindow: 8191,
        apiKeyEnv: 'K',
        ...extra,
      });
      const { http, sent: seen } = recordingHttp(
        '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}',
      );
      const out = await createOpenAiAdapter(d, http, { K: 'secret' }).embed!({
        deployment: d,
        body: { model: 'te3', input: 'hi' },
        signal: new AbortController().signal,
        requestId: 'r',
      });
      expect(seen[0]!.url).toBe(want);
      expect(JSON.parse(seen[0]!.body)).toEqual({ model: 'te3', input: 'hi' });
      expect(
        provider === 'azure' ? seen[0]!.headers['api-key'] : seen[0]!.headers.authorization,
      ).toBe(provider === 'azure' ? 'secret' : 'Bearer secret');
      expect(out.response.data[0]!.embedding).toEqual([0.5]);
    }
  });
});

describe('embeddings and the answer cache', () => {
  it('answers repeated inputs from the cache at no cost, per model and per body, and honours no-store', async () => {
    const t = await setup({ cache: { enabled: true, ttlSeconds: 60 } });
    const send = (payload: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({ ...post(payload), headers: { ...post(payload).headers, ...headers } });
    const first = await send({ model: 'embed', input: ['alpha beta', 'gamma'] });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-router-cache']).toBe('miss');
    const again = await send({ model: 'embed', input: ['alpha beta', 'gamma'] });
    expect(again.headers['x-router-cache']).toBe('hit');
    expect(again.headers['x-router-attempts']).toBe('0');
    expect(again.json().data).toEqual(first.json().data);
    const [missRec, hitRec] = t.records.slice(-2);
    expect(hitRec).toMatchObject({ endpoint: 'embeddings', cache: 'hit', costUsd: 0 });
    expect(hitRec!.baselineCostUsd).toBeCloseTo(missRec!.costUsd, 12);
    expect(hitRec!.baselineCostUsd).toBeGreaterThan(0);
    // Another body (dimensions) is another entry; no-store neither reads nor keeps.
    const other = await send({ model: 'embed', input: ['alpha beta', 'gamma'], dimensions: 8 });
    expect(other.headers['x-router-cache']).toBe('miss');
    expect(other.json().data[0].embedding).toHaveLength(8);
    const bypass = await send(
      { model: 'embed', input: ['alpha beta', 'gamma'] },
      { 'cache-control': 'no-store' },
    );
    expect(bypass.headers['x-router-cache']).toBe('bypass');
    // The kept vectors expire with the TTL.
    t.clock.advance(61_000);
    const expired = await send({ model: 'embed', input: ['alpha beta', 'gamma'] });
    expect(expired.headers['x-router-cache']).toBe('miss');
  });

  it('keeps each input on its own: only new inputs go upstream, in order, and the reply is put together in the client’s order', async () => {
    const t = await setup({ cache: { enabled: true, ttlSeconds: 60 } });
    const ref = await setup(); // the same model without the cache: the vectors to expect
    const batch = ['epsilon', 'gamma delta', 'zeta eta', 'alpha beta'];
    const want = (await ref.app.inject(post({ model: 'embed', input: batch }))).json();
    const first = await t.app.inject(
      post({ model: 'embed', input: ['alpha beta', 'gamma delta'] }),
    );
    expect(first.headers['x-router-cache']).toBe('miss');
    const mixed = await t.app.inject(post({ model: 'embed', input: batch }));
    expect(mixed.statusCode).toBe(200);
    expect(mixed.headers['x-router-cache']).toBe('partial');
    expect(mixed.headers.age).toBeUndefined();
    expect(t.sent).toEqual([
      ['alpha beta', 'gamma delta'],
      ['epsilon', 'zeta eta'],
    ]);
    const body = mixed.json();
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2, 3]);
    expect(body.data).toEqual(want.data);
    // The usage is what the upstream charged for: the two new inputs.
    const fresh = (
      await ref.app.inject(post({ model: 'embed', input: ['epsilon', 'zeta eta'] }))
    ).json().usage;
    expect(body.usage).toEqual(fresh);
    expect(fresh.prompt_tokens).toBeLessThan(want.usage.prompt_tokens);
    const [missRec, partialRec] = t.records;
    expect(partialRec).toMatchObject({
      cache: 'partial',
      deployment: 'embed',
      promptTokens: fresh.prompt_tokens,
    });
    expect(partialRec!.costUsd).toBeCloseTo((fresh.prompt_tokens * 0.02) / 1e6, 15);
    // Saved: what the two kept inputs cost when they were first answered.
    expect(partialRec!.baselineCostUsd - partialRec!.costUsd).toBeCloseTo(missRec!.costUsd, 15);
    // Every input kept now: answered with no upstream call at all.
    const all = await t.app.inject(
      post({ model: 'embed', input: ['zeta eta', 'alpha beta', 'epsilon', 'gamma delta'] }),
    );
    expect(all.headers['x-router-cache']).toBe('hit');
    expect(all.headers['x-router-attempts']).toBe('0');
    expect(t.sent).toHaveLength(2);
    expect(all.json().usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
    expect(all.json().data).toEqual([2, 3, 0, 1].map((i, index) => ({ ...want.data[i], index })));
    const hitRec = t.records.at(-1)!;
    expect(hitRec).toMatchObject({ cache: 'hit', costUsd: 0, promptTokens: 0 });
    expect(hitRec.baselineCostUsd).toBeCloseTo(missRec!.costUsd + partialRec!.costUsd, 15);
  });

  it('keys an input on what decides its vector (dimensions, encoding), not on user; a token array is one input', async () => {
    const t = await setup({ cache: { enabled: true, ttlSeconds: 60 } });
    const status = async (payload: Record<string, unknown>) =>
      (await t.app.inject(post({ model: 'embed', ...payload }))).headers['x-router-cache'];
    expect(await status({ input: 'alpha', user: 'u-1' })).toBe('miss');
    expect(await status({ input: ['alpha'], user: 'u-2' })).toBe('hit');
    expect(await status({ input: 'alpha', dimensions: 8 })).toBe('miss');
    expect(await status({ input: 'alpha', encoding_format: 'base64' })).toBe('miss');
    expect(await status({ input: 'alpha', encoding_format: 'base64' })).toBe('hit');
    expect(t.sent).toEqual(['alpha', 'alpha', 'alpha']);
    expect(
      await status({
        input: [
          [1, 2, 3],
          [4, 5],
        ],
      }),
    ).toBe('miss');
    expect(
      await status({
        input: [
          [4, 5],
          [6, 7],
        ],
      }),
    ).toBe('partial');
    expect(t.sent.at(-1)).toEqual([[6, 7]]);
    expect(await status({ input: [4, 5] })).toBe('hit');
    expect(t.sent).toHaveLength(5);
  });

  it('keys on the other fields as JSON with sorted keys: a client that reorders them shares the entries', async () => {
    const t = await setup({ cache: { enabled: true, ttlSeconds: 60 } });
    const raw = (json: string) => ({ ...post({}), payload: json });
    const first = await t.app.inject(
      raw('{"model":"embed","input":["a","b"],"dimensions":8,"encoding_format":"float"}'),
    );
    expect(first.headers['x-router-cache']).toBe('miss');
    const reordered = await t.app.inject(
      raw('{"encoding_format":"float","dimensions":8,"input":["b","a"],"model":"embed"}'),
    );
    expect(reordered.headers['x-router-cache']).toBe('hit');
    expect(t.sent).toHaveLength(1);
  });

  it('honours no-cache and max-age per input, and cache.maxEntryBytes per vector', async () => {
    const t = await setup({ cache: { enabled: true, ttlSeconds: 60, maxEntryBytes: 400 } });
    const send = (input: unknown, headers: Record<string, string> = {}, extra = {}) =>
      t.app.inject({
        ...post({ model: 'embed', input, dimensions: 4, ...extra }),
        headers: { ...post({}).headers, ...headers },
      });
    expect((await send(['a', 'b'])).headers['x-router-cache']).toBe('miss');
    // no-cache reads nothing: every input goes upstream, and the fresh vectors are kept.
    const refreshed = await send(['a', 'b', 'c'], { 'cache-control': 'no-cache' });
    expect(refreshed.headers['x-router-cache']).toBe('miss');
    expect(t.sent.at(-1)).toEqual(['a', 'b', 'c']);
    t.clock.advance(30_000);
    expect((await send(['d'])).headers['x-router-cache']).toBe('miss');
    const old = await send(['c', 'd']);
    expect(old.headers['x-router-cache']).toBe('hit');
    expect(old.headers.age).toBe('30'); // as old as its oldest vector
    // max-age=10 takes d (just kept) but not c (30 s old): c alone goes upstream.
    const young = await send(['c', 'd'], { 'cache-control': 'max-age=10' });
    expect(young.headers['x-router-cache']).toBe('partial');
    expect(t.sent.at(-1)).toEqual(['c']);
    expect(t.sent).toHaveLength(4);
    // Kept, a 4-d vector is about 150 bytes; this 64-d one about 530: answered, never kept.
    const long = 'the quick brown fox jumps over the lazy dog';
    for (let i = 0; i < 2; i++)
      expect((await send(long, {}, { dimensions: 64 })).headers['x-router-cache']).toBe('miss');
  });

  it('serves a kept vector only while its deployment is still in the pool, and a pool with cache: false never', async () => {
    const pool = (deployments: string[], cache = true) => ({
      name: 'vecs',
      deployments,
      strategy: 'priority' as const,
      cache,
    });
    const t = await setup(
      { cache: { enabled: true, ttlSeconds: 60 }, pools: [pool(['embed', 'embed2'])] },
      [simEmbeddingDeployment('embed2', { simulation: { dimensions: 64 } })],
    );
    const vecs = (input: string[]) => t.app.inject(post({ model: 'vecs', input }));
    expect((await vecs(['a', 'b'])).headers['x-router-deployment']).toBe('embed');
    expect((await vecs(['a', 'b'])).headers['x-router-cache']).toBe('hit');
    t.config.apply(parseConfig({ ...t.input, pools: [pool(['embed2'])] }, {}).config);
    const moved = await vecs(['a', 'b', 'c']);
    expect(moved.headers['x-router-cache']).toBe('miss');
    expect(moved.headers['x-router-deployment']).toBe('embed2');
    expect(t.embedders.embed2!.sent).toEqual([['a', 'b', 'c']]);
    t.config.apply(parseConfig({ ...t.input, pools: [pool(['embed2'], false)] }, {}).config);
    for (let i = 0; i < 2; i++)
      expect((await vecs(['a', 'b', 'c'])).headers['x-router-cache']).toBeUndefined();
    expect(t.embedders.embed2!.sent).toHaveLength(3);
  });

  it('answers 502 when the upstream sends a vector count that does not match the inputs it was sent', async () => {
    const config = parseConfig(
      {
        ...testConfigInput({ cache: { enabled: true, ttlSeconds: 60 } }),
        deployments: [embedInput],
        routers: [],
      },
      {},
    ).config;
    const oneVector: ProviderAdapter = {
      chat: () => Promise.reject(new Error('not used')),
      embed: async () => ({
        response: {
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [1, 0] }],
          model: 'm',
          usage: { prompt_tokens: 1, total_tokens: 1 },
        },
        headers: {},
      }),
    } as unknown as ProviderAdapter;
    const t = await buildTestApp(config, { embed: oneVector }, { authenticator: scopedAuth });
    expect((await t.app.inject(post({ model: 'embed', input: 'a' }))).statusCode).toBe(200);
    const short = await t.app.inject(post({ model: 'embed', input: ['a', 'b', 'c'] }));
    expect(short.statusCode).toBe(502);
    expect(short.json().error.code).toBe('upstream_malformed_response');
    expect(t.records.at(-1)).toMatchObject({ status: 502, cache: 'miss' });
    // Without the cache too: vectors that do not line up with the inputs are no answer (media
    // audit F1, 2026-12-06: passed on as a 200 when nothing came from the cache).
    const uncached = parseConfig(
      { ...testConfigInput(), deployments: [embedInput], routers: [] },
      {},
    ).config;
    const u = await buildTestApp(uncached, { embed: oneVector }, { authenticator: scopedAuth });
    const plain = await u.app.inject(post({ model: 'embed', input: ['a', 'b', 'c'] }));
    expect(plain.statusCode).toBe(502);
    expect(plain.json().error.code).toBe('upstream_malformed_response');
    expect((await u.app.inject(post({ model: 'embed', input: 'a' }))).statusCode).toBe(200);
  });

  it('without cache.enabled nothing is kept or said', async () => {
    const t = await setup();
    for (let i = 0; i < 2; i++) {
      const r = await t.app.inject(post({ model: 'embed', input: 'alpha' }));
      expect(r.headers['x-router-cache']).toBeUndefined();
    }
    expect(t.records.every((r) => r.cache === undefined)).toBe(true);
  });
});

describe('embeddings, the answer cache and API keys (createRuntime)', () => {
  it('a key with cache: false is neither served kept vectors nor leaves any; another key gets partial and full hits', async () => {
    const fresh = 'mr-fresh-embed-key-0123456789ab';
    const normal = 'mr-normal-embed-key-0123456789a';
    const input = testConfigInput({
      cache: { enabled: true, ttlSeconds: 60 },
      auth: {
        mode: 'keys',
        keys: [
          { id: 'fresh', hash: hashApiKey(fresh), tenant: 'team-a', cache: false },
          { id: 'normal', hash: hashApiKey(normal), tenant: 'team-a' },
        ],
      },
    });
    input.deployments.push(embedInput);
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const as = async (key: string, texts: string[]) => {
        const r = await rt.app.inject({
          method: 'POST',
          url: '/v1/embeddings',
          headers: { authorization: `Bearer ${key}` },
          payload: { model: 'embed', input: texts },
        });
        expect(r.statusCode).toBe(200);
        expect(r.json().data.map((d: { index: number }) => d.index)).toEqual(
          texts.map((_, i) => i),
        );
        return [r.headers['x-router-cache'], r.json().usage.prompt_tokens];
      };
      expect((await as(fresh, ['north', 'south']))[0]).toBe('bypass');
      expect((await as(normal, ['north']))[0]).toBe('miss'); // the fresh key kept nothing
      const [partial, partialTokens] = await as(normal, ['south', 'north']);
      expect(partial).toBe('partial');
      expect(partialTokens).toBeGreaterThan(0);
      expect(await as(normal, ['north', 'south'])).toEqual(['hit', 0]);
      expect((await as(fresh, ['north', 'south']))[0]).toBe('bypass');
    } finally {
      await rt.close();
    }
  });
});
