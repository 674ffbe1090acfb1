// Reservation pools, the same cases on both SharedState implementations (memory, and the real
// Redis on 127.0.0.1:6379, which skips loudly when absent): an entry is known by its id, so made
// twice it holds once and released twice it releases once; it lapses by itself at its TTL, read
// at `now` (the clock passed in, no sleeps), and a release after that credits nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import {
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from '../../test/redis/redis-helpers.js';
import { MemoryState } from './memory/memory-state.js';
import { RedisState } from './redis/redis-state.js';
import type { ReservationEntry, SharedState } from './shared-state.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

const available = await redisAvailable();
const prefix = uniquePrefix('resv-pools');
const T = 1_700_000_000_000;
const MINUTE = 60_000;

const redisStates: RedisState[] = [];
afterAll(async () => {
  for (const s of redisStates) await s.close();
  if (available) await cleanupPrefix(prefix);
});

const kinds: [string, boolean, () => Promise<SharedState>][] = [
  ['memory', true, async () => new MemoryState(createManualClock(T))],
  [
    'redis',
    available,
    async () => {
      const s = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
      redisStates.push(s);
      await s.waitUntilReady(WAIT_TIMEOUT_MS);
      return s;
    },
  ],
];

let pools = 0;

describe.each(kinds)('reservation pools (%s)', (kind, runs, open) => {
  /** A fresh pool on a fresh state; `held()` reads its total at `now`. */
  const setup = async () => {
    const state = await open();
    const pool = `budget:tenant:resv${pools++}:d:2023-11-14:reservations`;
    const entry = (id: string, amount: number, ttlMs = 15 * MINUTE): ReservationEntry => ({
      pool,
      id,
      amount,
      ttlMs,
    });
    const make = (now: number, ...entries: ReservationEntry[]) =>
      state.consume([], now, [], { read: [pool], make: entries });
    const held = async (now: number) =>
      (await state.consume([], now, [], { read: [pool] })).pools[0];
    return { state, pool, entry, make, held };
  };

  it.skipIf(!runs)('an entry made twice (a retry after a timeout) holds once', async () => {
    const { make, held, entry } = await setup();
    await make(T, entry('req-a', 5_000));
    const again = await make(T + 10, entry('req-a', 5_000));
    expect(again.pools).toEqual([5_000]); // read before: the first one is in it
    expect(await held(T + 20)).toBe(5_000);
    await make(T + 30, entry('req-b', 7_000));
    expect(await held(T + 40)).toBe(12_000);
  });

  it.skipIf(!runs)('a release sent twice releases once', async () => {
    const { state, pool, make, held, entry } = await setup();
    await make(T, entry('req-a', 5_000), entry('req-b', 7_000));
    const release = [{ pool, id: 'req-a', amount: 0 }];
    await state.changeReservations(release, T + 1);
    await state.changeReservations(release, T + 2);
    expect(await held(T + 3)).toBe(7_000);
  });

  it.skipIf(!runs)(
    'an entry nobody releases (its replica killed) stops counting at its TTL, at the next read',
    async () => {
      const { make, held, entry } = await setup();
      await make(T, entry('killed', 5_000, 15 * MINUTE));
      await make(T + MINUTE, entry('alive', 7_000, 15 * MINUTE));
      expect(await held(T + 15 * MINUTE - 1)).toBe(12_000);
      expect(await held(T + 15 * MINUTE)).toBe(7_000);
      expect(await held(T + 16 * MINUTE)).toBe(0);
    },
  );

  it.skipIf(!runs)(
    'a release after the entry lapsed credits nothing; its spend is still counted',
    async () => {
      const { state, pool, make, held, entry } = await setup();
      await make(T, entry('slow', 5_000, MINUTE));
      await make(T + 2 * MINUTE, entry('next', 7_000, MINUTE));
      const spend = `budget:tenant:resv${pools}:spend`;
      await state.changeReservations([{ pool, id: 'slow', amount: 0 }], T + 2 * MINUTE + 1, [
        { key: spend, by: 4_000, ttlMs: MINUTE },
      ]);
      expect(await held(T + 2 * MINUTE + 2)).toBe(7_000);
      expect(await state.readCounters([spend])).toEqual([4_000]);
    },
  );

  it.skipIf(!runs)(
    'narrowing sets the amount (twice: the same), and never makes an entry gone',
    async () => {
      const { state, pool, make, held, entry } = await setup();
      // Past 1e14 nano-dollars ($100,000): integers all the way (Lua would write 1e+14).
      await make(T, entry('req-a', 300_000_000_000_123), entry('req-b', 7_000));
      const narrow = [{ pool, id: 'req-a', amount: 200_000_000_000_001 }];
      await state.changeReservations(narrow, T + 1);
      await state.changeReservations(narrow, T + 2);
      expect(await held(T + 3)).toBe(200_000_000_000_001 + 7_000);
      await state.changeReservations([{ pool, id: 'req-a', amount: 0 }], T + 4);
      await state.changeReservations(narrow, T + 5); // a narrowing that lands after the release
      expect(await held(T + 6)).toBe(7_000);
      await state.changeReservations([{ pool, id: 'req-b', amount: 0 }], T + 7);
      expect(await held(T + 8)).toBe(0);
    },
  );

  it.skipIf(!runs || kind !== 'redis')(
    'a pool emptied leaves nothing behind in Redis',
    async () => {
      const { state, pool, make, entry } = await setup();
      if (!(state instanceof RedisState)) throw new Error('a Redis state was expected');
      await make(T, entry('a', 5), entry('b', 6, MINUTE));
      await state.changeReservations([{ pool, id: 'a', amount: 0 }], T + 1);
      await make(T + MINUTE, entry('c', 1)); // b lapses first (purged), c is held
      expect(await state.client.exists(`${prefix}${pool}`)).toBe(1);
      await state.changeReservations([{ pool, id: 'c', amount: 0 }], T + MINUTE + 1);
      const keys = [pool, `${pool}:amounts`, `${pool}:expiry`].map((k) => prefix + k);
      expect(await state.client.exists(...keys)).toBe(0);
    },
  );
});
