// The rate-limit queue (`rateLimits.queue`, `x-router-max-wait-ms`): a request a key, router,
// end-user or tag limit refuses may wait for the refused bucket to free up and try admission
// again, instead of a 429 its client would retry blind. A waiter holds no bucket capacity (a
// refusal charges nothing) and is only a timer; requests admitted at once never come here. What
// admission leaves of the wait goes on to routing (`patience`), for deployments out of headroom.
import { systemClock, type Clock } from '../core/clock.js';
import { invalidRequest, type GatewayError } from '../core/errors.js';
import { abortedCall } from '../gateway/attempt-records.js';
import type { ChatCall, Patience, Waitable } from '../gateway/gateway-types.js';
import { RateLimitRefusal } from './rate-limit-refusal.js';

/** Resolves after `ms`, or at once when `signal` aborts (its timer cleared then). Never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** Where waiting is counted: a gauge of waiters and a histogram of waits, by router. */
export interface QueueMetrics {
  waiting(router: string, delta: 1 | -1): void;
  waited(router: string, ms: number): void;
}

export interface AdmissionQueueOptions {
  clock?: Clock;
  /** Injected by tests so no real time passes. */
  sleep?: Sleep;
  /** In [0, 1): spreads retries over JITTER_MS so waiters on one bucket do not stampede. */
  random?: () => number;
  metrics?: QueueMetrics;
}

export interface WaitTerms {
  /** The most this request may wait in all, in ms (its header, capped by the config). */
  maxWaitMs: number;
  /** Waiters this replica takes at most (`rateLimits.queue.maxWaiting`). */
  maxWaiting: number;
  signal: AbortSignal;
  /** The metrics label: the router or pool called, '' for a deployment called by name. */
  router: string;
}

/** Added to each wait: a few ms, enough to spread waiters that the same bucket refused. */
export const JITTER_MS = 5;

export const MAX_WAIT_HEADER = 'x-router-max-wait-ms';

/**
 * setTimeout that an abort cuts short; the timer and the listener go either way. It never ends
 * before `ms` have passed: Node fires a timer by the event loop's cached time, which a busy loop
 * leaves a few ms behind, so a timer set for a cooldown's end could fire just before it, and the
 * waiter would find the deployment still cooling and wait a round more for nothing.
 */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    const until = performance.now() + ms;
    let timer: ReturnType<typeof setTimeout>;
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const check = () => {
      const left = until - performance.now();
      if (left > 0) timer = setTimeout(check, Math.ceil(left));
      else done();
    };
    timer = setTimeout(check, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * How long a request asks to wait: its `x-router-max-wait-ms` capped by the config's `maxWaitMs`
 * (0 when it sends none: waiting is opt-in). Only called when the queue is on; a value that is
 * not a whole number of ms is the client's mistake (400 naming the header).
 */
export function requestedWaitMs(headers: ChatCall['headers'], maxWaitMs: number): number {
  const raw = headers[MAX_WAIT_HEADER];
  if (raw === undefined) return 0;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 0)
    throw invalidRequest(
      `Header ${MAX_WAIT_HEADER} must be a whole number of milliseconds (0 or more), got "${String(raw)}".`,
      MAX_WAIT_HEADER,
    );
  return Math.min(n, maxWaitMs);
}

/**
 * This replica's waiters: how many there are, and the loop each runs. A replica that shuts down
 * stops them (`stop`): each is answered at once with the shutdown's error, none is called again.
 */
export class AdmissionQueue {
  private count = 0;
  /** Each waiter's sleep, cut short by `stop`. */
  private readonly sleeping = new Set<AbortController>();
  /** The signals of the waiters whose round (a re-check, a routing round) is running now. */
  private readonly inRound = new Set<AbortSignal>();
  /** Set by `stop`: a fresh error for each request (the gateway adds its own headers to it). */
  private stopped: (() => GatewayError) | undefined;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;

  constructor(private readonly options: AdmissionQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
  }

  /** Requests waiting on this replica now. */
  get waiting(): number {
    return this.count;
  }

  /**
   * The replica is shutting down: every waiter ends now with `error()` (the drain's 503), without
   * trying admission or an upstream again, and a request that would start waiting gets it at once.
   * Returns how many were waiting.
   */
  stop(error: () => GatewayError): number {
    this.stopped ??= error;
    const n = this.sleeping.size;
    for (const c of this.sleeping) c.abort();
    this.sleeping.clear();
    return n;
  }

  /**
   * Wait out `refusal` and call `admit` again, as often as the refusals' retry-after fits in what
   * is left of `terms.maxWaitMs`. Resolves with admit's value and the ms waited; throws the last
   * refusal when the wait is spent (or the queue full), 499 when the client leaves, and any
   * other error of `admit` (a budget, say) as it is.
   */
  wait<T>(
    refusal: RateLimitRefusal,
    admit: () => Promise<T>,
    terms: WaitTerms,
  ): Promise<{ value: T; queuedMs: number }> {
    return this.waitOut(
      { error: refusal, retryAfterMs: refusal.retryAfterMs },
      admit,
      terms,
      asWaitable,
    );
  }

