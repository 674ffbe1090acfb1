// Calibrating the Balanced and Cost bands on prompts the heads did not train on: the widest band
// (cheapest routing) whose realised quality, less z standard errors and a fixed margin, stays at or
// above target × best single model, for that band and every narrower one (quality at a fixed band
// moves 1–4% between calibration and test). The rows routed band by band are route-prepared.ts's.
import { type BandRule, type Bands } from '../src/routing/pick-by-mode.js';
import { type ModelHead } from '../src/routing/routing-model.js';
import { promptCost } from './prompt-cost.js';
import type { DataRow } from './load-rows.js';
import { foldKeys } from './cross-fit.js';
import { promptHash } from './prompt-hash.js';
import type { BandTargets } from './band-targets.js';
import {
  pickIndex,
  prepareRows,
  routeCurve,
  routePrepared,
  type PreparedRow,
  type ScoredRow,
} from './route-prepared.js';

/** Standard error of the mean of `n` values (`value(i)`, i < n); 0 for fewer than two. */
export function standardErrorOfMean(n: number, value: (i: number) => number): number {
  if (n < 2) return 0;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = value(i);
    sum += d;
    sq += d * d;
  }
  return standardErrorFromSums(n, sum, sq);
}

/** The same from the values' sum and sum of squares (each added up in order). */
function standardErrorFromSums(n: number, sum: number, sq: number): number {
  if (n < 2) return 0;
  const mean = sum / n;
  const variance = Math.max(0, (sq - n * mean * mean) / (n - 1));
  return Math.sqrt(variance / n);
}

// 1.5 (≈ always the best predicted) … −2 (the tradeoff rule charges up to 3 × the best single
// model's mean quality per reference-cost; the ratio rule takes the cheapest model well before).
const GRID = Array.from({ length: 1401 }, (_, i) => 1.5 - i * 0.0025);
const MARGINS = Array.from({ length: 31 }, (_, i) => i * 0.01);

/**
 * Two halves of the rows by a hash of their ids (so a row's half does not depend on the order of
 * the file), except that the copies and near-copies of a prompt among them (`keyOf`: training's
 * fold key of the group where the caller has it, else `foldKeys` of these rows) share the half
 * their group's name hashes to: a copy in each half would let one half's margin be chosen on the
 * other's prompts. Alternate rows where the hashes do not split (a file that repeats one id, or
 * one prompt).
 */
export function halvesOf(
  rows: readonly Pick<DataRow, 'id' | 'prompt'>[],
  keyOf: (prompt: string) => string = foldKeys(rows.map((r) => r.prompt)),
): (k: number) => number {
  const groupOf = rows.map((r) => keyOf(r.prompt));
  const members = new Map<string, number>();
  for (const g of groupOf) members.set(g, (members.get(g) ?? 0) + 1);
  // A row alone in its group hashes its id, as before groups were kept together.
  const byKey = rows.map((r, k) => {
    const g = groupOf[k]!;
    return promptHash(members.get(g)! > 1 ? g : r.id, 'quality-halves') < 0.5 ? 0 : 1;
  });
  const ones = byKey.reduce<number>((a, h) => a + h, 0);
  return ones > 0 && ones < rows.length ? (k) => byKey[k]! : (k) => k % 2;
}

/**
 * What Quality mode gains over the reference on prompts its margin was not chosen on: the rows
 * are cut in two (`half`: 0 or 1), each half's margin is the best of `MARGINS` on that half (ties
 * → the larger), and each row counts its pick's score less the reference's at the margin the
 * other half chose. The mean of those differences and its standard error. Choosing the best of 31
 * margins on the same rows finds a gain in noise (two same-priced models with unpredictable
 * scores: a margin that switches four prompts of 600, all lucky); this does not.
 */
