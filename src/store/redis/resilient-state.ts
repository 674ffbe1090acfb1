// Wraps RedisState so a Redis outage never takes the router down. fail-open (default): limits
// and counters are served by a local MemoryState while Redis is unreachable; counter increments
// (budget spend) and reservation changes are kept and flushed to Redis when it returns, so budgets
// do not lose spend (reservation-mirror.ts serves the pools meanwhile).
// A local bucket starts where this replica last saw the shared one (the local store keeps its
// buckets in the table RedisState fills from its replies: no extra round trip) and holds this
// replica's share of the limit: the limit divided by the replicas last known alive (a heartbeat
// every 5 s).
// fail-closed: hot-path operations throw a 503 instead. Admin writes (hashes, publish, locks) need
// Redis.
import { GatewayError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { MemoryState } from '../memory/memory-state.js';
import type {
  BucketRead,
  BucketSpec,
  ConsumeResult,
  CounterIncrement,
  MessageHandler,
  PoolAccess,
  ReservationChange,
  SharedState,
  SharedStateOptions,
  StateStatus,
} from '../shared-state.js';
import { flushToRedis } from './flush-to-redis.js';
import type { RedisState } from './redis-state.js';
import { ReservationMirror } from './reservation-mirror.js';

export type FailureMode = 'open' | 'closed';

/** How often to PING a Redis that failed a command while its connection looked up. */
const PROBE_INTERVAL_MS = 500;
/** How often each replica tells Redis it is alive, and how long a silent one still counts. */
const HEARTBEAT_MS = 5_000;
const REPLICA_STALE_MS = 15_000;
/** The sorted set of live replicas (id → Redis time of its last heartbeat). */
const REPLICAS_KEY = 'replicas';

export class ResilientState implements SharedState {
  readonly kind = 'redis' as const;
  private up: boolean;
  private readonly local: MemoryState;
  /** Counter deltas taken while Redis was down; flushed on resync. */
  private readonly pending = new Map<string, CounterIncrement>();
  /** Buckets charged locally while Redis was down; Redis is raised to their level on resync. */
  private readonly touched = new Set<string>();
  /** Last counter values Redis reported, so local budget checks start from real spend. */
  private readonly lastKnown = new Map<string, number>();
  /** Reservation pools as last seen, with this replica's entries; their changes while away. */
  private readonly reservations = new ReservationMirror();
  private probe: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  /** This process in the replicas set. */
  private readonly replica = newId('replica_');
  /** Replicas alive at the last heartbeat, this one included; 0 until one succeeds. */
  private replicas = 0;
  private resyncing = false;
  private readonly stats = { fallbackOps: 0, refusedOps: 0, outages: 0 };

  constructor(
    readonly redis: RedisState,
    private readonly mode: FailureMode,
    private readonly options: SharedStateOptions,
  ) {
    // One table of bucket levels: Redis's replies while it answers, the local buckets after.
    this.local = new MemoryState(options.clock, redis.levels);
    this.up = redis.ready;
    redis.client.on('ready', () => {
      this.beat();
      void this.markUp();
    });
    redis.client.on('close', () => this.markDown('connection closed'));
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.beat();
  }

  status(): StateStatus {
    return {
      kind: 'redis',
      serving: this.up ? 'redis' : this.mode === 'closed' ? 'refusing' : 'local',
      replicas: this.replicas,
      ...this.stats,
    };
  }

  /** Redis did not answer while the replica started: an outage from the start, counted. */
  startedDown(): void {
    if (!this.up) this.stats.outages++;
  }

  async consume(
    buckets: readonly BucketSpec[],
    now: number,
    readCounters: readonly string[] = [],
    pools: PoolAccess = {},
  ): Promise<ConsumeResult> {
    if (this.up) {
      try {
        const result = await this.redis.consume(buckets, now, readCounters, pools);
        readCounters.forEach((k, i) => this.lastKnown.set(k, result.counters[i] ?? 0));
        this.reservations.seen(pools, result.pools, result.ok, now);
        return result;
      } catch (err) {
        // A timed-out script may have made its entries: made here too, they count once in Redis.
        this.markDown(errorText(err));
      }
    }
    this.degraded('consume');
    const result = this.local.consumeSync(this.shares(buckets), now, readCounters);
    if (result.ok) for (const b of buckets) this.touched.add(b.key);
    // Read before this call's own entries, as in Redis.
    result.pools = this.reservations.totals(pools.read ?? [], now);
    if (result.ok && pools.make?.length) this.reservations.make(pools.make, now);
    // Replies name the fleet's limit; `remaining` is what this replica has left of its share.
    result.buckets.forEach((s, i) => (s.limit = buckets[i]!.limit));
    result.counters = readCounters.map(
      (k, i) => (this.lastKnown.get(k) ?? 0) + (result.counters[i] ?? 0),
    );
    return result;
  }

  async changeReservations(
    changes: readonly ReservationChange[],
    now: number,
    increments: readonly CounterIncrement[] = [],
  ): Promise<void> {
    if (this.up) {
      try {
        await this.redis.changeReservations(changes, now, increments);
        this.reservations.changed(changes, now);
        for (const inc of increments) {
          const known = this.lastKnown.get(inc.key);
          if (known !== undefined) this.lastKnown.set(inc.key, known + inc.by);
        }
        return;
      } catch (err) {
        // May have applied: sent again, changes are idempotent (spend twice is safer than lost).
        this.markDown(errorText(err));
      }
    }
    this.stats.fallbackOps++; // a request's end is never refused: it already ran
    this.reservations.change(changes, now);
    if (increments.length > 0) this.keepLocally(increments);
  }

  async adjust(bucket: BucketRead, delta: number, now: number): Promise<void> {
    if (this.up) {
      try {
        return await this.redis.adjust(bucket, delta, now);
      } catch (err) {
        this.markDown(errorText(err));
      }
    }
    // Corrections after the fact are never refused: the request already ran.
    this.stats.fallbackOps++;
    this.local.adjustSync(this.shareOf(bucket), delta, now);
    this.touched.add(bucket.key);
  }

  /** The level Redis last reported, or where the local bucket is now while Redis is away. */
  peekTat(bucket: BucketRead, now: number): number | undefined {
    return this.local.peekTat(bucket, now);
  }

  async incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]> {
    if (this.up) {
      try {
        const values = await this.redis.incrementCounters(increments);
        increments.forEach((inc, i) => this.lastKnown.set(inc.key, values[i] ?? 0));
        return values;
      } catch (err) {
        // A timed-out INCRBY may or may not have applied; we keep it as pending (counting it
        // twice is safer for a budget than losing it) and log the outage.
        this.markDown(errorText(err));
      }
    }
    this.stats.fallbackOps++;
    const local = this.keepLocally(increments);
    return increments.map((inc, i) => (this.lastKnown.get(inc.key) ?? 0) + (local[i] ?? 0));
  }

  /** Counter increments taken while Redis is away: counted here, flushed to Redis on resync. */
  private keepLocally(increments: readonly CounterIncrement[]): number[] {
    for (const inc of increments) {
      const p = this.pending.get(inc.key);
      this.pending.set(inc.key, {
        key: inc.key,
        by: (p?.by ?? 0) + inc.by,
        ttlMs: Math.max(p?.ttlMs ?? 0, inc.ttlMs),
      });
    }
    return this.local.incrementCountersSync(increments);
  }

  async readCounters(keys: readonly string[]): Promise<number[]> {
    if (this.up) {
      try {
        const values = await this.redis.readCounters(keys);
        keys.forEach((k, i) => this.lastKnown.set(k, values[i] ?? 0));
        return values;
      } catch (err) {
        this.markDown(errorText(err));
      }
    }
    this.degraded('readCounters');
    const local = await this.local.readCounters(keys);
    return keys.map((k, i) => (this.lastKnown.get(k) ?? 0) + (local[i] ?? 0));
  }

  hashGetAll(key: string): Promise<Record<string, string>> {
    return this.needsRedis('hashGetAll', () => this.redis.hashGetAll(key));
  }

  hashSet(key: string, field: string, value: string): Promise<void> {
    return this.needsRedis('hashSet', () => this.redis.hashSet(key, field, value));
  }

  hashDelete(key: string, field: string): Promise<boolean> {
    return this.needsRedis('hashDelete', () => this.redis.hashDelete(key, field));
  }

  tryLock(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.needsRedis('tryLock', () => this.redis.tryLock(key, holder, ttlMs));
  }

  unlock(key: string, holder: string): Promise<void> {
    return this.needsRedis('unlock', () => this.redis.unlock(key, holder));
  }

  publish(channel: string, message: string): Promise<void> {
    return this.needsRedis('publish', () => this.redis.publish(channel, message));
  }

  /** Subscriptions survive outages: ioredis re-subscribes after reconnecting. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    return this.redis.subscribe(channel, handler);
  }

  async close(): Promise<void> {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    clearInterval(this.heartbeat);
    // Leave the replicas set now rather than in REPLICA_STALE_MS, so the others' shares grow.
    if (this.up) await this.redis.leave(REPLICAS_KEY, this.replica).catch(() => {});
    await this.redis.close();
    await this.local.close();
  }

  /** Each bucket as this replica's share of it while Redis is down (see shareOf). */
  private shares(buckets: readonly BucketSpec[]): readonly BucketSpec[] {
    return this.replicas > 1 ? buckets.map((b) => this.shareOf(b)) : buckets;
  }

  /**
   * A shared limit split between the replicas last known alive: limit / replicas per replica,
   * refilling at that rate. The mirrored level is read as a time (GCRA's TAT; a share keeps the
   * configured limit's basis, `sharedLimit`), so each replica starts with its share of what was
   * left. A request larger than the share (within the limit) fits when the share is untouched and
   * takes all of it; one beyond the limit still never fits.
   */
  private shareOf<B extends BucketRead & { cost?: number }>(bucket: B): B {
    if (this.replicas <= 1) return bucket;
    const limit = bucket.limit / this.replicas;
    const sharedLimit = bucket.limit;
    if (bucket.cost === undefined) return { ...bucket, limit, sharedLimit };
    const cost = bucket.cost > bucket.limit ? bucket.cost : Math.min(bucket.cost, limit);
    return { ...bucket, limit, sharedLimit, cost };
  }

  /** Tell Redis this replica is alive and learn how many are (never throws; off the hot path). */
  private beat(): void {
    if (!this.redis.ready) return;
    this.redis.heartbeat(REPLICAS_KEY, this.replica, REPLICA_STALE_MS).then(
      (n) => {
        this.replicas = n;
      },
      () => {
        // An outage is noticed by the hot path and the probe; the last count stands meanwhile.
      },
    );
  }

  private degraded(op: string): void {
    if (this.mode === 'closed') {
      this.stats.refusedOps++;
      throw stateUnavailable();
    }
    this.stats.fallbackOps++;
    this.options.onEvent?.({ type: 'fallback', op });
  }

  private async needsRedis<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (!this.up) {
      this.stats.refusedOps++;
      throw stateUnavailable();
    }
    try {
      return await run();
    } catch (err) {
      this.markDown(errorText(err));
      this.stats.refusedOps++;
      throw stateUnavailable(op);
    }
  }

  private markDown(reason: string): void {
    if (this.up) {
      this.up = false;
      this.stats.outages++;
      this.options.onEvent?.({ type: 'down', error: reason });
    }
    // A command can time out while the socket still looks fine: PING until it answers.
    if (!this.probe) {
      this.probe = setInterval(() => {
        if (!this.redis.ready) return;
        void this.redis.ping().then((ok) => {
          if (ok) void this.markUp();
        });
      }, PROBE_INTERVAL_MS);
      this.probe.unref();
    }
  }

  /**
   * Redis answers again: flush spend taken locally, raise the shared buckets to at least the level
   * this replica left its local ones at (what it admitted alone still counts, decaying as any
   * use does), serve from Redis. The levels stay here (Redis's replies overwrite them), so another
   * outage starts from the last level seen of each.
   */
  private async markUp(): Promise<void> {
    if (this.up || this.resyncing) return;
    this.resyncing = true;
    try {
      const { flushed, raised } = await flushToRedis(this.redis, this.options.clock, {
        pending: this.pending,
        reservations: this.reservations,
        touched: this.touched,
      });
      this.local.clearCounters();
      this.up = true;
      if (this.probe) clearInterval(this.probe);
      this.probe = undefined;
      this.options.onEvent?.({ type: 'up' });
      this.options.onEvent?.({ type: 'resynced', flushedCounters: flushed, raisedBuckets: raised });
    } catch (err) {
      // Still failing; the probe or the next 'ready' tries again.
      this.markDown(errorText(err));
    } finally {
      this.resyncing = false;
    }
  }
}

function stateUnavailable(op?: string): GatewayError {
  return new GatewayError({
    status: 503,
    type: 'server_error',
    code: 'state_unavailable',
    message: `The shared state store (Redis) is unreachable${op ? ` during ${op}` : ''}; try again shortly.`,
    headers: { 'retry-after': '1' },
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
