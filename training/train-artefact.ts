// Training the routing artefact: per data file (group), one logistic quality head per model over
// the shared features (AdaGrad, soft labels, L2), expected output tokens per model, and quality
// bands calibrated on a held-out part of the training prompts. Deterministic for a seed.
import {
  DENSE_SIZE,
  HASH_SIZE,
  extractFeatures,
  requestFromPrompt,
  type Features,
} from '../src/routing/features.js';
import {
  FEATURE_VERSION,
  predictQuality,
  type GroupInfo,
  type ModelHead,
  type RoutingArtefact,
} from '../src/routing/routing-model.js';
import { promptHash, splitByHash, type DataRow, type Price } from './dataset.js';
import {
  calibrateBandsFromScores,
  scoreRows,
  type BandTargets,
  type ScoredRow,
} from './calibrate-bands.js';
import { prng } from '../src/core/prng.js';
import { minimizeLbfgs } from './lbfgs.js';

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
   * `lbfgs` (default: the whole batch, to convergence, L2 by `c`) or `adagrad` (the first
   * version: a few stochastic epochs; `epochs`, `learningRate`, `l2` apply to it).
   */
  optimizer?: 'adagrad' | 'lbfgs';
  /** Inverse regularisation strength for `lbfgs` (scikit-learn's `C`; default 0.3). */
  c?: number;
  targets?: BandTargets;
  version?: string;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface FeaturedRow {
  row: DataRow;
  features: Features;
}

export const DEFAULT_TARGETS: BandTargets = { balanced: 0.99, cost: 0.95, margin: 0.006 };
const DEFAULT_ANSWER_TOKENS = 300;
const DEFAULT_EPOCHS = 3;
const DEFAULT_FOLDS = 5;

