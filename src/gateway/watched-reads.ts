// A streaming attempt's reads after its first chunk, watched: each read waits for the upstream at
// most `idleMs` (one timer per stream, re-armed per read: time spent waiting on a slow client does
// not count), and a read in progress fails as soon as the attempt is aborted (idle deadline,
// shutdown drain), whether or not the adapter's own read notices the abort. Each read's wait,
// until it settles or fails, is the upstream's in the request's timing (its overhead apart).
import type { GatewayError } from '../core/errors.js';
import type { RequestTiming } from './request-timing.js';

/**
 * `next` reading `iterator` under an idle deadline: past `idleMs` without a chunk, `onIdle()`'s
 * error aborts `controller` and fails the read. A read while `controller` is aborted, or one in
 * progress when it is, fails with the abort's reason. `stop()` disarms the timer. Each read's
 * wait goes to `timing.upstreamMs`.
 */
export function watchedReads<T>(
  iterator: AsyncIterator<T>,
  idleMs: number,
  controller: AbortController,
  onIdle: () => GatewayError,
  timing?: RequestTiming,
): { next(): Promise<IteratorResult<T>>; stop(): void } {
  let failPending: ((err: unknown) => void) | undefined;
  let waiting = false;
  /** perfNow() when the read in progress was asked for; -1 when none is, or it was counted. */
  let askedAt = -1;
  // Reads are one at a time: the one in progress is counted once, when it settles or is aborted.
  const counted = () => {
    if (askedAt < 0) return;
    timing!.upstreamSince(askedAt);
    askedAt = -1;
  };
  // Fires while no read is waiting too (the client was slow): then it does nothing, and the
  // next read re-arms it.
  const timer = setTimeout(() => {
    if (waiting && !controller.signal.aborted) controller.abort(onIdle());
  }, idleMs);
  const onAbort = () => {
    counted();
    failPending?.(controller.signal.reason);
  };
  controller.signal.addEventListener('abort', onAbort, { once: true });
  const settle = () => {
    counted();
    waiting = false;
    failPending = undefined;
  };
  return {
    next() {
      if (controller.signal.aborted) return Promise.reject(controller.signal.reason);
      waiting = true;
      timer.refresh();
      if (timing) askedAt = timing.clock.perfNow();
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        failPending = reject;
        iterator.next().then(
          (r) => {
            settle();
            resolve(r);
          },
          (err) => {
            settle();
            // The read failed because we aborted it: the abort's reason is why.
            reject(controller.signal.aborted ? controller.signal.reason : err);
          },
        );
      });
    },
    stop() {
      clearTimeout(timer);
      controller.signal.removeEventListener('abort', onAbort);
      settle();
    },
  };
}
