// The upstream calls in flight on this replica, so a shutdown can stop those still running when
// its drain deadline passes (runtime.ts): each attempt's abort controller is held while it runs.
// One per replica, shared by the chat family's attempts (execute-with-failover.ts) and the named
// calls' (named-failover.ts: embeddings, moderations, rerank, images, audio, realtime opening).
import { GatewayError } from '../core/errors.js';

/** What a call stopped by the shutdown drain is answered (in-band on a stream; 503 otherwise). */
export function shuttingDownError(): GatewayError {
  return new GatewayError({
    status: 503,
    type: 'server_error',
    code: 'router_shutting_down',
    message: 'The router is shutting down and stopped this request; retry it.',
    headers: { 'retry-after': '1' },
  });
}

/** Whether the shutdown drain stopped the call of `signal` (aborted with `shuttingDownError`). */
export function stoppedByDrain(signal: AbortSignal): boolean {
  return (
    signal.aborted &&
    signal.reason instanceof GatewayError &&
    signal.reason.code === 'router_shutting_down'
  );
}

export class CallDrain {
  private readonly running = new Set<AbortController>();
  private stopped: GatewayError | undefined;

  /** Holds an attempt's controller until the returned release is called. */
  track(controller: AbortController): () => void {
    if (this.stopped) controller.abort(shuttingDownError());
    this.running.add(controller);
    return () => this.running.delete(controller);
  }

  /** Set once the drain deadline passed: no new attempt starts after it. */
  get stoppedWith(): GatewayError | undefined {
    return this.stopped;
  }

  /** Calls in flight now. */
  get size(): number {
    return this.running.size;
  }

  /** Stops every call in flight, and any that would start, with `router_shutting_down`. */
  stopAll(): number {
    this.stopped ??= shuttingDownError();
    const n = this.running.size;
    // A fresh error each: the gateway adds the request's own headers to the one it is given.
    for (const c of this.running) c.abort(shuttingDownError());
    this.running.clear();
    return n;
  }
}