export function qualityPays(
  rows: PreparedRow[],
  referenceScore: (k: number) => number,
  bestQuality: number,
  half: (k: number) => number,
): { gain: number; se: number } {
  const n = rows.length;
  const gains = MARGINS.map((m) => {
    const bands: Bands = { balanced: 1, cost: 1, qualityMargin: m * bestQuality };
    return Float64Array.from(
      rows,
      (r, k) => r.score[pickIndex(r, 'quality', bands)]! - referenceScore(k),
    );
  });
  const halves = Uint8Array.from({ length: n }, (_, k) => half(k));
  const chosen = [0, 1].map((h) => {
    let best = MARGINS.length - 1;
    let bestSum = -Infinity;
    for (let i = MARGINS.length - 1; i >= 0; i--) {
      let sum = 0;
      for (let k = 0; k < n; k++) if (halves[k] === h) sum += gains[i]![k]!;
      if (sum > bestSum + 1e-9) {
        bestSum = sum;
        best = i;
      }
    }
    return best;
  });
  const outOfHalf = (k: number) => gains[chosen[1 - halves[k]!]!]![k]!;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += outOfHalf(k);
  return { gain: n ? sum / n : 0, se: standardErrorOfMean(n, outOfHalf) };
}

/**
 * How well predictions route `rows`, whatever the bands: the Balanced curve over the band grid
 * (every fourth band), and at each budget of 10%, 20%, … 100% of the best single model's mean
 * cost the point of best realised quality the curve reaches within it (the cheapest point where
 * none does). `quality`: the mean over the budgets; `perRow`: each row's score averaged over the
 * budgets' points (rows without the best single model's score are left out), so that two
 * predictors on the same rows can be compared pairwise. For two models it ranks predictions as
 * APGR does, for any number of models.
 */
export function frontierQuality(
  rows: ScoredRow[],
  heads: ModelHead[],
  bestSingle: string,
): { quality: number; perRow: Float64Array } {
  const byName = new Map(heads.map((h) => [h.name, h]));
  const scored = rows.filter((r) => r.predicted.size > 0 && r.row.scores[bestSingle] !== undefined);
  const perRow = new Float64Array(scored.length);
  if (!scored.length) return { quality: 0, perRow };
  const bestQuality =
    scored.reduce((a, r) => a + (r.row.scores[bestSingle] ?? 0), 0) / scored.length;
  const bestCost =
    scored.reduce((a, r) => a + promptCost(r.row, bestSingle, byName.get(bestSingle)!.prices), 0) /
    scored.length;
  const prepared = prepareRows(scored, byName, bestSingle);
  const grid = GRID.filter((_, i) => i % 4 === 0);
  const bandsAt = (band: number): Bands => ({
    balanced: band,
    cost: band,
    rule: 'tradeoff',
    scale: bestQuality,
  });
  const routed = routeCurve(prepared, grid, bandsAt, () => 0);
  const curve = grid.map((band, g) => ({
    band,
    quality: routed.quality[g]!,
    cost: routed.cost[g]!,
  }));
  const cheapest = curve.reduce((a, p) => (p.cost < a.cost ? p : a));
  let sum = 0;
  for (let k = 1; k <= 10; k++) {
    const budget = (k / 10) * bestCost;
    let point = cheapest;
    for (const p of curve) if (p.cost <= budget && p.quality > point.quality) point = p;
    sum += point.quality;
    const { picks } = routePrepared(prepared, 'balanced', bandsAt(point.band));
    picks.forEach((i, r) => (perRow[r]! += prepared[r]!.score[i]! / 10));
  }
  return { quality: sum / 10, perRow };
}

/** Fewer calibration prompts than this scored for the best single model get `DEFAULT_BANDS`. */
export const MIN_CALIBRATION_PROMPTS = 20;

/**
 * The bands of a group that could not be calibrated: under the `ratio` rule Balanced takes a
 * cheaper model only where it is predicted at least as good as the best single model, Cost
 * where it is predicted within 5% of it.
 */
export const DEFAULT_BANDS = {
  balanced: 1.0,
  cost: 0.95,
  qualityMargin: 0.1,
  rule: 'ratio',
} as const;

const DEFAULT_BANDS_NOTE =
  "conservative default bands (ratio rule: Balanced 1, Cost 0.95 × the best single model's predicted quality)";

export interface CalibratedBands {
  bands: {
    balanced: number;
    cost: number;
    qualityMargin: number;
    rule: BandRule;
    qualityHolds?: boolean;
  };
  report: Record<string, unknown>;
}

/**
 * The same calibration for predictions from any model family (heads give prices and lengths);
 * `keyOf`, the group's near-copy key where the caller has it (a cross-fit's `foldKey`), spares
 * `halvesOf` finding the groups again (0.7-1.0 s on 12,000 prompts, at each call).
 */
