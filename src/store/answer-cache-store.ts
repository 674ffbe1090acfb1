// Where cached answers live: in process (a least-recently-used map bounded in bytes, lru-cache)
// by default, or in Redis when the replicas share state there, so an answer kept by one replica
// is a hit on every other. Values are JSON text. A cache is never worth failing a request for: a
// Redis that is down or slow is a miss, and an answer it could not keep is simply not kept.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../core/clock.js';
import type { RedisState } from './redis/redis-state.js';
import { ResilientState } from './redis/resilient-state.js';
import type { SharedState } from './shared-state.js';

export interface AnswerCacheStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Several entries in one round trip (a batch of embedding inputs), in the order of `keys`. */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** Keeps several entries in one round trip, each expiring after `ttlMs`. */
  setMany(
    entries: readonly (readonly [key: string, value: string])[],
    ttlMs: number,
  ): Promise<void>;
  /** Drops every kept answer; how many there were. */
  clear(): Promise<number>;
  /** Lookups and writes the store could not do (Redis down or slow): each was a miss. */
  readonly failures: number;
}

/** In process: at most `maxBytes` of keys and values, the least recently used dropped first. */
export function memoryAnswerCache(maxBytes: number, clock: Clock): AnswerCacheStore {
  const entries = new LRUCache<string, string>({
    maxSize: maxBytes,
    perf: { now: () => clock.now() },
    sizeCalculation: (value, key) => value.length + key.length,
  });
  return {
    kind: 'memory',
    failures: 0,
    get: async (key) => entries.get(key),
    getMany: async (keys) => keys.map((key) => entries.get(key)),
    async set(key, value, ttlMs) {
      // An entry past its time is dropped when read; the size bound keeps the rest in check.
      entries.set(key, value, { ttl: ttlMs });
    },
    async setMany(list, ttlMs) {
      for (const [key, value] of list) entries.set(key, value, { ttl: ttlMs });
    },
    async clear() {
      const n = entries.size;
      entries.clear();
      return n;
    },
  };
}

/** In Redis, under the state's prefix (`<prefix>cache:<key>`), each entry expiring by itself. */
export function redisAnswerCache(redis: RedisState, prefix: string): AnswerCacheStore {
  const store = {
    kind: 'redis' as const,
    failures: 0,
    async get(key: string): Promise<string | undefined> {
      if (!redis.ready) return miss();
      try {
        return (await redis.client.get(prefix + 'cache:' + key)) ?? undefined;
      } catch {
        return miss();
      }
    },
    async set(key: string, value: string, ttlMs: number): Promise<void> {
      if (!redis.ready) return void miss();
      try {
        await redis.client.set(prefix + 'cache:' + key, value, 'PX', ttlMs);
      } catch {
        miss();
      }
    },
    /** One MGET: a batch of N inputs is one round trip, not N. */
    async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
      if (keys.length === 0) return [];
      // One lookup that could not be done is one failure, however many keys it asked for.
      const none = () => (miss(), keys.map(() => undefined));
      if (!redis.ready) return none();
      try {
        const values = await redis.client.mget(keys.map((key) => prefix + 'cache:' + key));
        return values.map((v) => v ?? undefined);
      } catch {
        return none();
      }
    },
    /** One pipeline of SET … PX: one round trip; a failed write is one failure, not kept. */
    async setMany(
      entries: readonly (readonly [key: string, value: string])[],
      ttlMs: number,
    ): Promise<void> {
      if (entries.length === 0) return;
      if (!redis.ready) return void miss();
      try {
        const pipeline = redis.client.pipeline();
        for (const [key, value] of entries)
          pipeline.set(prefix + 'cache:' + key, value, 'PX', ttlMs);
        const results = (await pipeline.exec()) ?? [];
        if (results.some(([err]) => err)) miss();
      } catch {
        miss();
      }
    },
    /** Every replica's answers: SCAN under the prefix, UNLINK in batches. Redis down: throws. */
    async clear(): Promise<number> {
      let deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.client.scan(
          cursor,
          'MATCH',
          `${prefix.replace(/[*?[\]\\]/g, '\\$&')}cache:*`,
          'COUNT',
          1000,
        );
        if (keys.length) deleted += await redis.client.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      return deleted;
    },
  };
  const miss = (): undefined => {
    store.failures++;
    return undefined;
  };
  return store;
}

/** The cache that goes with the shared state: Redis when the state is in Redis, else in process. */
export function createAnswerCacheStore(
  state: SharedState,
  options: { memoryBytes: number; prefix: string; clock: Clock },
): AnswerCacheStore {
  return state instanceof ResilientState
    ? redisAnswerCache(state.redis, options.prefix)
    : memoryAnswerCache(options.memoryBytes, options.clock);
}
