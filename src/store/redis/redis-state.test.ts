// RedisState against the real Redis on 127.0.0.1:6379 (skips loudly when absent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { MemoryState } from '../memory/memory-state.js';
import {
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from '../../../test/redis/redis-helpers.js';
import { RedisState } from './redis-state.js';
import type { SharedState } from '../shared-state.js';
import { WAIT_TIMEOUT_MS } from '../../../test/helpers/wait-for.js';

const available = await redisAvailable();
const prefix = uniquePrefix('redis-state');

describe.skipIf(!available)('RedisState (real Redis)', () => {
  let a: RedisState;
  let b: RedisState;
  beforeAll(async () => {
    a = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 500 });
    b = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 500 });
    await Promise.all([a.waitUntilReady(WAIT_TIMEOUT_MS), b.waitUntilReady(WAIT_TIMEOUT_MS)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cleanupPrefix(prefix);
  });

  it('two clients racing on one bucket admit exactly the limit', async () => {
    const now = 1_700_000_000_000;
    const spec = { key: 'race:rpm', limit: 100, windowMs: 60_000, cost: 1 };
    const calls = Array.from({ length: 300 }, (_v, i) => (i % 2 ? a : b).consume([spec], now));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.ok).length).toBe(100);
    const remaining = results.filter((r) => r.ok).map((r) => r.buckets[0]!.remaining);
    expect(new Set(remaining).size).toBe(100); // every admitted call saw a distinct count
  });

  it('reserves in pools in the script that checks, after reading them, only when admitted', async () => {
    const now = 1_700_000_000_000;
    const bucket = { key: 'reserve:rpm', limit: 1, windowMs: 60_000, cost: 1 };
    const pool = 'reserve:held';
    const entry = (id: string) => ({ pool, id, amount: 7, ttlMs: 60_000 });
    // Racing: one call is admitted and reserves; the other, refused, reserves nothing.
    const [x, y] = await Promise.all([
      a.consume([bucket], now, [], { read: [pool], make: [entry('x')] }),
      b.consume([bucket], now, [], { read: [pool], make: [entry('y')] }),
    ]);
    const [admitted, refused] = x!.ok ? [x!, y!] : [y!, x!];
    expect([admitted.ok, refused.ok]).toEqual([true, false]);
    expect(admitted.pools).toEqual([0]); // read before its own reservation
    const read = async () => (await a.consume([], now, [], { read: [pool] })).pools;
    expect(await read()).toEqual([7]);
    // With no bucket to check, a reservation is made and the counters and pools read in order.
    const two = await b.consume([], now, ['reserve:count'], {
      read: [pool, 'reserve:other'],
      make: [entry('z')],
    });
    expect(two).toMatchObject({ ok: true, counters: [0], pools: [7, 0] });
    expect(await read()).toEqual([14]);
    expect(await a.client.pttl(`${prefix}${pool}`)).toBeGreaterThan(50_000);
    expect(await a.client.pttl(`${prefix}${pool}:expiry`)).toBeGreaterThan(50_000);
  });

  it('matches the in-memory implementation step for step', async () => {
    const clock = createManualClock();
    const memory = new MemoryState(clock);
    const check = async (s: SharedState, t: number, cost: number) =>
      s.consume([{ key: 'parity:tpm', limit: 1000, windowMs: 60_000, cost }], t, ['parity:c']);
    const steps: [number, number][] = [
      [0, 300],
      [10, 500],
      [20, 400],
      [15_000, 400],
      [15_001, 10],
      [59_000, 1000],
      [200_000, 1],
    ];
    for (const [dt, cost] of steps) {
      const t = clock.now() + dt;
      expect(await check(a, t, cost)).toEqual(await check(memory, t, cost));
    }
    const r = { key: 'parity:tpm', limit: 1000, windowMs: 60_000 };
    await a.adjust(r, -250, clock.now() + 200_001);
    await memory.adjust(r, -250, clock.now() + 200_001);
    expect(await check(a, clock.now() + 200_002, 0)).toEqual(
      await check(memory, clock.now() + 200_002, 0),
    );
  });

  it('keeps the level each reply reports (peekTat), as the in-memory buckets are', async () => {
    const clock = createManualClock();
    const memory = new MemoryState(clock);
    const key = { key: 'level:key:rpm', limit: 10, windowMs: 60_000, cost: 1 };
    const router = { key: 'level:router:rpm', limit: 2, windowMs: 60_000, cost: 1 };
    const levels = (t: number) => [key, router].map((b) => [a.peekTat(b, t), memory.peekTat(b, t)]);
    let t = clock.now();
    expect(a.peekTat(key, t)).toBeUndefined();
    // Two admitted, then a call the router refuses: the key's bucket, which could have taken
    // its unit, was charged nothing, and its level says so.
    for (let i = 0; i < 3; i++) {
      t += 1000;
      const [viaRedis, inMemory] = await Promise.all([
        a.consume([key, router], t),
        memory.consume([key, router], t),
      ]);
      expect(viaRedis.ok).toBe(inMemory.ok);
      for (const [redisLevel, memoryLevel] of levels(t)) expect(redisLevel).toBe(memoryLevel);
    }
    expect(levels(t)[0]![0]).toBe(clock.now() + 1000 + 2 * 6000);
    t += 1000;
    await a.adjust(key, 3, t);
    await memory.adjust(key, 3, t);
    expect(levels(t)[0]![0]).toBe(levels(t)[0]![1]);
    // The other client's use is in Redis, not in what this one saw.
    await b.consume([{ ...key, cost: 5 }], t);
    expect(levels(t)[0]![0]).toBe(levels(t)[0]![1]);
  });

  it('a changed limit keeps the units used, as the in-memory buckets do; an old plain TAT reads in the current limit', async () => {
    const clock = createManualClock();
    const memory = new MemoryState(clock);
    const t = clock.now();
    const steps: [limit: number, cost: number, dt: number][] = [
      [10, 4, 0],
      [10, 6, 0],
      [100, 1, 0], // raised: 89 left, not refused for a minute
      [100, 50, 1_000],
      [20, 1, 1_000], // lowered below what is used: empty, refused
      [20, 1, 4_000],
      [1000, 700, 4_000],
    ];
    for (const [limit, cost, dt] of steps) {
      const spec = { key: 'change:rpm', limit, windowMs: 60_000, cost };
      const [viaRedis, inMemory] = await Promise.all([
        a.consume([spec], t + dt),
        memory.consume([spec], t + dt),
      ]);
      expect(viaRedis).toEqual(inMemory);
      expect(a.peekTat(spec, t + dt)).toBe(memory.peekTat(spec, t + dt));
    }
    const seen = (await a.consume([{ key: 'change:rpm', limit: 10, windowMs: 60_000, cost: 0 }], t))
      .buckets[0]!;
    expect([seen.ok, seen.remaining]).toEqual([true, 0]);
    // A TAT an earlier version wrote (a plain number, no basis): read as the current limit's.
    await a.client.set(prefix + 'legacy:rpm', String(t + 30_000), 'PX', 60_000);
    const legacy = await a.consume(
      [{ key: 'legacy:rpm', limit: 10, windowMs: 60_000, cost: 1 }],
      t,
    );
    expect([legacy.ok, legacy.buckets[0]!.remaining]).toEqual([true, 4]);
    // Its TAT key stays a plain number, so such a replica still reads what this one writes.
    expect(Number(await a.client.get(prefix + 'legacy:rpm'))).toBe(t + 36_000);
  });

  it('raises shared buckets to the levels seen here, never lowering one', async () => {
    const t = 1_700_000_000_000;
    const spec = { key: 'raise:rpm', limit: 10, windowMs: 60_000, cost: 1 };
    const remaining = async () =>
      (await a.consume([{ ...spec, cost: 0 }], t)).buckets[0]!.remaining;
    await b.consume([spec], t); // b saw 1 taken
    await a.consume([{ ...spec, cost: 5 }], t); // Redis: 6 taken
    expect(await b.raiseLevels([spec.key], t)).toBe(0);
    expect(await remaining()).toBe(4);
    // Redis lost the bucket (say, restarted without persistence): a's level is written back.
    await a.client.del(prefix + spec.key);
    expect(await a.raiseLevels([spec.key, 'raise:unseen'], t)).toBe(1);
    expect(await remaining()).toBe(4);
    expect(await a.client.exists(prefix + 'raise:unseen')).toBe(0);
    // The limit was raised to 100 while b counted 8 of it here: compared in units (8 against
    // Redis's 6), not as times (4.8 s against 36 s), b's level is the higher and is written back.
    await a.consume([{ ...spec, cost: 6 }], t + 120_000);
    b.levels.set({ ...spec, limit: 100 }, t + 120_000 + 8 * 600, t + 120_000);
    expect(await b.raiseLevels([spec.key], t + 120_000)).toBe(1);
    const after = await a.consume([{ ...spec, limit: 100, cost: 0 }], t + 120_000);
    expect(after.buckets[0]!.remaining).toBe(92);
  });

  it('a lock has one holder at a time, is released by its holder only, and lapses', async () => {
    const memory = new MemoryState(createManualClock());
    for (const [one, other] of [
      [a, b],
      [memory, memory],
    ] as const) {
      expect(await one.tryLock('lock', 'x', 60_000)).toBe(true);
      expect(await other.tryLock('lock', 'y', 60_000)).toBe(false);
      await other.unlock('lock', 'y'); // not y's to release
      expect(await other.tryLock('lock', 'y', 60_000)).toBe(false);
      await one.unlock('lock', 'x');
      expect(await other.tryLock('lock', 'y', 60_000)).toBe(true);
      await other.unlock('lock', 'y');
    }
    // A holder that never releases (it died): the lock lapses after its ttl.
    expect(await a.tryLock('lapse', 'x', 30)).toBe(true);
    await expect.poll(() => b.tryLock('lapse', 'y', 60_000)).toBe(true);
  });

  it('counters are integer-exact under concurrent increments from two clients', async () => {
    const incs = Array.from({ length: 400 }, (_v, i) =>
      (i % 2 ? a : b).incrementCounters([
        { key: 'spend:day', by: 1234, ttlMs: 60_000 },
        { key: 'spend:month', by: 1234, ttlMs: 60_000 },
      ]),
    );
    await Promise.all(incs);
    expect(await a.readCounters(['spend:day', 'spend:month', 'spend:none'])).toEqual([
      400 * 1234,
      400 * 1234,
      0,
    ]);
  });

  it('hashes and pub/sub work across clients', async () => {
    const got: string[] = [];
    const off = await b.subscribe('cfg', (m) => got.push(m));
    await a.hashSet('h', 'f1', 'v1');
    expect(await b.hashGetAll('h')).toEqual({ f1: 'v1' });
    expect(await b.hashDelete('h', 'f1')).toBe(true);
    expect(await b.hashDelete('h', 'f1')).toBe(false);
    await a.publish('cfg', 'hello');
    await expect.poll(() => got).toEqual(['hello']);
    await off();
  });
});
