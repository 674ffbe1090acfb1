// The in-process SharedState forgets what has expired: counters (budgets per end user, per tag)
// are keyed by names clients choose, so a map that kept them past their TTL grew for ever.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { MemoryState } from './memory-state.js';

describe('MemoryState', () => {
  it('drops expired counters, so client-named ones cannot grow memory for ever', async () => {
    const clock = createManualClock();
    const state = new MemoryState(clock);
    const hour = 3_600_000;
    // A client naming a new end user on every request, 3,000 an hour for ten hours.
    for (let h = 0; h < 10; h++) {
      for (let i = 0; i < 3_000; i++)
        await state.incrementCounters([{ key: `spend:user:${h}-${i}`, by: 5, ttlMs: hour }]);
      clock.advance(hour);
    }
    // About the sweep's threshold (10,000), never the 30,000 named.
    expect(state.size()).toBeLessThanOrEqual(12_000);
    // What has not expired is kept, and counts on.
    await state.incrementCounters([{ key: 'spend:user:steady', by: 5, ttlMs: hour }]);
    for (let i = 0; i < 20_000; i++)
      await state.incrementCounters([{ key: `spend:user:x-${i}`, by: 1, ttlMs: hour }]);
    expect(await state.readCounters(['spend:user:steady'])).toEqual([5]);
    expect(
      await state.incrementCounters([{ key: 'spend:user:steady', by: 5, ttlMs: hour }]),
    ).toEqual([10]);
  });

  it('reserves in pools in the same step as the check, after reading them, and only when admitted', async () => {
    const clock = createManualClock();
    const state = new MemoryState(clock);
    const bucket = { key: 'rl:key:k:rpm', limit: 1, windowMs: 60_000, cost: 1 };
    const pool = 'budget:x:reservations';
    const access = (id: string) => ({
      read: [pool],
      make: [{ pool, id, amount: 7, ttlMs: 60_000 }],
    });
    const first = await state.consume([bucket], clock.now(), [], access('a'));
    expect(first.ok).toBe(true);
    expect(first.pools).toEqual([0]); // read before its own reservation
    const refused = await state.consume([bucket], clock.now(), [], access('b'));
    expect(refused.ok).toBe(false);
    expect(refused.pools).toEqual([7]);
    // The refused call reserved nothing.
    expect((await state.consume([], clock.now(), [], { read: [pool] })).pools).toEqual([7]);
  });

  it('a limit changed while a bucket holds use keeps the units used, not the time', async () => {
    const clock = createManualClock();
    const state = new MemoryState(clock);
    const t = clock.now();
    const at = (limit: number, cost: number) =>
      state.consume([{ key: 'rl:key:k:rpm', limit, windowMs: 60_000, cost }], t);
    // 10 RPM used up, then raised to 100: 90 are left at once (read as a time, the 60 s the ten
    // units fill would be all of the new window: blocked for a minute).
    for (let i = 0; i < 10; i++) expect((await at(10, 1)).ok).toBe(true);
    expect((await at(10, 1)).ok).toBe(false);
    const raised = await at(100, 1);
    expect(raised.ok).toBe(true);
    expect(raised.buckets[0]!.remaining).toBe(89);
    // 11 of 100 used, lowered to 5: empty (never emptier), a unit back after one new interval.
    const lowered = await at(5, 1);
    expect(lowered.ok).toBe(false);
    expect(lowered.buckets[0]!.retryAfterMs).toBe(12_000);
    // Read under the new limit from then on: its headroom and its level agree.
    expect(state.peekTat({ key: 'rl:key:k:rpm', limit: 5, windowMs: 60_000 }, t)).toBe(t + 60_000);
  });

  it('drops lapsed locks, so a budget seeding per end user cannot grow memory for ever', async () => {
    const clock = createManualClock();
    const state = new MemoryState(clock);
    const day = 86_400_000;
    // A seeding lock per end user named, each kept for its day, never released (budget-seeding.ts).
    for (let d = 0; d < 4; d++) {
      for (let i = 0; i < 8_000; i++)
        expect(await state.tryLock(`budget-seeded:user:${d}-${i}`, 'seeded', day)).toBe(true);
      clock.advance(day + 1);
    }
    expect(state.size()).toBeLessThanOrEqual(20_000);
    // One still held is not taken from its holder.
    expect(await state.tryLock('held', 'a', day)).toBe(true);
    for (let i = 0; i < 12_000; i++) await state.tryLock(`x-${i}`, 'b', 1);
    expect(await state.tryLock('held', 'b', day)).toBe(false);
  });
});