export function calibrateBandsFromScores(
  rows: ScoredRow[],
  heads: ModelHead[],
  bestSingle: string,
  targets: BandTargets,
  rule: BandRule = 'tradeoff-margin',
  keyOf?: (prompt: string) => string,
): CalibratedBands {
  const byName = new Map(heads.map((h) => [h.name, h]));
  const scored = rows.filter((r) => r.predicted.size > 0 && r.row.scores[bestSingle] !== undefined);
  // With one model every band routes alike, so the search would return its widest band (−2),
  // which charges the most for cost: a deployment added beside it later (scored at the unknown
  // default) would take Balanced and Cost on price alone. Nothing was measured: the defaults.
  if (new Set(heads.map((h) => h.name)).size < 2)
    return {
      bands: { ...DEFAULT_BANDS },
      report: { note: `one model, ${bestSingle}: nothing to route between; ${DEFAULT_BANDS_NOTE}` },
    };
  if (scored.length < MIN_CALIBRATION_PROMPTS)
    return {
      bands: { ...DEFAULT_BANDS },
      report: {
        note: `too few calibration prompts (${scored.length} scored for ${bestSingle}, the best single model; at least ${MIN_CALIBRATION_PROMPTS} needed); ${DEFAULT_BANDS_NOTE}`,
      },
    };
  const bestQuality =
    scored.reduce((a, r) => a + (r.row.scores[bestSingle] ?? 0), 0) / scored.length;
  const z = targets.confidenceZ ?? 0;
  const prepared = prepareRows(scored, byName, bestSingle);
  // Quality mode: the margin that maximises realised quality (ties → the larger, safer margin).
  // It is kept on the scale serving compares on, predictions ÷ the best single model's mean, so
  // here, on raw predictions, it counts `bestQuality` times as much. Found first: the
  // `tradeoff-margin` rule's saving modes use it too.
  let qualityMargin = MARGINS.at(-1)!;
  let bestQ = -Infinity;
  for (const m of [...MARGINS].reverse()) {
    const q = routePrepared(prepared, 'quality', {
      balanced: 1,
      cost: 1,
      qualityMargin: m * bestQuality,
    }).quality;
    if (q > bestQ + 1e-9) {
      bestQ = q;
      qualityMargin = m;
    }
  }
  // Whether Quality mode should leave the best single model at all (see `qualityPays`).
  const held = qualityPays(
    prepared,
    (k) => scored[k]!.row.scores[bestSingle] ?? 0,
    bestQuality,
    halvesOf(
      scored.map((r) => r.row),
      keyOf,
    ),
  );
  const qualityHolds = held.gain <= z * held.se;
  const routed = routeCurve(
    prepared,
    GRID,
    (band) => ({
      balanced: band,
      cost: band,
      rule,
      scale: bestQuality,
      qualityMargin: qualityMargin * bestQuality,
      ...(qualityHolds ? { qualityHolds } : {}),
    }),
    (k) => scored[k]!.row.scores[bestSingle] ?? 0,
  );
  const curve = GRID.map((band, g) => ({
    band,
    quality: routed.quality[g]!,
    cost: routed.cost[g]!,
    lower:
      routed.quality[g]! - z * standardErrorFromSums(scored.length, routed.sum[g]!, routed.sq[g]!),
  }));
  // A band passes when the lower confidence bound of its quality (z standard errors of the paired
  // per-prompt difference to the best single model) clears the target: the picked band is the
  // widest of a noisy curve, so without it the test quality lands below the calibration figure.
  const widest = (ratio: number): number => {
    let chosen = GRID[0]!;
    for (const point of curve) {
      if (point.lower >= ratio * bestQuality) chosen = point.band;
      else break;
    }
    return chosen;
  };
  const balanced = widest(targets.balanced + targets.margin);
  const cost = Math.min(balanced, widest(targets.cost + targets.margin));
  const at = (b: number) => curve.find((p) => p.band === b)!;
  return {
    bands: { balanced, cost, qualityMargin, rule, ...(qualityHolds ? { qualityHolds } : {}) },
    report: {
      rule,
      calibrationPrompts: scored.length,
      bestSingle,
      bestSingleQuality: bestQuality,
      balanced: { band: balanced, quality: at(balanced).quality, cost: at(balanced).cost },
      cost: { band: cost, quality: at(cost).quality, cost: at(cost).cost },
      quality: {
        margin: qualityMargin,
        quality: bestQ,
        heldOutGain: held.gain,
        heldOutGainSe: held.se,
        holds: qualityHolds,
      },
    },
  };
}
