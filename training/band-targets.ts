// What the bands are calibrated to keep: Balanced and Cost's share of the best single model's
// quality, a fixed margin, and the standard errors of the calibration estimate to clear them by.
import { DataError } from './data-error.js';

export interface BandTargets {
  balanced: number;
  cost: number;
  margin: number;
  /** Standard errors of the calibration estimate a band's quality must clear the target by. */
  confidenceZ?: number;
}

export const DEFAULT_TARGETS: BandTargets = {
  balanced: 0.99,
  cost: 0.95,
  margin: 0.006,
  // One standard error (the "one-SE rule"): on five salted splits of each shared file it kept the
  // same splits above the floors as a 95% bound (z = 1.645) and routed 8–12% cheaper on llmrouter;
  // z = 0.5 saved more but left one more split under (docs/routing.md). `--confidence-z` sets it.
  confidenceZ: 1,
};

/** Band targets with an optional `--confidence-z` from the command line (≥ 0). */
export function targetsWithZ(z: string | undefined): BandTargets {
  if (z === undefined) return DEFAULT_TARGETS;
  // Number('') is 0: an empty value is a mistake, not "no bound".
  const confidenceZ = z.trim() === '' ? NaN : Number(z);
  if (!Number.isFinite(confidenceZ) || confidenceZ < 0)
    throw new DataError(`--confidence-z must be a number ≥ 0 (standard errors), got "${z}"`);
  return { ...DEFAULT_TARGETS, confidenceZ };
}
