// State shared between replicas: rate-limit buckets (GCRA), integer counters (budgets in
// nano-dollars), reservation pools (budgets' requests in flight), small hashes (API keys, config
// versions) and pub/sub. One interface, two implementations: memory (single process, the
// default) and Redis (many replicas).
import type { Clock } from '../core/clock.js';

/** One rate-limit bucket: `limit` units per `windowMs`, bursting up to `limit`. */
export interface BucketSpec {
  /** Storage key without the store's prefix, e.g. `rl:key:k1:tpm`. */
  key: string;
  limit: number;
  windowMs: number;
  /** Units this call takes; 0 only reads the bucket. */
  cost: number;
  /**
   * The configured limit when `limit` is a replica's share of it (the fail-open fallback's local
   * buckets); a bucket's level is kept against the configured limit (see shared-state-gcra.ts).
   */
  sharedLimit?: number;
}

/** A bucket as read without charging it. */
export type BucketRead = Omit<BucketSpec, 'cost'>;

export interface BucketState {
  key: string;
  limit: number;
  /** True when this bucket could take its cost. */
  ok: boolean;
  /** Units left after this call (when admitted) or now (when refused). */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until the cost would fit; 0 when it fits now. */
  retryAfterMs: number;
}

export interface ConsumeResult {
  /** True when every bucket admitted its cost; otherwise nothing was charged. */
  ok: boolean;
  buckets: BucketState[];
  /** Values of the counters asked for in the same round trip (0 when absent). */
  counters: number[];
  /** Totals of the reservation pools asked for (`pools.read`), before `pools.make`. */
  pools: number[];
}

/**
 * One request's entry in a reservation pool (a budget's requests in flight): known by `id`, so
 * making it twice holds it once, and lapsing by itself `ttlMs` after it is made, so one nobody
 * releases (its replica killed) stops counting then.
 */
export interface ReservationEntry {
  /** The pool's key without the store's prefix. */
  pool: string;
  /** Unique per request across replicas (budget.ts BudgetTracker.reservation). */
  id: string;
  /** Integer amount held (budgets: nano-dollars), > 0. */
  amount: number;
  ttlMs: number;
}

/** An entry's new amount: 0 releases it. An entry gone (released, lapsed) stays gone. */
export type ReservationChange = Pick<ReservationEntry, 'pool' | 'id' | 'amount'>;

/** Reservation pools a consume reads, and entries it makes once every bucket took its cost. */
export interface PoolAccess {
  read?: readonly string[];
  make?: readonly ReservationEntry[];
}

export interface CounterIncrement {
  key: string;
  /** Integer amount (budgets use micro-dollars so sums never drift). */
  by: number;
  /** Time to live after the last write, ms. */
  ttlMs: number;
}

export type MessageHandler = (message: string) => void;

export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /**
   * Atomic check-and-consume over several buckets: either every bucket takes its cost or none
   * does. Counters named in `readCounters` and the pools in `pools.read` are read in the same
   * round trip (a pool's lapsed entries dropped first, at `now`); the entries in `pools.make` are
   * then made, in the same step, when every bucket took its cost (budget reservations: the totals
   * read are from before them).
   */
  consume(
    buckets: readonly BucketSpec[],
    now: number,
    readCounters?: readonly string[],
    pools?: PoolAccess,
  ): Promise<ConsumeResult>;
  /**
   * Sets each entry still held to its new amount (0 releases it) and adds `increments` to their
   * counters, atomically in one round trip: a request's end swaps its reservation for its spend.
   * Idempotent: an entry released or lapsed (at `now`) is left gone, crediting nothing.
   */
  changeReservations(
    changes: readonly ReservationChange[],
    now: number,
    increments?: readonly CounterIncrement[],
  ): Promise<void>;
  /**
   * A bucket's level (GCRA's TAT, epoch ms) as this process last saw it, with no round trip:
   * memory's is the bucket itself, Redis's the level of its last reply here (another replica's
   * use since is not in it), read under the bucket's limit now. Undefined when unseen or full.
   * Headroom probes read it.
   */
  peekTat(bucket: BucketRead, now: number): number | undefined;
  /** Charge (delta > 0) or refund (delta < 0) units without a check: token correction. */
  adjust(bucket: BucketRead, delta: number, now: number): Promise<void>;
  /** Atomic integer increments; returns the new values in order. */
  incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]>;
  readCounters(keys: readonly string[]): Promise<number[]>;
  hashGetAll(key: string): Promise<Record<string, string>>;
  hashSet(key: string, field: string, value: string): Promise<void>;
  /** Returns true when the field existed. */
  hashDelete(key: string, field: string): Promise<boolean>;
  /**
   * Takes the lock `key` for `holder` unless someone holds it; true when taken. It lapses after
   * `ttlMs`, so a holder that dies does not keep it. Replicas use it to do one step one at a time.
   */
  tryLock(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock `key` if `holder` still holds it (not once it lapsed and another took it). */
  unlock(key: string, holder: string): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** What happened to the shared store, for logs and metrics (fail-open fallback, resync). */
export type StateEvent =
  | { type: 'down'; error: string }
  | { type: 'up' }
  | { type: 'fallback'; op: string }
  /** The subscriber connection came back after a drop while Redis answered (redis-state.ts). */
  | { type: 'resubscribed' }
  | {
      type: 'resynced';
      /** Counters and reservation entries changed while Redis was away, sent to it. */
      flushedCounters: number;
      /** Shared buckets raised to the level this replica's local use left them at. */
      raisedBuckets: number;
    };

export interface StateStatus {
  kind: 'memory' | 'redis';
  /**
   * `redis` while Redis answers; while it does not, `local` when serving from the in-memory
   * fallback (`state.onFailure: open`), `refusing` when what needs it is refused (`closed`).
   */
  serving: 'redis' | 'local' | 'refusing';
  /**
   * Replicas sharing the state, this one included: with Redis, those whose heartbeat (every 5 s)
   * Redis last reported within 15 s (0 until the first); fail-open limits are split between them.
   */
  replicas: number;
  /** Operations served locally because Redis was unreachable (fail-open). */
  fallbackOps: number;
  /** Operations refused because Redis was unreachable (fail-closed). */
  refusedOps: number;
  /** Times Redis went from up to down, and a start while it did not answer. */
  outages: number;
}

export interface SharedStateOptions {
  clock: Clock;
  onEvent?: (event: StateEvent) => void;
}
