// The answer cache in the real Redis: an answer kept by one replica is a hit on another, each
// entry expires by itself after the TTL, and a Redis that is not there is a miss, never an error.
import { describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { parseConfig } from '../../src/config/load-config.js';
import type { Authenticator } from '../../src/http/auth-hook.js';
import { redisAnswerCache } from '../../src/store/answer-cache-store.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { fakeAdapter } from '../helpers/fake-adapter.js';
import { simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import type { EmbeddingsRequest } from '../../src/core/wire-types.js';
import { freePort, REDIS_URL, redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('answer-cache');
// The embeddings test counts its own entries, apart from what the chat tests left.
const embedPrefix = suite.prefix('answer-cache-embed');
// Every caller is an admin here, so the same app serves chat and DELETE /admin/v1/cache.
const admin: Authenticator = {
  authenticate: () => ({ tenant: 'default', admin: true, scopes: ['*'] }),
};
const config = parseConfig(
  testConfigInput({ cache: { enabled: true, ttlSeconds: 120 } }),
  {},
).config;

async function replica(state: RedisState) {
  const adapters = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(`${n}-sim`, [{ reply: `from ${n}` }])]),
  );
  const t = await buildTestApp(config, adapters, {
    answerCacheStore: redisAnswerCache(state, prefix),
    authenticator: admin,
  });
  const calls = () => Object.values(adapters).reduce((n, a) => n + a.calls.length, 0);
  return { ...t, calls };
}

const embedConfig = parseConfig(
  {
    ...testConfigInput({ cache: { enabled: true, ttlSeconds: 120 } }),
    deployments: [simEmbeddingDeployment('embed', { simulation: { dimensions: 16 } })],
    routers: [],
  },
  {},
).config;

/** A replica serving the simulated embedding model, recording the inputs each call sent. */
async function embedReplica(state: RedisState) {
  const sim = createSimulatedAdapter(embedConfig.deployments[0]!);
  const sent: EmbeddingsRequest['input'][] = [];
  const adapter: ProviderAdapter = {
    ...sim,
    embed: (req) => (sent.push(req.body.input), sim.embed!(req)),
  };
  const t = await buildTestApp(
    embedConfig,
    { embed: adapter },
    { answerCacheStore: redisAnswerCache(state, embedPrefix), authenticator: admin },
  );
  const embed = (input: string[]) =>
    t.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { model: 'embed', input } });
  return { ...t, sent, embed };
}

const ask = (content: string) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: { model: 'model-router', messages: [{ role: 'user', content }] },
});

async function keysNow(under = prefix): Promise<string[]> {
  const client = new Redis(REDIS_URL);
  try {
    return await client.keys(`${under}cache:*`);
  } finally {
    client.disconnect();
  }
}

/**
 * Until `count` entries are kept under `under` (a request's cache writes are not awaited). The
 * budget only bounds how long a failure takes to show: wide, so a loaded machine cannot use it up.
 */
async function untilKeys(count: number, under = prefix): Promise<void> {
  await expect.poll(() => keysNow(under), { timeout: 15_000, interval: 20 }).toHaveLength(count);
}

