// GCRA (generic cell rate algorithm) over one stored number per bucket: the theoretical arrival
// time (TAT). Emission interval T = window / limit; burst tolerance = window, so a full bucket
// admits `limit` units at once and refills linearly. The Redis Lua script mirrors this exactly.
//
// A TAT is stored with the interval it was counted in (its basis: window / configured limit), so
// a limit changed while the router runs keeps the units already used: raised from 10 to 100 RPM,
// a key that used its 10 has 90 left at once (read as a time under the new limit it would stay
// blocked for the rest of the window); lowered from 100 to 10 after 50 were used, it is empty and
// refills at the new rate (a bucket is never emptier than empty: at most a window behind). A
// replica's share of a limit (the fail-open fallback) keeps the configured limit's basis, so
// shares are read as a time: each replica starts with its share of what was left.
import type { BucketRead, BucketSpec, BucketState } from './shared-state.js';

/** The interval a bucket's level is counted in: window / configured limit. */
export function basisOf(bucket: BucketRead): number {
  return bucket.windowMs / (bucket.sharedLimit ?? bucket.limit);
}

/**
 * A TAT stored with basis `was`, read under `bucket`'s: the units it holds carry over, at most a
 * window's worth. Same arithmetic, in the same order, as the Lua scripts' `level`.
 */
export function rescaledTat(tat: number, was: number, bucket: BucketRead, now: number): number {
  const basis = basisOf(bucket);
  if (was === basis || tat <= now) return tat;
  return now + Math.min(bucket.windowMs, ((tat - now) * basis) / was);
}

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
  spec: BucketRead,
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
  spec: BucketRead,
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
