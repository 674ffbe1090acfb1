// In-memory SharedState: the single-process default, and the local fallback when Redis is down.
// Every operation is synchronous inside, so check-and-consume is atomic within the process.
import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock.js';
import { BucketLevels } from '../bucket-levels.js';
import { ReservationPools } from '../reservation-pools.js';
import { gcraAdjust, gcraStep } from '../shared-state-gcra.js';
import type {
  BucketRead,
  BucketSpec,
  ConsumeResult,
  CounterIncrement,
  MessageHandler,
  PoolAccess,
  ReservationChange,
  SharedState,
} from '../shared-state.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/**
 * Sweep expired counters (and locks) once the map holds this many. Counters were never swept
 * (only a read of an expired one dropped it), so a budget counter per client-named end user stayed
 * for the process's life, and so did its seeding lock until 2026-12-06 (soak audit F2); after a
 * sweep the next waits for twice what is left, so a map of many live entries is not walked on
 * every request. (Buckets sweep themselves: bucket-levels.ts.)
 */
const SWEEP_AT = 10_000;

/** Drops `map`'s expired entries once it holds `at`; returns the size at which to sweep next. */
function sweepExpired(map: Map<string, Expiring<unknown>>, now: number, at: number): number {
  if (map.size < at) return at;
  for (const [k, e] of map) if (e.expiresAt <= now) map.delete(k);
  return Math.max(SWEEP_AT, 2 * map.size);
}

export class MemoryState implements SharedState {
  readonly kind = 'memory' as const;
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly hashes = new Map<string, Map<string, string>>();
  private readonly locks = new Map<string, Expiring<string>>();
  private readonly pools = new ReservationPools();
  private readonly bus = new EventEmitter();
  private counterSweepAt = SWEEP_AT;
  private lockSweepAt = SWEEP_AT;

  /**
   * `levels`: where the buckets live; the fail-open wrapper passes the table Redis's replies keep,
   * so its local buckets start where the shared ones were last seen.
   */
  constructor(
    private readonly clock: Clock,
    private readonly levels = new BucketLevels(),
  ) {
    this.bus.setMaxListeners(0);
  }

  async consume(
    buckets: readonly BucketSpec[],
    now: number,
    readCounters: readonly string[] = [],
    pools: PoolAccess = {},
  ): Promise<ConsumeResult> {
    return this.consumeSync(buckets, now, readCounters, pools);
  }

  /** Synchronous form, used by the fail-open wrapper and by headroom probes. */
  consumeSync(
    buckets: readonly BucketSpec[],
    now: number,
    readCounters: readonly string[] = [],
    pools: PoolAccess = {},
  ): ConsumeResult {
    const steps = buckets.map((b) => gcraStep(b, this.levels.get(b, now), now));
    const ok = steps.every((s) => s.state.ok);
    if (ok) steps.forEach((s, i) => this.levels.set(buckets[i]!, s.nextTat, now));
    const counters = readCounters.map((k) => this.counterValue(k));
    // Read first: the totals are from before the reservations.
    const totals = (pools.read ?? []).map((p) => this.pools.total(p, now));
    if (ok) for (const entry of pools.make ?? []) this.pools.make(entry, now);
    return { ok, buckets: steps.map((s) => s.state), counters, pools: totals };
  }

  async changeReservations(
    changes: readonly ReservationChange[],
    now: number,
    increments: readonly CounterIncrement[] = [],
  ): Promise<void> {
    for (const c of changes) this.pools.change(c, now);
    if (increments.length > 0) this.incrementCountersSync(increments);
  }

  async adjust(bucket: BucketRead, delta: number, now: number): Promise<void> {
    this.adjustSync(bucket, delta, now);
  }

  adjustSync(bucket: BucketRead, delta: number, now: number): void {
    this.levels.set(bucket, gcraAdjust(bucket, this.levels.get(bucket, now), delta, now), now);
  }

  peekTat(bucket: BucketRead, now: number): number | undefined {
    return this.levels.get(bucket, now);
  }

  async incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]> {
    return this.incrementCountersSync(increments);
  }

  incrementCountersSync(increments: readonly CounterIncrement[]): number[] {
    const now = this.clock.now();
    const values = increments.map((inc) => {
      if (!Number.isSafeInteger(inc.by))
        throw new Error(`counter increment must be an integer, got ${inc.by}`);
      const value = this.counterValue(inc.key) + inc.by;
      this.counters.set(inc.key, { value, expiresAt: now + inc.ttlMs });
      return value;
    });
    this.counterSweepAt = sweepExpired(this.counters, now, this.counterSweepAt);
    return values;
  }

  async readCounters(keys: readonly string[]): Promise<number[]> {
    return keys.map((k) => this.counterValue(k));
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.hashes.get(key) ?? []);
  }

  async hashSet(key: string, field: string, value: string): Promise<void> {
    let h = this.hashes.get(key);
    if (!h) this.hashes.set(key, (h = new Map()));
    h.set(field, value);
  }

  async hashDelete(key: string, field: string): Promise<boolean> {
    return this.hashes.get(key)?.delete(field) ?? false;
  }

  async tryLock(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const held = this.locks.get(key);
    if (held && held.expiresAt > now) return false;
    this.locks.set(key, { value: holder, expiresAt: now + ttlMs });
    // A budget seeding takes one per counter and never releases it (it lapses with the period).
    this.lockSweepAt = sweepExpired(this.locks, now, this.lockSweepAt);
    return true;
  }

  async unlock(key: string, holder: string): Promise<void> {
    if (this.locks.get(key)?.value === holder) this.locks.delete(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    // Deliver asynchronously, like Redis: a publisher never runs subscribers inside its own call.
    queueMicrotask(() => this.bus.emit(channel, message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.bus.on(channel, handler);
    return async () => {
      this.bus.off(channel, handler);
    };
  }

  async close(): Promise<void> {
    this.bus.removeAllListeners();
  }

  /** Forget every counter (the fail-open wrapper has flushed them to Redis). */
  clearCounters(): void {
    this.counters.clear();
  }

  private counterValue(key: string): number {
    const e = this.counters.get(key);
    if (!e) return 0;
    if (e.expiresAt <= this.clock.now()) {
      this.counters.delete(key);
      return 0;
    }
    return e.value;
  }

  /**
   * How many buckets, counters, locks and reservations are held (expired ones until the next
   * sweep).
   */
  size(): number {
    return this.levels.size + this.counters.size + this.locks.size + this.pools.size;
  }
}
