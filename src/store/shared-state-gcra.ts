// GCRA (generic cell rate algorithm) over one stored number per bucket: the theoretical arrival
// time (TAT). Emission interval T = window / limit; burst tolerance = window, so a full bucket
// admits `limit` units at once and refills linearly. The Redis Lua script mirrors this exactly.
import type { BucketSpec, BucketState } from './shared-state.js';

export interface GcraStep {
  state: BucketState;
  /** The TAT to store when every bucket of the call is admitted. */
  nextTat: number;
}

/** Evaluate one bucket against its stored TAT (undefined = never used) at `now`. */
export function gcraStep(spec: BucketSpec, storedTat: number | undefined, now: number): GcraStep {
  const interval = spec.windowMs / spec.limit;
  const tolerance = spec.windowMs;
  const tat = Math.max(storedTat ?? now, now);
  const nextTat = tat + spec.cost * interval;
  const allowAt = nextTat - tolerance;
  if (allowAt > now) {
    return {
      nextTat: tat,
      state: {
        key: spec.key,
        limit: spec.limit,
        ok: false,
        remaining: remainingUnits(tolerance, tat - now, interval),
        resetMs: Math.ceil(tat - now),
        retryAfterMs: Math.ceil(allowAt - now),
      },
    };
  }
  return {
    nextTat,
    state: {
      key: spec.key,
      limit: spec.limit,
      ok: true,
      remaining: remainingUnits(tolerance, nextTat - now, interval),
      resetMs: Math.ceil(nextTat - now),
      retryAfterMs: 0,
    },
  };
}

/** Apply an unconditional correction: charge more (delta > 0) or refund (delta < 0, never below now). */
export function gcraAdjust(
  spec: Omit<BucketSpec, 'cost'>,
  storedTat: number | undefined,
  delta: number,
  now: number,
): number {
  const interval = spec.windowMs / spec.limit;
  const tat = Math.max(storedTat ?? now, now);
  return Math.max(now, tat + delta * interval);
}

/** Units still available in a bucket whose TAT lies `ahead` ms in the future. */
export function gcraAvailable(
  spec: Omit<BucketSpec, 'cost'>,
  storedTat: number | undefined,
  now: number,
): number {
  const interval = spec.windowMs / spec.limit;
  return remainingUnits(spec.windowMs, Math.max(0, (storedTat ?? now) - now), interval);
}

function remainingUnits(tolerance: number, ahead: number, interval: number): number {
  // The epsilon absorbs float error so a bucket that is exactly full reports `limit`.
  return Math.max(0, Math.floor((tolerance - ahead) / interval + 1e-9));
}
