import { describe, expect, it } from 'vitest';
import { parseConfig, type ConfigError } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import type { ChatChunk } from '../core/wire-types.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../providers/types.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { simEmbeddingDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { costUsd, usageCounts } from './cost.js';

// A prompt long enough that the simulated embeddings (hashed words and word pairs) put a
// one-word change above 0.95: "suggest" → "propose" measures 0.9764 at 1,536 dimensions, and
// so does "two week" → "three week", a different question (docs/concepts.md: keep it high).
const TRIP =
  'I am planning a two week trip to Portugal in the spring with my partner and we enjoy hiking good food and small towns away from the crowds so please suggest an itinerary that balances Lisbon Porto and the Douro valley with a few quiet days near the coast';
const PARAPHRASE = TRIP.replace('suggest', 'propose');
const UNRELATED = 'Write a haiku about autumn leaves falling on a quiet pond.'; // 0.16 to TRIP

type DeploymentInput = ConfigInput['deployments'][number];
const SEMANTIC = { enabled: true, embeddings: 'embed' };

function configInput(
  semantic: Record<string, unknown> = SEMANTIC,
  embed: Partial<DeploymentInput> = {},
  overrides: Partial<ConfigInput> = {},
): ConfigInput {
  const input = testConfigInput({
    cache: { enabled: true, ttlSeconds: 600, semantic },
    ...overrides,
  });
  input.deployments.push(simEmbeddingDeployment('embed', embed));
  return input;
}

async function setup(...args: Parameters<typeof configInput>) {
  return setupWith([{ reply: 'first' }, { reply: 'second' }, { reply: 'third' }], ...args);
}

async function setupWith(script: Step[], ...args: Parameters<typeof configInput>) {
  const input = configInput(...args);
  const config = parseConfig(input, {}).config;
  const chat = {
    big: fakeAdapter('big-sim', script),
    mid: fakeAdapter('mid-sim', script),
    small: fakeAdapter('small-sim', script),
  };
  const sim = createSimulatedAdapter(config.deployments.find((d) => d.name === 'embed')!);
  /** What the embedding model was sent, and the tokens it charged for each call. */
  const embedded: { input: unknown; tokens?: number }[] = [];
  const embed: ProviderAdapter = {
    ...sim,
    async embed(req) {
      const call: { input: unknown; tokens?: number } = { input: req.body.input };
      embedded.push(call);
      const reply = await sim.embed!(req);
      call.tokens = reply.response.usage.prompt_tokens;
      return reply;
    },
  };
  const t = await buildTestApp(config, { ...chat, embed });
  const chatCalls = () => chat.big.calls.length + chat.mid.calls.length + chat.small.calls.length;
  return { ...t, input, chat, chatCalls, embedded };
}

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'model-router',
  messages: [{ role: 'user', content }],
  ...extra,
});

const post = (
  payload: unknown,
  headers: Record<string, string> = {},
  url = '/v1/chat/completions',
) => ({
  method: 'POST' as const,
  url,
  headers: { 'content-type': 'application/json', ...headers },
  payload: payload as Record<string, unknown>,
});

/** The text of an SSE chat stream. */
function sseContent(text: string): string {
  return text
    .split('\n\n')
    .map((e) => e.replace(/^data: /, '').trim())
    .filter((d) => d && d !== '[DONE]')
    .map((d) => (JSON.parse(d) as ChatChunk).choices[0]?.delta?.content ?? '')
    .join('');
}

