// Injected time source so limits, breakers and deadlines are testable without sleeps.
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** High-resolution milliseconds for latency measurement. */
  perfNow(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  perfNow: () => performance.now(),
};

/** A clock tests move by hand. */
export function createManualClock(
  start = 1_700_000_000_000,
): Clock & { advance(ms: number): void } {
  let t = start;
  let p = 0;
  return {
    now: () => t,
    perfNow: () => p,
    advance(ms: number) {
      t += ms;
      p += ms;
    },
  };
}
