// A chat request's time apart from its upstream: the router's overhead (LiteLLM's
// `x-litellm-overhead-duration-ms`), what it adds to a request besides waiting. From the gateway
// taking the request up (its body read) to its end, as `latencyMs`, less the time spent waiting on
// upstream chat calls (each attempt's, failed ones too, from the adapter's call to its reply read;
// a stream's, each read of a chunk), less a stream's waits for its client to take what was written
// (the socket's backpressure), less a wait the client asked for (`rateLimits.queue`). What is left
// is the router's own work, and the calls its own features make (the content filter's moderation
// model, the semantic cache's embedding): the record's `overheadMicros`, `x-router-overhead-ms`
// and `model_router_overhead_seconds` (docs/operations.md "Metrics").
import type { Clock } from '../core/clock.js';

/** One request's clock and the waits that are not the router's (one object a request). */
export class RequestTiming {
  /** perfNow() when the gateway took the request up. */
  readonly startedPerf: number;
  /** ms spent waiting on upstream chat calls. */
  upstreamMs = 0;
  /** ms a stream spent waiting for its client to take what was written. */
  clientMs = 0;

  constructor(readonly clock: Pick<Clock, 'perfNow'>) {
    this.startedPerf = clock.perfNow();
  }

  /** Counts the time from `sentAt` to `until` (perfNow; now by default) as waiting on the upstream. */
  upstreamSince(sentAt: number, until = this.clock.perfNow()): void {
    this.upstreamMs += until - sentAt;
  }

  /**
   * Awaits `drained` (the client's socket taking what was written), counting the wait as the
   * client's: the SSE writer's backpressure (sse-writer.ts).
   */
  async awaitClient(drained: Promise<void>): Promise<void> {
    const from = this.clock.perfNow();
    try {
      await drained;
    } finally {
      this.clientMs += this.clock.perfNow() - from;
    }
  }

  /**
   * Microseconds of the router's own from the start to `now` (perfNow), less the waits above and
   * `queuedMs` (the record's wait in the rate-limit queue, whole ms rounded up: never below 0).
   */
  overheadMicros(now: number, queuedMs = 0): number {
    const ms = now - this.startedPerf - this.upstreamMs - this.clientMs - queuedMs;
    return ms > 0 ? ms * 1000 : 0;
  }
}

/** The `x-router-overhead-ms` header's value: decimal milliseconds, to the microsecond. */
export function overheadHeader(micros: number): string {
  return (micros / 1000).toFixed(3);
}
