// A group's quality heads: one logistic head per model over the shared features (soft labels,
// L2; L-BFGS fits shared across threads by fit-pool.ts, or the first AdaGrad epochs), with each
// model's expected output length and prices; and the small helpers the other training steps
// share (a classifier head's settings, moving a head's mean by its bias).
import {
  DENSE_SIZE,
  HASH_BITS,
  MIN_HASH_BITS,
  extractFeatures,
  requestFromPrompt,
  type Features,
} from '../src/routing/features.js';
import type { HeadWeights, ModelHead } from '../src/routing/routing-model.js';
import { weighFeatures } from '../src/routing/term-weights.js';
import { answerTokensFromCost } from './prompt-cost.js';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import type { BandTargets } from './band-targets.js';
import { prng, shuffleInPlace } from '../src/core/prng.js';
import { FIT_LIMITS, fitAll, packRows, type FitTask } from './fit-pool.js';

/** How `trainArtefact` and `trainHeads` fit: seed, optimiser and penalty, calibration, budget, progress. */
export interface TrainOptions {
  seed: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  /** Share of the training prompts held out to calibrate the bands (`calibrationFolds` = 0). */
  calibrationFraction?: number;
  /**
   * Folds for cross-fitted calibration (default 5): heads trained on all folds but one predict the
   * prompts of that fold, so every training prompt is scored out of sample and calibrates the
   * bands. 0 or 1: a single held-out share (`calibrationFraction`) instead.
   */
  calibrationFolds?: number;
  /**
   * `lbfgs` (default: the whole batch, to `FIT_LIMITS`' tolerance, L2 by `c`) or `adagrad` (the first
   * version: a few stochastic epochs; `epochs`, `learningRate`, `l2` apply to it).
   */
  optimizer?: 'adagrad' | 'lbfgs';
  /** Inverse regularisation strength for `lbfgs` (scikit-learn's `C`; default 0.3). */
  c?: number;
  /**
   * Share of each training target taken from the model's mean score on the prompt's source (task),
   * shrunk toward its overall mean: single 0/1 grades are noisy, the task mean is not, and serving
   * sees only the text, so the heads learn which text marks a task where the model is strong.
   */
  sourceSmoothing?: number;
  targets?: BandTargets;
  /**
   * L-BFGS iterations per head fit at most (default `FIT_LIMITS.maxIterations`, 100); the training
   * budget may lower it for a very large file unless it is given.
   */
  maxIterations?: number;
  /** Sparse weights per head (a power of two ≤ 2^16); default `hashSizeFor(prompts)`. */
  hashSize?: number;
  /**
   * Weigh each group's sparse features by an idf learned from its training prompts (tf-idf rows of
   * unit length, `GroupInfo.idf`; default true). False trains on the raw features, as artefacts
   * before 2026-12-03 were.
   */
  idf?: boolean;
  /**
   * With an idf: whether a gated source's own heads (and pair head) may read the raw features
   * instead, where cross-fitting finds its prompts routed better so (`RawFeatures`; default true).
   */
  rawSourceHeads?: boolean;
  version?: string;
  /** The artefact's `createdAt` (`train`: `trainingTime`); default `artefactTime()`, now. */
  createdAt?: string;
  /**
   * Fitting work the run may plan for, in row non-zeros × head fits (`trainingPlans`); default
   * `WORK_BUDGET`. Groups over it are calibrated with fewer folds and head variants.
   */
  workBudget?: number;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Called with each warning as soon as it is known (all of them before fitting starts). */
  onWarning?: (warning: string) => void;
}

/** A data row with its features, computed once and shared by every fit of the row. */
export interface FeaturedRow {
  row: DataRow;
  features: Features;
}

/** Expected output tokens of a model whose rows give no answer length (`out_chars`). */
export const DEFAULT_ANSWER_TOKENS = 300;

/** AdaGrad passes (and progress steps per fit set under L-BFGS). */
export const DEFAULT_EPOCHS = 3;

/**
 * Sparse weights per head for a training set: at least 16 hash buckets per prompt, from 2^14 to
 * 2^16. More prompts bring more distinct n-grams, and shared buckets blur them; on the shared
 * files 2^16 instead of 2^14 raised MMLU APGR 0.674 → 0.684 and cut llmrouter's Balanced cost
 * 0.360 → 0.333 c× (five splits, docs/routing.md), while a file of a few hundred prompts keeps
 * small heads. A fit takes about three times as long at 2^16 as at 2^14 (training threads share them).
 */
export function hashSizeFor(prompts: number): number {
  let bits = MIN_HASH_BITS;
  while (bits < HASH_BITS && 1 << bits < 16 * prompts) bits++;
  return 1 << bits;
}

