// What an `eval` summary holds: the figures of one set of test prompts (each mode against the
// best single model, oracle, random, cheapest; APGR and CPT), and the arithmetic its parts share.
import type { RoutingMode } from '../src/config/schema.js';

export interface ModeResult {
  quality: number;
  cost: number;
  /** Against the best single model; null where that is 0 and this is not (see `ratioTo`). */
  quality_ratio: number | null;
  /**
   * Standard error of `quality_ratio` from these test prompts alone (paired: the spread of the
   * pick's score less the best single model's, over √n, on the best single model's scale). A
   * ratio a standard error or two from a target says little about the target.
   */
  quality_ratio_se: number | null;
  cost_ratio: number | null;
  share: Record<string, number>;
}

export interface EvalSummary {
  models: string[];
  prompts: number;
  best_single: { model: string; quality: number; cost: number };
  oracle: { quality: number; cost: number };
  random: { quality: number; cost: number };
  cheapest: { model: string; quality: number; cost: number };
  modes: Record<RoutingMode, ModeResult>;
  apgr: number | null;
  cpt50: number | null;
  cpt80: number | null;
  /**
   * Two-model sets: the gap APGR is a share of, on these test prompts: the strong (best single)
   * model's mean score less the weak one's, with its paired standard error (null under two
   * prompts). APGR and CPT are null where the gap is not positive; within two standard errors
   * of none they are shares of noise, and `eval` says so (`apgrGapNotes`).
   */
  apgr_gap?: { strong: string; weak: string; pairs: number; gap: number; gap_se: number | null };
}

/** Models named in a mode's share; the rest are summed as "N others". */
const SHARES_LISTED = 8;

/** A mode's share per model for tables, largest first (the JSON keeps every model's). */
export function shareText(share: Record<string, number>): string {
  const sorted = Object.entries(share).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = sorted.slice(0, SHARES_LISTED).map(([m, s]) => `${m} ${(s * 100).toFixed(0)}%`);
  const rest = sorted.slice(SHARES_LISTED);
  if (rest.length)
    named.push(`${rest.length} others ${(rest.reduce((a, [, s]) => a + s, 0) * 100).toFixed(0)}%`);
  return named.join(', ');
}

/** The mean of `xs`; 0 for none. */
export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}