describe.skipIf(!suite.available)('answer cache on Redis', () => {
  it('a second replica answers from what the first kept, and the entry expires after the TTL', async () => {
    const [sa, sb] = await Promise.all([suite.state(prefix), suite.state(prefix)]);
    const a = await replica(sa);
    const b = await replica(sb);
    const first = await a.app.inject(ask('What is 2 + 2?'));
    expect(first.headers['x-router-cache']).toBe('miss');
    // The write is not awaited by the request: wait until the entry is there.
    await untilKeys(1);
    const client = new Redis(REDIS_URL);
    try {
      const keys = await keysNow();
      expect(keys).toHaveLength(1);
      const ttl = await client.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(100_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      expect(JSON.parse((await client.get(keys[0]!))!).deployment).toBe(
        first.headers['x-router-deployment'],
      );
    } finally {
      client.disconnect();
    }
    const second = await b.app.inject(ask('What is 2 + 2?'));
    expect(second.headers['x-router-cache']).toBe('hit');
    expect(second.json().choices[0].message.content).toBe(first.json().choices[0].message.content);
    expect(b.calls()).toBe(0);
    expect(b.records[0]).toMatchObject({ cache: 'hit', costUsd: 0 });
    // Clearing through one replica clears what every replica kept.
    await a.app.inject(ask('What is 3 + 3?'));
    await untilKeys(2);
    const cleared = await b.app.inject({ method: 'DELETE', url: '/admin/v1/cache' });
    expect(cleared.json()).toEqual({ object: 'cache.cleared', deleted: 2 });
    expect(await keysNow()).toEqual([]);
    expect((await a.app.inject(ask('What is 2 + 2?'))).headers['x-router-cache']).toBe('miss');
  });

  it('embeddings: each input is its own entry, read for a batch in one MGET, so a second replica sends only the new inputs', async () => {
    const [sa, sb] = await Promise.all([suite.state(prefix), suite.state(prefix)]);
    const a = await embedReplica(sa);
    const b = await embedReplica(sb);
    const first = await a.embed(['red apple', 'green pear']);
    expect(first.headers['x-router-cache']).toBe('miss');
    // The writes are not awaited by the request: wait until both entries are there.
    await untilKeys(2, embedPrefix);
    const client = new Redis(REDIS_URL);
    try {
      const keys = await keysNow(embedPrefix);
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        const ttl = await client.pttl(key);
        expect(ttl).toBeGreaterThan(100_000);
        expect(ttl).toBeLessThanOrEqual(120_000);
        const entry = JSON.parse((await client.get(key))!);
        expect(entry).toMatchObject({ deployment: 'embed', model: 'text-embedding-3-small' });
        expect(entry.embedding).toHaveLength(16);
      }
    } finally {
      client.disconnect();
    }
    const mget = vi.spyOn(sb.client, 'mget');
    const get = vi.spyOn(sb.client, 'get');
    const mixed = await b.embed(['blue plum', 'green pear', 'red apple']);
    expect(mixed.headers['x-router-cache']).toBe('partial');
    expect(b.sent).toEqual([['blue plum']]);
    expect(mixed.json().data.slice(1)).toEqual(
      first
        .json()
        .data.reverse()
        .map((d: object, i: number) => ({ ...d, index: i + 1 })),
    );
    expect(mget).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
    await untilKeys(3, embedPrefix);
    const all = await a.embed(['green pear', 'blue plum', 'red apple']);
    expect(all.headers['x-router-cache']).toBe('hit');
    expect(a.sent).toHaveLength(1);
    expect(b.records[0]).toMatchObject({ cache: 'partial' });
    expect(a.records[1]).toMatchObject({ cache: 'hit', costUsd: 0 });
    // DELETE /admin/v1/cache drops vectors too.
    const cleared = await b.app.inject({ method: 'DELETE', url: '/admin/v1/cache' });
    expect(cleared.json()).toEqual({ object: 'cache.cleared', deleted: 3 });
  });

  it('without Redis every request is a miss served upstream, and the failures are counted', async () => {
    const down = new RedisState({
      url: `redis://127.0.0.1:${await freePort()}`,
      prefix,
      commandTimeoutMs: 200,
    });
    suite.cleanup(() => down.close());
    const store = redisAnswerCache(down, prefix);
    const t = await buildTestApp(
      config,
      Object.fromEntries(
        ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(n, [{ reply: 'ok' }])]),
      ),
      { answerCacheStore: store, authenticator: admin },
    );
    for (let i = 0; i < 2; i++) {
      const r = await t.app.inject(ask('Is Redis there?'));
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-router-cache']).toBe('miss');
    }
    expect(store.failures).toBe(4); // two lookups and two writes
    // A batch read or write is one round trip: one failure, however many entries it had.
    expect(await store.getMany(['x', 'y'])).toEqual([undefined, undefined]);
    await store.setMany(
      [
        ['x', '1'],
        ['y', '2'],
      ],
      1000,
    );
    expect(store.failures).toBe(6);
    const cleared = await t.app.inject({ method: 'DELETE', url: '/admin/v1/cache' });
    expect(cleared.statusCode).toBe(503);
    expect(cleared.json().error).toMatchObject({ code: 'cache_unavailable' });
  });
});