/**
 * Each row's features, from the request training builds for its prompt (`requestFromPrompt`),
 * of `featureVersion` (an artefact's; by default this build's, as a new artefact's);
 * with `idf`, weighed by it (`weighFeatures`), as a group with that idf's heads read them.
 */
export function featurize(
  rows: DataRow[],
  idf?: Float32Array,
  featureVersion?: number,
): FeaturedRow[] {
  return rows.map((row) => {
    const features = extractFeatures(requestFromPrompt(row.prompt), false, featureVersion);
    return { row, features: idf ? weighFeatures(features, idf) : features };
  });
}

/** Trains quality heads for `models` on `rows` (rows without a model's score skip that model). */
export function trainHeads(
  rows: FeaturedRow[],
  models: string[],
  group: string,
  prices: Map<string, Price>,
  opts: TrainOptions,
  progress?: (epoch: number) => void,
): ModelHead[] {
  // AdaGrad: few, small steps, as more overfit the hashed n-grams (measured in docs/routing.md).
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const lr = opts.learningRate ?? 0.1;
  const l2 = opts.l2 ?? 1e-5;
  const size = opts.hashSize ?? hashSizeFor(rows.length);
  const mask = size - 1;
  const optimizer = opts.optimizer ?? 'lbfgs';
  const heads = models.map((name) => ({
    name,
    bias: 0,
    gBias: 1e-8,
    sparse: new Float64Array(size),
    // AdaGrad's per-weight accumulators; L-BFGS keeps its own state (a 2^16 head would waste 512 KB).
    gSparse: optimizer === 'adagrad' ? new Float64Array(size).fill(1e-8) : new Float64Array(0),
    dense: new Float64Array(DENSE_SIZE),
    gDense: new Float64Array(DENSE_SIZE).fill(1e-8),
  }));
  // Start each bias at the model's mean score (log-odds) so few epochs suffice.
  heads.forEach((h) => {
    const ys = rows.map((r) => r.row.scores[h.name]).filter((y): y is number => y !== undefined);
    const mean = Math.min(
      0.98,
      Math.max(0.02, ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length)),
    );
    h.bias = Math.log(mean / (1 - mean));
  });
  if (optimizer === 'lbfgs') {
    // The progress bar counts `epochs` steps per trainHeads call: spread them over the fits.
    let ticked = 0;
    let fitted = 0;
    const tick = (done: number) => {
      for (const due = Math.floor((done * epochs) / heads.length); ticked < due;) {
        ticked++;
        progress?.(ticked);
      }
    };
    const tasks = heads.map((h) => fitTask(rows, h.name, h.bias, size, opts));
    const solutions = fitAll(packRows(rows.map((r) => r.features)), tasks, () => tick(++fitted));
    heads.forEach((h, i) => {
      const x = solutions[i]!;
      h.sparse.set(x.subarray(0, size));
      h.dense.set(x.subarray(size, size + DENSE_SIZE));
      h.bias = x[size + DENSE_SIZE]!;
    });
    tick(heads.length);
  } else {
    const order = rows.map((_, i) => i);
    const rand = prng(opts.seed);
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, rand);
      for (const k of order) {
        const { row, features: f } = rows[k]!;
        for (const h of heads) {
          const y = row.scores[h.name];
          if (y === undefined) continue;
          let z = h.bias;
          let s = 0;
          for (let i = 0; i < f.indices.length; i++)
            s += h.sparse[f.indices[i]! & mask]! * (f.values?.[i] ?? 1);
          z += s * f.sparseValue;
          for (let i = 0; i < DENSE_SIZE; i++) z += h.dense[i]! * f.dense[i]!;
          const g = 1 / (1 + Math.exp(-z)) - y;
          h.gBias += g * g;
          h.bias -= (lr * g) / Math.sqrt(h.gBias);
          const gs = g * f.sparseValue;
          for (let i = 0; i < f.indices.length; i++) {
            const idx = f.indices[i]! & mask;
            const grad = gs * (f.values?.[i] ?? 1) + l2 * h.sparse[idx]!;
            h.gSparse[idx]! += grad * grad;
            h.sparse[idx]! -= (lr * grad) / Math.sqrt(h.gSparse[idx]!);
          }
          for (let i = 0; i < DENSE_SIZE; i++) {
            const grad = g * f.dense[i]! + l2 * h.dense[i]!;
            h.gDense[i]! += grad * grad;
            h.dense[i]! -= (lr * grad) / Math.sqrt(h.gDense[i]!);
          }
        }
      }
      progress?.(epoch + 1);
    }
  }
  return heads.map((h) => ({
    name: h.name,
    group,
    bias: h.bias,
    sparse: Float32Array.from(h.sparse),
    dense: h.dense,
    ...headStats(rows, h.name, prices),
  }));
}

/** The mean of sigmoid(logit + shift) over `logits`. */
export function meanOfSigmoids(logits: readonly number[], shift: number): number {
  return logits.reduce((a, l) => a + 1 / (1 + Math.exp(-(l + shift))), 0) / logits.length;
}

