// Keys issued or revoked on one replica are seen by another within moments (Redis hash + pub/sub).
import { afterAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/auth/authenticate.js';
import { KeyStore } from '../../src/auth/key-store.js';
import { systemClock } from '../../src/core/clock.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { cleanupPrefix, redisAvailable, REDIS_URL, uniquePrefix } from './redis-helpers.js';

const available = await redisAvailable();
const prefix = uniquePrefix('keys');

describe.skipIf(!available)('KeyStore on Redis', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closers) await c();
    await cleanupPrefix(prefix);
  });

  it('replicas see issued and revoked keys', async () => {
    const replicas = await Promise.all(
      [0, 1].map(async () => {
        const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
        await state.waitUntilReady(2000);
        const keys = new KeyStore({ state, clock: systemClock, configKeys: () => [] });
        await keys.start();
        closers.push(async () => {
          await keys.close();
          await state.close();
        });
        return keys;
      }),
    );
    const [a, b] = replicas as [KeyStore, KeyStore];
    const status = (store: KeyStore, key: string) => {
      try {
        return authenticate(
          { authorization: `Bearer ${key}` },
          { mode: () => 'keys', keys: store, clock: systemClock },
        ).tenant;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    const { key } = await a.issue({ id: 'shared', tenant: 'acme' });
    await expect.poll(() => status(b, key), { timeout: 2000, interval: 10 }).toBe('acme');
    await b.revoke('shared');
    await expect.poll(() => status(a, key), { timeout: 2000, interval: 10 }).toBe(401);
    // A fresh replica starting later loads the state from Redis.
    const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
    await state.waitUntilReady(2000);
    const late = new KeyStore({ state, clock: systemClock, configKeys: () => [] });
    await late.start();
    closers.push(async () => {
      await late.close();
      await state.close();
    });
    const { key: key2 } = await a.issue({ tenant: 'beta' });
    await expect.poll(() => status(late, key2), { timeout: 2000, interval: 10 }).toBe('beta');
    expect(status(late, key)).toBe(401);
  });
});