  /**
   * What is left of a request's `maxWaitMs` once admission waited `queuedMs`, for the waits that
   * come after it (no deployment with headroom: gateway/wait-for-headroom.ts); same queue. Its
   * `queuedMs` counts each wait however it ended (served, refused, the client gone).
   */
  patience(terms: WaitTerms, queuedMs: number): Patience {
    let total = queuedMs;
    return {
      get queuedMs() {
        return total;
      },
      wait: async (first, retry, waitable) => {
        const left = { ...terms, maxWaitMs: terms.maxWaitMs - total };
        const waited = await this.waitOut(first, retry, left, waitable, (ms) => (total += ms));
        return waited.value;
      },
    };
  }

  /**
   * Called once a waiter's round has passed its shared-state round trip (admission's re-check,
   * an attempt's deployment charge) and before anything goes upstream: when the queue stopped
   * meanwhile, the drain wins and this throws its 503. Any other request (`signal` not a waiter's
   * in its round) passes.
   */
  admitRound(signal: AbortSignal): void {
    if (this.stopped && this.inRound.has(signal)) throw this.stopped();
  }

  /** A method, not an inline test: TypeScript would take `stopped` as unchanged across awaits. */
  private throwIfStopped(): void {
    if (this.stopped) throw this.stopped();
  }

  /**
   * The loop every waiter runs: sleep `first`'s retry-after (+ jitter, never past the deadline),
   * call `retry`, and again for each refusal `waitable` says may be waited out. `spent` hears
   * the ms waited (rounded up) once a wait ends however it ends; a refusal thrown at once was none.
   */
  private async waitOut<T>(
    first: Waitable,
    retry: () => Promise<T>,
    terms: WaitTerms,
    waitable: (err: unknown) => Waitable | undefined,
    spent?: (queuedMs: number) => void,
  ): Promise<{ value: T; queuedMs: number }> {
    if (
      first.retryAfterMs === undefined ||
      first.retryAfterMs > terms.maxWaitMs ||
      this.count >= terms.maxWaiting
    )
      throw first.error;
    if (terms.signal.aborted) throw abortedCall(terms.signal, []);
    this.throwIfStopped();
    const metrics = this.options.metrics;
    const started = this.clock.perfNow();
    // Time spent in `retry` (a round's routing and upstream calls) is not waiting.
    let busy = 0;
    const waited = () => this.clock.perfNow() - started - busy;
    // Ends the sleep when the client leaves or the replica stops the queue.
    const wake = new AbortController();
    const clientLeft = () => wake.abort();
    terms.signal.addEventListener('abort', clientLeft, { once: true });
    this.sleeping.add(wake);
    this.count++;
    metrics?.waiting(terms.router, 1);
    try {
      let last = first;
      for (;;) {
        // The deadline is the client's: everything since the wait began counts against it.
        const left = terms.maxWaitMs - (this.clock.perfNow() - started);
        const after = last.retryAfterMs;
        if (after === undefined || after > left) throw last.error;
        // Either may have happened while `retry` ran (a sleep does not see an earlier abort).
        if (terms.signal.aborted) throw abortedCall(terms.signal, []);
        this.throwIfStopped();
        // Never past the deadline; at least 1 ms, so a zero retry-after cannot spin.
        await this.sleep(
          Math.max(1, Math.min(after + JITTER_MS * this.random(), left)),
          wake.signal,
        );
        if (terms.signal.aborted) throw abortedCall(terms.signal, []);
        this.throwIfStopped();
        const tried = this.clock.perfNow();
        this.inRound.add(terms.signal);
        try {
          const value = await retry();
          busy += this.clock.perfNow() - tried;
          return { value, queuedMs: Math.ceil(waited()) };
        } catch (err) {
          busy += this.clock.perfNow() - tried;
          const next = waitable(err);
          if (!next) throw err;
          last = next;
        } finally {
          this.inRound.delete(terms.signal);
        }
      }
    } finally {
      terms.signal.removeEventListener('abort', clientLeft);
      this.sleeping.delete(wake);
      const ms = waited();
      this.count--;
      metrics?.waiting(terms.router, -1);
      metrics?.waited(terms.router, ms);
      spent?.(Math.ceil(ms));
    }
  }
}

/** Admission waits out rate-limit refusals only (not budgets, not a too-large request). */
function asWaitable(err: unknown): Waitable | undefined {
  return err instanceof RateLimitRefusal
    ? { error: err, retryAfterMs: err.retryAfterMs }
    : undefined;
}