export function featurize(rows: DataRow[]): FeaturedRow[] {
  return rows.map((row) => ({ row, features: extractFeatures(requestFromPrompt(row.prompt)) }));
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
  const heads = models.map((name) => ({
    name,
    bias: 0,
    gBias: 1e-8,
    sparse: new Float64Array(HASH_SIZE),
    gSparse: new Float64Array(HASH_SIZE).fill(1e-8),
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
  const optimizer = opts.optimizer ?? 'lbfgs';
  if (optimizer === 'lbfgs') {
    let ticked = 0;
    heads.forEach((h, i) => {
      fitHeadLbfgs(rows, h, opts.c ?? 0.3);
      // The progress bar counts `epochs` steps per fit: spread them over the heads.
      for (const due = Math.floor(((i + 1) * epochs) / heads.length); ticked < due;) {
        ticked++;
        progress?.(ticked);
      }
    });
  } else {
    const order = rows.map((_, i) => i);
    const rand = prng(opts.seed);
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const k of order) {
        const { row, features: f } = rows[k]!;
        for (const h of heads) {
          const y = row.scores[h.name];
          if (y === undefined) continue;
          let z = h.bias;
          let s = 0;
          for (let i = 0; i < f.indices.length; i++) s += h.sparse[f.indices[i]!]!;
          z += s * f.sparseValue;
          for (let i = 0; i < DENSE_SIZE; i++) z += h.dense[i]! * f.dense[i]!;
          const g = 1 / (1 + Math.exp(-z)) - y;
          h.gBias += g * g;
          h.bias -= (lr * g) / Math.sqrt(h.gBias);
          const gs = g * f.sparseValue;
          for (let i = 0; i < f.indices.length; i++) {
            const idx = f.indices[i]!;
            const grad = gs + l2 * h.sparse[idx]!;
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
  return heads.map((h) => {
    const scored = rows.filter((r) => r.row.scores[h.name] !== undefined);
    const outs = rows
      .map((r) => r.row.outChars?.[h.name])
      .filter((c): c is number => c !== undefined);
    const price = prices.get(h.name)!;
    return {
      name: h.name,
      group,
      bias: h.bias,
      sparse: Float32Array.from(h.sparse),
      dense: h.dense,
      expectedOutputTokens: outs.length
        ? Math.round(outs.reduce((a, b) => a + b, 0) / outs.length / 4)
        : DEFAULT_ANSWER_TOKENS,
      meanScore:
        scored.reduce((a, r) => a + (r.row.scores[h.name] ?? 0), 0) / Math.max(1, scored.length),
      prices: { inputPer1M: price.inputPer1M, outputPer1M: price.outputPer1M },
    };
  });
}

/**
 * One head fitted to convergence on the whole batch: mean log-loss + ‖w‖² / (2·C·n) (scikit-learn's
 * `C`, scaled by the number of scored prompts), solved with L-BFGS.
 */
function fitHeadLbfgs(
  rows: FeaturedRow[],
  h: { name: string; bias: number; sparse: Float64Array; dense: Float64Array },
  c: number,
): void {
  const scored = rows.filter((r) => r.row.scores[h.name] !== undefined);
  const n = scored.length;
  if (n === 0) return;
  const lambda = 1 / (c * n);
  const B = HASH_SIZE + DENSE_SIZE;
  const x = new Float64Array(B + 1);
  x.set(h.sparse, 0);
  x.set(h.dense, HASH_SIZE);
  x[B] = h.bias;
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (const { row, features: f } of scored) {
      const y = row.scores[h.name]!;
      let sum = 0;
      for (let i = 0; i < f.indices.length; i++) sum += w[f.indices[i]!]!;
      let z = w[B]! + sum * f.sparseValue;
      for (let i = 0; i < DENSE_SIZE; i++) z += w[HASH_SIZE + i]! * f.dense[i]!;
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y * z;
      const g = (1 / (1 + Math.exp(-z)) - y) / n;
      const gs = g * f.sparseValue;
      for (let i = 0; i < f.indices.length; i++) grad[f.indices[i]!]! += gs;
      for (let i = 0; i < DENSE_SIZE; i++) grad[HASH_SIZE + i]! += g * f.dense[i]!;
      grad[B]! += g;
    }
    let reg = 0;
    for (let i = 0; i < B; i++) {
      reg += w[i]! * w[i]!;
      grad[i]! += lambda * w[i]!;
    }
    return loss / n + (lambda / 2) * reg;
  };
  minimizeLbfgs(objective, x, { maxIterations: 150, gradientTolerance: 1e-5 });
  h.sparse.set(x.subarray(0, HASH_SIZE));
  h.dense.set(x.subarray(HASH_SIZE, B));
  h.bias = x[B]!;
}

export interface TrainResult {
  artefact: RoutingArtefact;
  warnings: string[];
}

/** Models of a group that have a price; the others are left out with a warning. */
export function pricedModels(
  rows: DataRow[],
  prices: Map<string, Price>,
  group: string,
  warnings: string[],
): string[] {
  const models = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))].sort();
  const priced = models.filter((m) => prices.has(m));
  for (const m of models)
    if (!prices.has(m))
      warnings.push(`${group}: model "${m}" has no price in the price file; left out of the pool`);
  return priced;
}

export function trainArtefact(
  rowsByGroup: Map<string, DataRow[]>,
  pricesFor: (group: string) => Map<string, Price>,
  opts: TrainOptions,
): TrainResult {
  const warnings: string[] = [];
  const groups: GroupInfo[] = [];
  const models: ModelHead[] = [];
  const training: Record<string, unknown> = {};
  const epochs = opts.epochs ?? DEFAULT_EPOCHS;
  const folds = opts.calibrationFolds ?? DEFAULT_FOLDS;
  const totalSteps = [...rowsByGroup.values()].length * epochs * (folds >= 2 ? folds + 1 : 2);
  let done = 0;
  const tick = (label: string) => opts.onProgress?.(++done, totalSteps, label);
  for (const [group, rows] of [...rowsByGroup].sort(([a], [b]) => a.localeCompare(b))) {
    const prices = pricesFor(group);
    const pool = pricedModels(rows, prices, group, warnings);
    if (pool.length === 0) {
      warnings.push(`${group}: no priced model; group skipped`);
      continue;
    }
    const featured = featurize(rows);
    const best = bestSingleModel(rows, pool);
    const keyed = featured.map((f) => ({ ...f, prompt: f.row.prompt }));
    const salt = `calibration:${opts.seed}`;
    const outOfSample: ScoredRow[] = [];
    let fitPrompts = 0;
    if (folds >= 2) {
      const foldOf = (prompt: string) => Math.floor(promptHash(prompt, salt) * folds);
      for (let k = 0; k < folds; k++) {
        const fit = keyed.filter((f) => foldOf(f.prompt) !== k);
        const foldHeads = trainHeads(fit, pool, group, prices, opts, () =>
          tick(`${group} (calibration fold ${k + 1}/${folds})`),
        );
        outOfSample.push(
          ...scoreRows(
            keyed.filter((f) => foldOf(f.prompt) === k),
            foldHeads,
          ),
        );
        fitPrompts += fit.length;
      }
      fitPrompts = Math.round(fitPrompts / folds);
    } else {
      const { train: fit, test: calibration } = splitByHash(
        keyed,
        opts.calibrationFraction ?? 0.3,
        salt,
      );
      const fitHeads = trainHeads(fit, pool, group, prices, opts, () =>
        tick(`${group} (calibration fit)`),
      );
      outOfSample.push(...scoreRows(calibration, fitHeads));
      fitPrompts = fit.length;
    }
    const heads = trainHeads(featured, pool, group, prices, opts, () =>
      tick(`${group} (final fit)`),
    );
    const bands = calibrateBandsFromScores(
      outOfSample,
      heads,
      best,
      opts.targets ?? DEFAULT_TARGETS,
    );
    groups.push({
      name: group,
      models: pool,
      bestSingle: best,
      bestMean: heads.find((h) => h.name === best)!.meanScore,
      bands: bands.bands,
    });
    models.push(...heads);
    training[group] = {
      prompts: rows.length,
      calibrationFolds: folds >= 2 ? folds : 0,
      fit: fitPrompts,
      calibration: outOfSample.length,
      ...bands.report,
    };
  }
  const version = opts.version ?? new Date().toISOString().slice(0, 10);
  return {
    artefact: {
      version,
      createdAt: new Date().toISOString(),
      featureVersion: FEATURE_VERSION,
      hashSize: HASH_SIZE,
      seed: opts.seed,
      groups,
      models,
      training,
    },
    warnings,
  };
}

/** The model with the highest mean score (over the prompts that scored it). */
export function bestSingleModel(rows: DataRow[], pool: string[]): string {
  let best = pool[0]!;
  let bestMean = -Infinity;
  for (const m of pool) {
    let sum = 0;
    let n = 0;
    for (const r of rows) {
      const s = r.scores[m];
      if (s !== undefined) {
        sum += s;
        n++;
      }
    }
    const mean = n ? sum / n : -Infinity;
    if (mean > bestMean) {
      bestMean = mean;
      best = m;
    }
  }
  return best;
}

export { predictQuality };
