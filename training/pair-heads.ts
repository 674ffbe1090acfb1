// Pair heads: for two models, a head of the difference between them (the strong model's score less
// the weak one's), which on GSM8K ranks prompts better than the difference of the two models' own
// heads (docs/routing.md, "Fifteenth round"). Fitted per gated source (`trainExperts`) or, for a
// two-model file without gated sources, on all its prompts (`fitGroupPair`); kept only where
// cross-fitting finds it routes better than the two heads by more than z standard errors.
import type { Features } from '../src/routing/features.js';
import type { PairWeights } from '../src/routing/routing-model.js';
import { pairedQuality, predictQuality } from '../src/routing/predict-quality.js';
import type { ModelHead } from '../src/routing/routing-model.js';
import { frontierQuality, standardErrorOfMean } from './calibrate-bands.js';
import type { ScoredRow } from './route-prepared.js';
import { FIT_LIMITS, fitAll, packRows, type FitTask } from './fit-pool.js';
import { unpackWeights, type FeaturedRow, type TrainOptions } from './heads.js';
import type { GatedRow } from './source-heads.js';

/**
 * Whether a group tries a pair head of its own: two models and no gated sources (where there
 * are, each source of two models tries its own, `trainExperts`).
 */
export function triesGroupPair(pool: readonly string[], experts: readonly string[]): boolean {
  return pool.length === 2 && experts.length === 0;
}

/**
 * A pair head's fit on the rows `include` picks that are scored for both models: the target is
 * (score(strong) − score(weak) + 1) / 2, with C = `opts.c` (0.3 by default), as a source's heads.
 */
export function pairTask(
  rows: FeaturedRow[],
  include: (k: number) => boolean,
  strong: string,
  weak: string,
  size: number,
  opts: TrainOptions,
): FitTask {
  const positions: number[] = [];
  rows.forEach((r, k) => {
    if (include(k) && r.row.scores[strong] !== undefined && r.row.scores[weak] !== undefined)
      positions.push(k);
  });
  const targets = Float64Array.from(
    positions,
    (k) => (rows[k]!.row.scores[strong]! - rows[k]!.row.scores[weak]! + 1) / 2,
  );
  const mean = targets.reduce((a, b) => a + b, 0) / Math.max(1, targets.length);
  const m = Math.min(0.98, Math.max(0.02, mean));
  return {
    rows: Int32Array.from(positions),
    targets,
    c: opts.c ?? 0.3,
    size,
    bias: Math.log(m / (1 - m)),
    maxIterations: opts.maxIterations ?? FIT_LIMITS.maxIterations,
  };
}

/** A two-model group's pair head, fitted on all its rows. */
export function fitGroupPair(
  rows: FeaturedRow[],
  strong: string,
  weak: string,
  size: number,
  opts: TrainOptions,
): PairWeights {
  const task = pairTask(rows, () => true, strong, weak, size, opts);
  const [x] = fitAll(packRows(rows.map((r) => r.features)), [task], () => {});
  return { strong, weak, ...unpackWeights(x!, size) };
}

/**
 * One row's predictions with the weak model's read from the pair head (`pairedQuality`); as they
 * are where the row has no prediction for either model (a model not scored on it).
 */
export function pairedPredictions(
  predicted: Map<string, number>,
  pair: PairWeights,
  f: Features,
): Map<string, number> {
  const strong = predicted.get(pair.strong);
  if (strong === undefined || !predicted.has(pair.weak)) return predicted;
  const paired = new Map(predicted);
  paired.set(pair.weak, pairedQuality(strong, predictQuality(pair, f)));
  return paired;
}

/** `rows`' predictions with the weak model's read from the pair head (`pairedPredictions`). */
export function withPair(
  rows: ScoredRow[],
  features: FeaturedRow[],
  pair: PairWeights,
): ScoredRow[] {
  const byRow = new Map(features.map((f) => [f.row, f.features]));
  return rows.map((r) => ({
    row: r.row,
    predicted: pairedPredictions(r.predicted, pair, byRow.get(r.row)!),
  }));
}

/** A pair head's verdict on the same rows: frontier quality with it and without, and the rule. */
export interface PairVerdict {
  prompts: number;
  own: number;
  paired: number;
  standardError: number;
  keep: boolean;
}

/**
 * Whether predictions with the pair head (`paired`) route the rows better than without (`own`):
 * frontier quality (`frontierQuality`, APGR-like for two models), kept when the gain is more
 * than z paired standard errors, as a source keeps its own heads.
 */
export function pairVerdict(
  own: ScoredRow[],
  paired: ScoredRow[],
  pricing: ModelHead[],
  best: string,
  z: number,
): PairVerdict {
  const without = frontierQuality(own, pricing, best);
  const withPairHead = frontierQuality(paired, pricing, best);
  const gain = withPairHead.quality - without.quality;
  const se = standardErrorOfMean(
    withPairHead.perRow.length,
    (i) => withPairHead.perRow[i]! - without.perRow[i]!,
  );
  return {
    prompts: own.length,
    own: without.quality,
    paired: withPairHead.quality,
    standardError: se,
    keep: gain > z * se,
  };
}

/**
 * Each gated source's pair head verdict (`pairVerdict`), on the calibration prompts the gate gives
 * it; sources without a pair head, or given fewer than two prompts, have none.
 */
export function comparePairs(
  gatedRows: GatedRow[],
  sources: string[],
  pricing: ModelHead[],
  best: string,
  z: number,
): (PairVerdict & { source: string })[] {
  return sources.flatMap((source) => {
    const own = gatedRows.filter((r) => r.source === source && r.paired.has(source));
    if (own.length < 2) return [];
    const verdict = pairVerdict(
      own.map((r) => ({ row: r.row, predicted: r.own.get(source)! })),
      own.map((r) => ({ row: r.row, predicted: r.paired.get(source)! })),
      pricing,
      best,
      z,
    );
    return [{ source, ...verdict }];
  });
}
