// Redis SharedState: every hot-path operation is one EVALSHA round trip with a short command
// timeout, and the client never queues commands while disconnected, so a dead Redis fails fast
// instead of hanging requests. Failures throw; src/store/redis/resilient-state.ts decides what
// to do about them (fail open or closed). Subscriptions have a connection of their own
// (redis-subscriber.ts).
import { Redis, type RedisOptions } from 'ioredis';
import { BucketLevels } from '../bucket-levels.js';
import { checkReservationAmount } from '../reservation-pools.js';
import { gcraAdjust } from '../shared-state-gcra.js';
import type {
  BucketRead,
  BucketSpec,
  BucketState,
  ConsumeResult,
  CounterIncrement,
  MessageHandler,
  PoolAccess,
  ReservationChange,
  SharedState,
} from '../shared-state.js';
import {
  ADJUST,
  APPEND_CAPPED,
  CHANGE_RESERVATIONS,
  CONSUME,
  HEARTBEAT,
  INCREMENT,
  RAISE,
  RESTART_STREAM,
  UNLOCK,
  type LuaScript,
} from './lua-scripts.js';
import { RedisSubscriber } from './redis-subscriber.js';

export interface RedisStateOptions {
  url: string;
  /** Prepended to every key and channel (tests use a unique one each). */
  prefix?: string;
  /** Per-command timeout on the hot path, ms. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * The subscriber connection came back after it dropped (Redis up all along: a client kill, an
   * output-buffer limit, a proxy's idle timeout), its subscriptions in force again. What was
   * published meanwhile never arrived: read what it told (config versions, keys) again.
   */
  onResubscribed?: () => void;
}

export const DEFAULT_PREFIX = 'mr:';

export class RedisState implements SharedState {
  readonly kind = 'redis' as const;
  readonly client: Redis;
  /** The connection of subscriptions, opened on the first (redis-subscriber.ts). */
  private readonly subscriber: RedisSubscriber;
  /** Prepended to every key and channel. */
  readonly prefix: string;
  /** Each bucket's level as Redis's last reply here said (peekTat; the fail-open fallback's start). */
  readonly levels = new BucketLevels();

