// The answer cache in the real Redis: an answer kept by one replica is a hit on another, each
// entry expires by itself after the TTL, and a Redis that is not there is a miss, never an error.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { parseConfig } from '../../src/config/load-config.js';
import type { Authenticator } from '../../src/http/auth-hook.js';
import { redisAnswerCache } from '../../src/store/answer-cache-store.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { buildTestApp } from '../helpers/build-test-app.js';
import { fakeAdapter } from '../helpers/fake-adapter.js';
import { testConfigInput } from '../helpers/test-config.js';
import {
  cleanupPrefix,
  freePort,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from './redis-helpers.js';

const available = await redisAvailable();
const prefix = uniquePrefix('answer-cache');
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

const ask = (content: string) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: { model: 'model-router', messages: [{ role: 'user', content }] },
});

async function keysNow(): Promise<string[]> {
  const client = new Redis(REDIS_URL);
  try {
    return await client.keys(`${prefix}cache:*`);
  } finally {
    client.disconnect();
  }
}

describe.skipIf(!available)('answer cache on Redis', () => {
  const states: RedisState[] = [];
  const state = () => {
    const s = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
    states.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of states) await s.close();
    await cleanupPrefix(prefix);
  });

  it('a second replica answers from what the first kept, and the entry expires after the TTL', async () => {
    const [sa, sb] = [state(), state()];
    await Promise.all([sa.waitUntilReady(2000), sb.waitUntilReady(2000)]);
    const a = await replica(sa);
    const b = await replica(sb);
    const first = await a.app.inject(ask('What is 2 + 2?'));
    expect(first.headers['x-router-cache']).toBe('miss');
    // The write is not awaited by the request: wait until the entry is there.
    const client = new Redis(REDIS_URL);
    try {
      let keys: string[] = [];
      for (let i = 0; i < 50 && keys.length === 0; i++) {
        keys = await client.keys(`${prefix}cache:*`);
        if (keys.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
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
    for (let i = 0; i < 50 && (await keysNow()).length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    const cleared = await b.app.inject({ method: 'DELETE', url: '/admin/v1/cache' });
    expect(cleared.json()).toEqual({ object: 'cache.cleared', deleted: 2 });
    expect(await keysNow()).toEqual([]);
    expect((await a.app.inject(ask('What is 2 + 2?'))).headers['x-router-cache']).toBe('miss');
  });

  it('without Redis every request is a miss served upstream, and the failures are counted', async () => {
    const down = new RedisState({
      url: `redis://127.0.0.1:${await freePort()}`,
      prefix,
      commandTimeoutMs: 200,
    });
    states.push(down);
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
    const cleared = await t.app.inject({ method: 'DELETE', url: '/admin/v1/cache' });
    expect(cleared.statusCode).toBe(503);
    expect(cleared.json().error).toMatchObject({ code: 'cache_unavailable' });
  });
});
