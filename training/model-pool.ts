// Which models a group's heads are fitted for and how each stands: the pool (priced, scored on
// enough prompts), the best single model (the reference), each model's strength, and what a
// model scored on part of the prompts gets (its head levelled, a coverage head).
import { type ModelHead } from '../src/routing/routing-model.js';
import { predictQuality } from '../src/routing/predict-quality.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { promptCost } from './prompt-cost.js';
import { FIT_LIMITS, fitAll, packRows, type FitTask } from './fit-pool.js';
import {
  GATE_C,
  GATE_MAX_ITERATIONS,
  logit,
  shiftToMean,
  unpackWeights,
  type FeaturedRow,
} from './heads.js';

/**
 * A model scored on fewer prompts than this (and than half as many as its file's most-scored
 * priced model) is left out of training:
 * a head fitted from scratch on ~200 prompts routed worse than leaving the model out, while
 * `calibrate`'s correction to a known head did better (docs/routing.md, "Eighth round").
 */
export const MIN_SCORED_PROMPTS = 200;

/** How many of `rows` score each model. */
export function scoredCounts(rows: DataRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) for (const m in r.scores) counts.set(m, (counts.get(m) ?? 0) + 1);
  return counts;
}

/**
 * The models of a group training fits: those that have a price and are scored on enough of its
 * prompts; the others are left out with a warning that says what to do. Enough is measured
 * against the most-scored priced model, not the file's rows: in a file whose every model is
 * scored on a part of the prompts (each judged on a different half, say) none would be enough.
 */
export function poolModels(
  rows: DataRow[],
  prices: Map<string, Price>,
  group: string,
  warnings: string[],
): string[] {
  const counts = scoredCounts(rows);
  const widest = Math.max(0, ...[...counts].filter(([m]) => prices.has(m)).map(([, n]) => n));
  const enough = Math.min(MIN_SCORED_PROMPTS, Math.ceil(widest / 2));
  const pool: string[] = [];
  for (const m of [...counts.keys()].sort()) {
    const n = counts.get(m)!;
    if (!prices.has(m))
      warnings.push(
        `${group}: model "${m}" has no price in the price file (none, or null: unknown); left out of the pool`,
      );
    else if (n < enough)
      warnings.push(
        `${group}: model "${m}" is scored on ${n} of ${rows.length} prompts, too few to fit its head with the others (${enough} needed); left out of the pool (add it to a trained artefact with \`model-router calibrate\`, from ~200 scored prompts)`,
      );
    else pool.push(m);
  }
  return pool;
}

/** The best single model is chosen among models scored on at least this share of the most. */
export const BEST_SINGLE_COVERAGE = 0.9;

/** Pool models scored on fewer than `BEST_SINGLE_COVERAGE` of the most-scored one's prompts. */
export function partlyScored(rows: DataRow[], pool: string[]): Set<string> {
  const counts = scoredCounts(rows);
  const widest = Math.max(0, ...pool.map((m) => counts.get(m) ?? 0));
  return new Set(pool.filter((m) => (counts.get(m) ?? 0) < BEST_SINGLE_COVERAGE * widest));
}

/**
 * `heads` with those of `partial` models (`partlyScored`) levelled for how their prompts were
 * chosen. A head fitted on the prompts a model was scored on learns their level; if those were
 * chosen by how they went (a sample of easy ones), the features cannot show it, and the head
 * predicts that level everywhere. The best single model, scored on (nearly) every prompt, shows
 * it: on those prompts its real mean score is above its head's prediction by as much. Each partial
 * head's bias is shifted so that its mean prediction there is the model's mean score less that
 * excess. A random sample, or one task's prompts (which the features do tell apart), stays about
 * where it was. Other heads are returned as they are.
 */
export function levelPartlyScored(
  heads: ModelHead[],
  rows: FeaturedRow[],
  partial: ReadonlySet<string>,
  best: string,
): ModelHead[] {
  const bestHead = heads.find((h) => h.name === best);
  if (!bestHead || !heads.some((h) => partial.has(h.name))) return heads;
  return heads.map((h) => {
    if (!partial.has(h.name)) return h;
    const both = rows.filter(
      (r) => r.row.scores[h.name] !== undefined && r.row.scores[best] !== undefined,
    );
    if (!both.length) return h;
    let target = 0;
    for (const r of both)
      target += r.row.scores[h.name]! - r.row.scores[best]! + predictQuality(bestHead, r.features);
    target = Math.min(0.999, Math.max(0.001, target / both.length));
    const logits = both.map((r) => logit(predictQuality(h, r.features)));
    return { ...h, bias: h.bias + shiftToMean(logits, target) };
  });
}

