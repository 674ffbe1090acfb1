// What a fail-open replica took while Redis was away, handed to Redis when it answers again
// (resilient-state.ts markUp): the spend counted locally, the reservations made and changed
// meanwhile, and the buckets charged locally, which Redis is raised to at least.
import type { Clock } from '../../core/clock.js';
import type { CounterIncrement } from '../shared-state.js';
import type { RedisState } from './redis-state.js';
import type { ReservationMirror } from './reservation-mirror.js';

/** What was taken while Redis was away; flushing empties it. */
export interface OutageLedger {
  /** Counter deltas (budget spend), by key. */
  pending: Map<string, CounterIncrement>;
  /** Reservation pools as last seen, with their changes while away. */
  reservations: ReservationMirror;
  /** Keys of buckets charged locally. */
  touched: Set<string>;
}

/**
 * Flushes `ledger` to Redis: counters, then reservations, then bucket levels, each until empty
 * (what is recorded while a flush is in flight lands in the ledger again). Throws when Redis
 * fails meanwhile, what it did not take put back in the ledger. Returns how many counters and
 * reservation changes were flushed, and how many buckets rose.
 */
export async function flushToRedis(
  redis: RedisState,
  clock: Clock,
  ledger: OutageLedger,
): Promise<{ flushed: number; raised: number }> {
  const { pending, reservations, touched } = ledger;
  let flushed = 0;
  while (pending.size) {
    const batch = [...pending.values()];
    pending.clear();
    try {
      await redis.incrementCounters(batch);
    } catch (err) {
      for (const inc of batch) {
        const p = pending.get(inc.key);
        pending.set(inc.key, { ...inc, by: inc.by + (p?.by ?? 0) });
      }
      throw err;
    }
    flushed += batch.length;
  }
  while (reservations.hasPending) {
    const now = clock.now();
    const batch = reservations.takePending(now);
    try {
      if (batch.make.length) await redis.consume([], now, [], { make: batch.make });
      await redis.changeReservations(batch.changes, now);
    } catch (err) {
      reservations.putBack(batch, now);
      throw err;
    }
    flushed += batch.changes.length;
  }
  let raised = 0;
  while (touched.size) {
    const keys = [...touched];
    touched.clear();
    try {
      raised += await redis.raiseLevels(keys, clock.now());
    } catch (err) {
      for (const k of keys) touched.add(k);
      throw err;
    }
  }
  return { flushed, raised };
}