  constructor(private readonly options: RedisStateOptions) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.client = new Redis(options.url, this.clientOptions(false));
    // Errors surface through the commands that fail; the client itself must not crash the process.
    this.client.on('error', () => {});
    this.subscriber = new RedisSubscriber({
      open: () => new Redis(options.url, this.clientOptions(true)),
      answering: () => this.ready,
      unsubscribeWaitMs: options.connectTimeoutMs ?? 1000,
      onResubscribed: () => this.options.onResubscribed?.(),
    });
  }

  /** True when the connection is up and commands can be sent. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Resolves when connected, or rejects after `timeoutMs`. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`Redis not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  async consume(
    buckets: readonly BucketSpec[],
    now: number,
    readCounters: readonly string[] = [],
    pools: PoolAccess = {},
  ): Promise<ConsumeResult> {
    const make = pools.make ?? [];
    for (const entry of make) checkReservationAmount(entry.amount);
    const poolKeys = [...(pools.read ?? [])]; // each once: those read, then those only made on
    const index = new Map(poolKeys.map((k, i) => [k, i]));
    for (const entry of make)
      if (!index.has(entry.pool)) index.set(entry.pool, poolKeys.push(entry.pool) - 1);
    const keys = [
      ...buckets.map((b) => this.prefix + b.key),
      ...buckets.map((b) => this.basisKey(b.key)),
      ...readCounters.map((k) => this.prefix + k),
      ...poolKeys.flatMap((k) => this.poolKeys(k)),
    ];
    const args: (string | number)[] = [now, buckets.length];
    for (const b of buckets) args.push(b.limit, b.windowMs, b.cost);
    if (readCounters.length > 0 || poolKeys.length > 0) {
      args.push(readCounters.length, poolKeys.length, make.length);
      for (const e of make)
        args.push(index.get(e.pool)! + 1, e.id, e.amount, Math.max(1, Math.ceil(e.ttlMs)));
    }
    const raw = (await this.run(CONSUME, keys, args)) as number[];
    const states: BucketState[] = buckets.map((b, i) => ({
      key: b.key,
      limit: b.limit,
      ok: raw[1 + i * 4] === 1,
      remaining: Number(raw[2 + i * 4]),
      resetMs: Number(raw[3 + i * 4]),
      retryAfterMs: Number(raw[4 + i * 4]),
    }));
    const counters = readCounters.map((_k, j) => Number(raw[1 + buckets.length * 4 + j] ?? 0));
    const at = 1 + buckets.length * 4 + readCounters.length;
    const totals = (pools.read ?? []).map((_k, j) => Number(raw[at + j] ?? 0));
    const ok = raw[0] === 1;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      const s = states[i]!;
      // A refused call charges nothing, but an admitting bucket's reply counts the cost it would
      // have taken: take it back out. (resetMs is rounded up: the level errs on the empty side.)
      const notCharged = s.ok && !ok ? (b.cost * b.windowMs) / b.limit : 0;
      this.levels.set(b, now + s.resetMs - notCharged, now);
    }
    return { ok, buckets: states, counters, pools: totals };
  }

  async changeReservations(
    changes: readonly ReservationChange[],
    now: number,
    increments: readonly CounterIncrement[] = [],
  ): Promise<void> {
    if (changes.length === 0 && increments.length === 0) return;
    for (const c of changes) checkReservationAmount(c.amount, true);
    for (const inc of increments) checkIncrement(inc);
    const args: (string | number)[] = [now, changes.length];
    for (const c of changes) args.push(c.id, c.amount);
    for (const inc of increments) args.push(inc.by, Math.max(1, Math.ceil(inc.ttlMs)));
    await this.run(
      CHANGE_RESERVATIONS,
      [
        ...changes.flatMap((c) => this.poolKeys(c.pool)),
        ...increments.map((inc) => this.prefix + inc.key),
      ],
      args,
    );
  }

  /** A reservation pool's three keys (lua-scripts.ts POOLS): total, amounts, expiry. */
  private poolKeys(pool: string): string[] {
    const key = this.prefix + pool;
    return [key, `${key}:amounts`, `${key}:expiry`];
  }

  async adjust(bucket: BucketRead, delta: number, now: number): Promise<void> {
    await this.run(
      ADJUST,
      [this.prefix + bucket.key, this.basisKey(bucket.key)],
      [now, bucket.limit, bucket.windowMs, delta],
    );
    // The same step the script took, from the level last seen here.
    this.levels.set(bucket, gcraAdjust(bucket, this.levels.get(bucket, now), delta, now), now);
  }

  /** Where a bucket's basis is kept beside its TAT (lua-scripts.ts); bucket keys end in rpm/tpm. */
  private basisKey(key: string): string {
    return `${this.prefix}${key}:basis`;
  }

  peekTat(bucket: BucketRead, now: number): number | undefined {
    return this.levels.get(bucket, now);
  }

  /**
   * Raises each bucket in Redis to at least its TAT here (the fail-open wrapper's local use, on
   * Redis's return); a bucket Redis holds higher is left. One round trip; returns how many rose.
   */
  async raiseLevels(keys: readonly string[], now: number): Promise<number> {
    if (keys.length === 0) return 0;
    const args: number[] = [now];
    for (const k of keys) {
      const level = this.levels.stored(k, now);
      args.push(level?.tat ?? now, level?.basis ?? 1);
    }
    return Number(
      await this.run(
        RAISE,
        [...keys.map((k) => this.prefix + k), ...keys.map((k) => this.basisKey(k))],
        args,
      ),
    );
  }

  async incrementCounters(increments: readonly CounterIncrement[]): Promise<number[]> {
    if (increments.length === 0) return [];
    for (const inc of increments) checkIncrement(inc);
    const args: (string | number)[] = [];
    for (const inc of increments) args.push(inc.by, Math.max(1, Math.ceil(inc.ttlMs)));
    const raw = (await this.run(
      INCREMENT,
      increments.map((i) => this.prefix + i.key),
      args,
    )) as number[];
    return raw.map(Number);
  }

  async readCounters(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const values = await this.client.mget(...keys.map((k) => this.prefix + k));
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    return this.client.hgetall(this.prefix + key);
  }

  async hashSet(key: string, field: string, value: string): Promise<void> {
    await this.client.hset(this.prefix + key, field, value);
  }

  async hashDelete(key: string, field: string): Promise<boolean> {
    return (await this.client.hdel(this.prefix + key, field)) > 0;
  }

  async tryLock(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    return (await this.client.set(this.prefix + key, holder, 'PX', ms, 'NX')) === 'OK';
  }

  async unlock(key: string, holder: string): Promise<void> {
    await this.run(UNLOCK, [this.prefix + key], [holder]);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.prefix + channel, message);
  }

  /**
   * Appends one entry to the capped stream `key` (without the prefix): trimmed to about `maxLen`
   * entries, alive for at least `ttlMs` after this append. Values may be binary. One round trip.
   */
  async appendCapped(
    key: string,
    maxLen: number,
    ttlMs: number,
    fields: readonly (string | Buffer)[],
  ): Promise<void> {
    await this.run(
      APPEND_CAPPED,
      [this.prefix + key],
      [maxLen, Math.max(1, Math.ceil(ttlMs)), ...fields],
    );
  }

  /**
   * Empties the stream `key` (without the prefix) and appends one entry in place of the old ones,
   * atomically; alive for at least `ttlMs`. One round trip; throws when Redis does not answer.
   */
  async restartStream(
    key: string,
    ttlMs: number,
    fields: readonly (string | Buffer)[],
  ): Promise<void> {
    await this.run(RESTART_STREAM, [this.prefix + key], [Math.max(1, Math.ceil(ttlMs)), ...fields]);
  }

  /**
   * Marks `replica` alive in the sorted set `key` (without the prefix) and returns how many
   * replicas did so within `staleMs`, this one included. One round trip.
   */
  async heartbeat(key: string, replica: string, staleMs: number): Promise<number> {
    return Number(await this.run(HEARTBEAT, [this.prefix + key], [replica, staleMs]));
  }

  /** Takes `replica` out of the sorted set `key` (a replica shutting down). */
  async leave(key: string, replica: string): Promise<void> {
    await this.client.zrem(this.prefix + key, replica);
  }

  /** One PING within the command timeout; used to notice that Redis is back. */
  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Subscriptions survive a dropped connection: ioredis subscribes again as it reconnects. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    return this.subscriber.subscribe(this.prefix + channel, handler);
  }

  async close(): Promise<void> {
    this.subscriber.close();
    this.client.disconnect();
  }

  private clientOptions(subscriber: boolean): RedisOptions {
    return {
      lazyConnect: false,
      enableOfflineQueue: subscriber,
      maxRetriesPerRequest: subscriber ? null : 0,
      commandTimeout: subscriber ? undefined : (this.options.commandTimeoutMs ?? 50),
      connectTimeout: this.options.connectTimeoutMs ?? 1000,
      // What `CLIENT LIST` shows: the router's connections, by prefix, its subscriber apart.
      connectionName: `model-router${subscriber ? '-sub' : ''}:${this.prefix.replace(/\s/g, '_')}`,
      // Reconnect forever, backing off to 1 s.
      retryStrategy: (times) => Math.min(times * 50, 1000),
    };
  }

  private async run(
    script: LuaScript,
    keys: string[],
    args: (string | number | Buffer)[],
  ): Promise<unknown> {
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.client.eval(script.source, keys.length, ...keys, ...args);
    }
  }
}

/** Counters are integers (budgets: nano-dollars), so sums never drift. */
function checkIncrement(inc: CounterIncrement): void {
  if (!Number.isSafeInteger(inc.by))
    throw new Error(`counter increment must be an integer, got ${inc.by}`);
}