/** The bias shift (found by bisection in [−20, 20]) that moves the mean of the sigmoids to `target`. */
export function shiftToMean(logits: readonly number[], target: number): number {
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (meanOfSigmoids(logits, mid) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** log(p / (1 − p)), with p kept inside (0, 1). */
export const logit = (p: number) => {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
};

/**
 * What a head knows besides its weights: output length (mean `out_chars`/4, else read back from
 * measured `cost_usd`, else `DEFAULT_ANSWER_TOKENS`), mean score and prices.
 */
export function headStats(
  rows: FeaturedRow[],
  name: string,
  prices: Map<string, Price>,
): Pick<ModelHead, 'expectedOutputTokens' | 'meanScore' | 'prices'> {
  const scored = rows.filter((r) => r.row.scores[name] !== undefined);
  const outs = rows.map((r) => r.row.outChars?.[name]).filter((c): c is number => c !== undefined);
  const price = prices.get(name)!;
  // Without answer lengths, a measured cost says how much the model wrote (a file of costs only).
  const fromCost = outs.length
    ? []
    : rows
        .map((r) => answerTokensFromCost(r.row, name, price))
        .filter((t): t is number => t !== undefined);
  return {
    expectedOutputTokens: outs.length
      ? Math.round(outs.reduce((a, b) => a + b, 0) / outs.length / 4)
      : fromCost.length
        ? Math.round(fromCost.reduce((a, b) => a + b, 0) / fromCost.length)
        : DEFAULT_ANSWER_TOKENS,
    meanScore:
      scored.reduce((a, r) => a + (r.row.scores[name] ?? 0), 0) / Math.max(1, scored.length),
    prices: { inputPer1M: price.inputPer1M, outputPer1M: price.outputPer1M },
  };
}

/** Heads without weights, for pricing picks while calibrating (cost does not depend on weights). */
export function costHeads(
  rows: FeaturedRow[],
  models: string[],
  group: string,
  prices: Map<string, Price>,
): ModelHead[] {
  return models.map((name) => ({
    name,
    group,
    bias: 0,
    sparse: new Float32Array(0),
    dense: new Float64Array(0),
    ...headStats(rows, name, prices),
  }));
}

/** A head's fit: the rows scored for `model` and their (optionally task-smoothed) targets. */
export function fitTask(
  rows: FeaturedRow[],
  model: string,
  bias: number,
  size: number,
  opts: TrainOptions,
): FitTask {
  const positions: number[] = [];
  rows.forEach((r, k) => {
    if (r.row.scores[model] !== undefined) positions.push(k);
  });
  const targets = smoothedTargets(
    positions.map((k) => rows[k]!.row),
    model,
    opts.sourceSmoothing ?? 0,
  );
  return {
    rows: Int32Array.from(positions),
    targets,
    c: opts.c ?? 0.3,
    size,
    bias,
    maxIterations: opts.maxIterations ?? FIT_LIMITS.maxIterations,
  };
}

/** Prompts a source needs before its own mean outweighs the model's overall mean. */
export const SOURCE_PRIOR_PROMPTS = 20;

/** Each row's target for `model`: (1 − s) × its grade + s × the model's shrunk mean on its source. */
export function smoothedTargets(rows: DataRow[], model: string, smoothing: number): Float64Array {
  const ys = Float64Array.from(rows, (r) => r.scores[model]!);
  if (!(smoothing > 0)) return ys;
  const overall = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
  const sums = new Map<string, { sum: number; n: number }>();
  rows.forEach((r, i) => {
    const s = sums.get(r.source) ?? { sum: 0, n: 0 };
    s.sum += ys[i]!;
    s.n++;
    sums.set(r.source, s);
  });
  return ys.map((y, i) => {
    const s = sums.get(rows[i]!.source)!;
    const mean = (s.sum + SOURCE_PRIOR_PROMPTS * overall) / (s.n + SOURCE_PRIOR_PROMPTS);
    return (1 - smoothing) * y + smoothing * mean;
  });
}

/** A fit's solution vector as head weights (`size` sparse, the dense ones, the bias). */
export function unpackWeights(x: Float64Array, size: number): HeadWeights {
  return {
    sparse: Float32Array.from(x.subarray(0, size)),
    dense: Float64Array.from(x.subarray(size, size + DENSE_SIZE)),
    bias: x[size + DENSE_SIZE]!,
  };
}

/** The gate's inverse regularisation (one-vs-rest logistic heads over the shared features). */
export const GATE_C = 1;

/**
 * Iterations per gate head at most. Telling sources apart by their form is an easy fit: the gate
 * heads' cap is what their planned work counts (`trainingPlans`).
 */
export const GATE_MAX_ITERATIONS = 30;