describe('semantic answer cache (cache.semantic)', () => {
  it('answers a near-identical prompt from the kept answer: no chat call, semantic, similarity, the embedding in the cost', async () => {
    const t = await setup();
    const a = await t.app.inject(post(ask(TRIP)));
    expect(a.statusCode).toBe(200);
    expect(a.headers['x-router-cache']).toBe('miss');
    expect(a.headers['x-router-cache-similarity']).toBeUndefined();
    const b = await t.app.inject(post(ask(PARAPHRASE)));
    expect(b.statusCode).toBe(200);
    expect(b.headers['x-router-cache']).toBe('semantic');
    expect(b.headers['x-router-cache-similarity']).toBe('0.9764');
    expect(b.headers['x-router-attempts']).toBe('0');
    expect(b.headers['x-router-deployment']).toBe(a.headers['x-router-deployment']);
    expect(b.json().choices[0].message.content).toBe('first');
    expect(t.chatCalls()).toBe(1);
    // One embedding call each, of the role-prefixed conversation.
    expect(t.embedded.map((e) => e.input)).toEqual([`user: ${TRIP}\n`, `user: ${PARAPHRASE}\n`]);

    const [miss, hit] = t.records;
    const embedPrices = { prices: { inputPer1M: 0.02, outputPer1M: 0 } };
    const embedCost = (tokens = 0) =>
      costUsd(embedPrices, {
        promptTokens: tokens,
        cachedTokens: 0,
        completionTokens: 0,
        reasoningTokens: 0,
      });
    const served = t.config.current.deployments.get(miss!.deployment!)!;
    const chatCost = costUsd(served, usageCounts(a.json().usage));
    expect(embedCost(t.embedded[0]!.tokens)).toBeGreaterThan(0);
    expect(miss?.cache).toBe('miss');
    expect(miss?.costUsd).toBeCloseTo(chatCost + embedCost(t.embedded[0]!.tokens), 15);
    // No chat attempt: the embedding call alone, listed so that it counts at its deployment.
    expect(hit).toMatchObject({
      cache: 'semantic',
      attempts: [{ deployment: 'embed', lookup: 'semantic_cache', outcome: 'ok' }],
      status: 200,
    });
    expect(hit!.attempts[0]!.costUsd).toBeCloseTo(embedCost(t.embedded[1]!.tokens), 15);
    expect(hit?.costUsd).toBeCloseTo(embedCost(t.embedded[1]!.tokens), 15);
    // Saved like an exact hit: what the kept answer cost on the top model.
    expect(hit?.baselineCostUsd).toBe(miss?.baselineCostUsd);
    expect(hit!.baselineCostUsd).toBeGreaterThan(hit!.costUsd);

    // The exact cache still comes first: the same prompt again is an exact hit, not embedded.
    const c = await t.app.inject(post(ask(TRIP)));
    expect(c.headers['x-router-cache']).toBe('hit');
    expect(t.embedded).toHaveLength(2);
  });

  it('DELETE /admin/v1/cache empties the index with the answers: the paraphrase is a miss, and is kept anew', async () => {
    const input = configInput();
    const config = parseConfig(input, {}).config;
    const script = [{ reply: 'first' }, { reply: 'second' }];
    const sim = createSimulatedAdapter(config.deployments.find((d) => d.name === 'embed')!);
    const t = await buildTestApp(
      config,
      {
        big: fakeAdapter('big-sim', script),
        mid: fakeAdapter('mid-sim', script),
        small: fakeAdapter('small-sim', script),
        embed: sim,
      },
      {
        authenticator: { authenticate: () => ({ tenant: 'default', admin: true, scopes: ['*'] }) },
      },
    );
    await t.app.inject(post(ask(TRIP)));
    expect(t.gateway.semanticEntries()).toBe(1);
    const cleared = await t.app.inject({ method: 'DELETE', url: '/admin/v1/cache' });
    expect(cleared.json()).toEqual({ object: 'cache.cleared', deleted: 1 });
    expect(t.gateway.semanticEntries()).toBe(0);
    const again = await t.app.inject(post(ask(PARAPHRASE)));
    expect(again.headers['x-router-cache']).toBe('miss');
    expect(again.json().choices[0].message.content).toBe('second');
    expect(t.gateway.semanticEntries()).toBe(1);
  });

  it('an unrelated prompt, or the same prompt with another temperature, is a miss', async () => {
    const t = await setup();
    await t.app.inject(post(ask(TRIP)));
    const unrelated = await t.app.inject(post(ask(UNRELATED)));
    expect(unrelated.headers['x-router-cache']).toBe('miss');
    expect(unrelated.json().choices[0].message.content).toBe('second');
    // The same text: similarity 1, but another partition.
    const warmer = await t.app.inject(post(ask(PARAPHRASE, { temperature: 0.9 })));
    expect(warmer.headers['x-router-cache']).toBe('miss');
    expect(warmer.json().choices[0].message.content).toBe('third');
    expect(t.chatCalls()).toBe(3);
    expect(t.embedded).toHaveLength(3);
  });

  it('replays a kept answer as a stream', async () => {
    const t = await setup();
    await t.app.inject(post(ask(TRIP)));
    const s = await t.app.inject(post(ask(PARAPHRASE, { stream: true })));
    expect(s.statusCode).toBe(200);
    expect(s.headers['content-type']).toMatch(/text\/event-stream/);
    expect(s.headers['x-router-cache']).toBe('semantic');
    expect(sseContent(s.body)).toBe('first');
    expect(s.body).toContain('data: [DONE]');
    expect(t.chatCalls()).toBe(1);
    expect(t.records[1]?.cache).toBe('semantic');
  });

  it('a streamed answer is indexed too, once it is whole', async () => {
    const t = await setup();
    const s = await t.app.inject(post(ask(TRIP, { stream: true })));
    expect(sseContent(s.body)).toBe('first');
    const b = await t.app.inject(post(ask(PARAPHRASE)));
    expect(b.headers['x-router-cache']).toBe('semantic');
    expect(b.json().choices[0].message.content).toBe('first');
    expect(t.chatCalls()).toBe(1);
  });

  it("serves a streamed answer's thinking as an exact hit does: the same signed blocks, JSON and streamed", async () => {
    const think = { thinking: 'Plan the route.', signature: 'EqQBsig==' };
    const t = await setupWith([{ reply: 'first', think }]);
    await t.app.inject(post(ask(TRIP, { stream: true })));
    const json = await t.app.inject(post(ask(PARAPHRASE)));
    expect(json.headers['x-router-cache']).toBe('semantic');
    expect(json.json().choices[0].message.reasoning_details).toEqual([
      { provider: 'anthropic', type: 'thinking', ...think },
    ]);
    const streamed = await t.app.inject(post(ask(PARAPHRASE, { stream: true })));
    expect(streamed.headers['x-router-cache']).toBe('semantic');
    const pieces = streamed.body
      .split('\n\n')
      .map((e) => e.replace(/^data: /, '').trim())
      .filter((d) => d && d !== '[DONE]')
      .flatMap(
        (d) =>
          ((JSON.parse(d) as ChatChunk).choices[0]?.delta as { reasoning_details?: unknown[] })
            ?.reasoning_details ?? [],
      );
    expect(pieces).toEqual([{ provider: 'anthropic', type: 'thinking', index: 0, ...think }]);
    expect(t.chatCalls()).toBe(1);
  });

  it('Cache-Control: no-cache skips it (no embedding call); a router with cache: false never embeds', async () => {
    const t = await setup();
    await t.app.inject(post(ask(TRIP)));
    const r = await t.app.inject(post(ask(PARAPHRASE), { 'cache-control': 'no-cache' }));
    expect(r.headers['x-router-cache']).toBe('miss');
    expect(t.embedded).toHaveLength(1);
    expect(t.chatCalls()).toBe(2);

    const off = await setup(
      SEMANTIC,
      {},
      {
        routers: [{ name: 'model-router', modelSubset: ['big', 'mid', 'small'], cache: false }],
      },
    );
    await off.app.inject(post(ask(TRIP)));
    const again = await off.app.inject(post(ask(PARAPHRASE)));
    expect(again.headers['x-router-cache']).toBeUndefined();
    expect(off.embedded).toHaveLength(0);
    expect(off.chatCalls()).toBe(2);
  });

  it('an embedding model that fails is a plain miss, the request answered upstream; its circuit breaker opens', async () => {
    const t = await setup(SEMANTIC, { simulation: { failure: { kind: '500' } } });
    for (const text of [TRIP, PARAPHRASE, TRIP.replace('spring', 'autumn')]) {
      const r = await t.app.inject(post(ask(text)));
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-router-cache']).toBe('miss');
    }
    expect(t.chatCalls()).toBe(3);
    expect(t.embedded).toHaveLength(3);
    // Nothing was spent on embeddings: each record costs its chat answer only.
    for (const r of t.records)
      expect(r.costUsd).toBe(
        costUsd(t.config.current.deployments.get(r.deployment!)!, {
          promptTokens: r.promptTokens,
          cachedTokens: r.cachedTokens,
          completionTokens: r.completionTokens,
          reasoningTokens: r.reasoningTokens,
        }),
      );
    // Five failures open the breaker (the default): the sixth lookup does not call.
    for (const n of [4, 5, 6]) await t.app.inject(post(ask(`${TRIP} ${n}`)));
    expect(t.breakers.state('embed')).toBe('open');
    expect(t.embedded).toHaveLength(5);
    expect(t.chatCalls()).toBe(6);
  });

  it('an embedding call slower than timeoutMs is a plain miss', async () => {
    const t = await setup(
      { ...SEMANTIC, timeoutMs: 20 },
      { simulation: { failure: { kind: 'slow-first-token', delayMs: 60_000 } } },
    );
    const r = await t.app.inject(post(ask(TRIP)));
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-router-cache']).toBe('miss');
    expect(t.embedded).toHaveLength(1);
    expect(t.chatCalls()).toBe(1);
  });

  it('serves only while the deployment that answered is still eligible (a reload that drops it)', async () => {
    const t = await setup();
    const a = await t.app.inject(post(ask(TRIP)));
    const servedBy = a.headers['x-router-deployment'] as string;
    const input = configInput();
    input.routers = [
      { name: 'model-router', modelSubset: ['big', 'mid', 'small'].filter((d) => d !== servedBy) },
    ];
    t.config.apply(parseConfig(input, {}).config);
    const b = await t.app.inject(post(ask(PARAPHRASE)));
    expect(b.headers['x-router-cache']).toBe('miss');
    expect(t.chatCalls()).toBe(2);
  });

  it('costs nothing while off (not even its module), and a reload turns it on at once', async () => {
    const t = await setup({ enabled: false, embeddings: 'embed' });
    await t.app.inject(post(ask(TRIP)));
    const off = await t.app.inject(post(ask(PARAPHRASE)));
    expect(off.headers['x-router-cache']).toBe('miss');
    expect(t.embedded).toHaveLength(0);
    // Undefined until built; a request that had started the import would have awaited the build.
    expect(t.gateway.semanticEntries()).toBeUndefined();

    t.config.apply(parseConfig(configInput(), {}).config);
    await t.app.inject(post(ask(TRIP, { max_tokens: 300 })));
    const on = await t.app.inject(post(ask(PARAPHRASE, { max_tokens: 300 })));
    expect(on.headers['x-router-cache']).toBe('semantic');
    expect(t.chatCalls()).toBe(3);
  });

  it('serves the Messages API through the same path', async () => {
    const t = await setup();
    const messages = (text: string) => ({
      model: 'model-router',
      max_tokens: 200,
      messages: [{ role: 'user', content: text }],
    });
    const a = await t.app.inject(post(messages(TRIP), {}, '/v1/messages'));
    expect(a.statusCode).toBe(200);
    const b = await t.app.inject(post(messages(PARAPHRASE), {}, '/v1/messages'));
    expect(b.statusCode).toBe(200);
    expect(b.headers['x-router-cache']).toBe('semantic');
    expect(b.json().content[0].text).toBe('first');
    expect(t.chatCalls()).toBe(1);
  });
});