/**
 * `heads` with a coverage head for each of the `partial` models among them (`coverageTrust`): a
 * logistic head over all of `rows` predicting whether the model is scored on a prompt (C =
 * GATE_C, at most GATE_MAX_ITERATIONS iterations, as the gate's heads), with its mean prediction
 * over the prompts the model is scored on. A model scored on one task's prompts then counts as
 * unknown on the others instead of being predicted there from them.
 */
export function withCoverage(
  heads: ModelHead[],
  rows: FeaturedRow[],
  partial: ReadonlySet<string>,
  size: number,
  maxIterations: number = FIT_LIMITS.maxIterations,
): ModelHead[] {
  const covered = heads.filter((h) => partial.has(h.name));
  if (!covered.length) return heads;
  const all = Int32Array.from(rows.keys());
  const shares = covered.map(
    (h) => rows.reduce((n, r) => n + (r.row.scores[h.name] === undefined ? 0 : 1), 0) / rows.length,
  );
  const tasks: FitTask[] = covered.map((h, i) => {
    const mean = Math.min(0.98, Math.max(0.02, shares[i]!));
    return {
      rows: all,
      targets: Float64Array.from(rows, (r) => (r.row.scores[h.name] === undefined ? 0 : 1)),
      c: GATE_C,
      size,
      bias: Math.log(mean / (1 - mean)),
      maxIterations: Math.min(GATE_MAX_ITERATIONS, maxIterations),
    };
  });
  const solutions = fitAll(packRows(rows.map((r) => r.features)), tasks, () => {});
  return heads.map((h) => {
    const i = covered.indexOf(h);
    if (i < 0) return h;
    const weights = unpackWeights(solutions[i]!, size);
    const own = rows.filter((r) => r.row.scores[h.name] !== undefined);
    const typical =
      own.reduce((a, r) => a + predictQuality(weights, r.features), 0) / Math.max(1, own.length) ||
      shares[i]!;
    return { ...h, coverage: { typical, ...weights } };
  });
}

/**
 * The model with the best mean score among those scored on (nearly) as many prompts as any. Ties
 * (means equal to within rounding) go to the cheaper model, by its mean cost on the prompts that
 * score it (`promptCost`: measured, else list price), as a cost-aware user would pick between two
 * models of the same quality; then, or without `prices`, to the first by name.
 */
export function bestSingleModel(
  rows: DataRow[],
  pool: string[],
  prices?: Map<string, Price>,
): string {
  // The model a router would otherwise always call must answer (nearly) every prompt: a model
  // scored on a few easy ones only would look best and anchor every band on those few.
  const partial = partlyScored(rows, pool);
  const cost = (m: string): number => {
    const price = prices?.get(m);
    if (!price) return Infinity;
    let sum = 0;
    let n = 0;
    for (const r of rows)
      if (r.scores[m] !== undefined) {
        sum += promptCost(r, m, price);
        n++;
      }
    return n ? sum / n : Infinity;
  };
  let best = pool[0]!;
  let bestMean = -Infinity;
  for (const m of [...pool].sort()) {
    if (partial.has(m)) continue;
    const mean = meanScoreOf(rows, m);
    // Equal to within the rounding of sums taken in another order.
    const tied = Math.abs(mean - bestMean) <= 1e-12;
    if ((!tied && mean > bestMean) || (tied && cost(m) < cost(best))) {
      bestMean = mean;
      best = m;
    }
  }
  return best;
}

/** A model's mean score over the rows that score it (−∞ when none does). */
export function meanScoreOf(
  rows: readonly { scores: Record<string, number> }[],
  model: string,
): number {
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    const s = r.scores[model];
    if (s !== undefined) {
      sum += s;
      n++;
    }
  }
  return n ? sum / n : -Infinity;
}

/**
 * Each pool model's strength on average, the heads' `meanScore`: serving takes the strongest
 * candidate as the reference (among the fully scored ones while any is a candidate). A model scored on (nearly) as many prompts as any has its
 * mean score. A model scored on fewer than `BEST_SINGLE_COVERAGE` of that has its mean difference
 * to the best single model on the prompts scored for both, added to the best single model's mean:
 * its mean over its own prompts says as much about which prompts were scored for it (a sample of
 * easy ones, say) as about the model. With no prompt in common it keeps its own mean.
 */
export function modelStrengths(rows: DataRow[], pool: string[], best: string): Map<string, number> {
  const partial = partlyScored(rows, pool);
  const bestMean = meanScoreOf(rows, best);
  const strengths = new Map<string, number>();
  for (const m of pool) {
    if (!partial.has(m)) {
      strengths.set(m, meanScoreOf(rows, m));
      continue;
    }
    let diff = 0;
    let n = 0;
    for (const r of rows) {
      const s = r.scores[m];
      const b = r.scores[best];
      if (s !== undefined && b !== undefined) {
        diff += s - b;
        n++;
      }
    }
    strengths.set(m, n ? bestMean + diff / n : meanScoreOf(rows, m));
  }
  return strengths;
}