describe('cache.semantic config', () => {
  const issues = (input: ConfigInput) => {
    try {
      parseConfig(input, {});
      return [];
    } catch (err) {
      return (err as ConfigError).issues;
    }
  };

  it('names the path of a bad embeddings name, a missing one, and semantic without cache.enabled', () => {
    expect(issues(configInput({ enabled: true, embeddings: 'big' }))).toEqual([
      expect.stringMatching(
        /^cache\.semantic\.embeddings: "big" is not an embedding model .*embed/,
      ),
    ]);
    expect(issues(configInput({ enabled: true, embeddings: 'nope' }))).toEqual([
      expect.stringMatching(/^cache\.semantic\.embeddings: unknown deployment or pool "nope"/),
    ]);
    expect(issues(configInput({ enabled: true }))).toEqual([
      expect.stringMatching(/^cache\.semantic\.embeddings: required/),
    ]);
    const noCache = configInput();
    noCache.cache = { enabled: false, semantic: SEMANTIC };
    expect(issues(noCache)).toEqual([
      expect.stringMatching(/^cache\.semantic\.enabled: needs cache\.enabled/),
    ]);
    expect(issues(configInput({ ...SEMANTIC, minSimilarity: 1.5 }))).toEqual([
      expect.stringMatching(/^cache\.semantic\.minSimilarity:/),
    ]);
  });

  it('takes an embeddings pool, and defaults to off with a high threshold', () => {
    const input = configInput(
      { enabled: true, embeddings: 'embeddings' },
      {},
      {
        pools: [{ name: 'embeddings', deployments: ['embed'] }],
      },
    );
    expect(issues(input)).toEqual([]);
    expect(parseConfig(testConfigInput(), {}).config.cache.semantic).toEqual({
      enabled: false,
      minSimilarity: 0.95,
      maxEntries: 10_000,
      maxTextChars: 8_000,
      timeoutMs: 1_000,
    });
  });
});
