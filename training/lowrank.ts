// A fourth model family tried (`eval --family lowrank`): matrix factorisation in the style of
// RouteLLM's MF router. Every model m of a group has a bias b_m and an embedding u_m of rank R;
// a prompt's features x_p are projected by one matrix V shared by all the group's models, and
// score(p, m) = sigmoid(b_m + u_m · (V x_p)). The models share V, so what one model's scores say
// about a kind of prompt informs the others. Fitted by the heads' L-BFGS on the cross-entropy of
// the observed (prompt, model) scores with L2 on U and V; the rank and the L2 strength are chosen
// by the training code on a hold-out of the training prompts (never on test rows), then refitted
// on all of them. Only hashed columns that some training prompt touches get a row of V.
import { DENSE_SIZE, type Features } from '../src/routing/features.js';
import { prng } from '../src/core/prng.js';
import { foldKeys } from './cross-fit.js';
import { splitByHash } from './prompt-hash.js';
import type { FeaturedRow } from './heads.js';
import { minimizeLbfgs } from './lbfgs.js';

export interface LowRankModel {
  predict(f: Features, models: readonly string[]): Map<string, number>;
  /** The rank and L2 strength the fit used (chosen by cross-fitting unless given). */
  rank: number;
  l2: number;
}

export interface LowRankOptions {
  /** Fixed rank; otherwise chosen from `ranks` on a hold-out of the training prompts. */
  rank?: number;
  /** Fixed L2 strength; otherwise chosen from `l2s` likewise. */
  l2?: number;
  ranks?: readonly number[];
  l2s?: readonly number[];
  seed?: number;
  maxIterations?: number;
}

export const LOWRANK_RANKS = [4, 8, 16] as const;
export const LOWRANK_L2S = [1e-3, 1e-2] as const;
const HOLDOUT = 0.3;

/** A prompt's input as (column, value) pairs over the columns the fit knows. */
function sparseInput(f: Features, columns: Map<number, number>): [number[], number[]] {
  const cols: number[] = [];
  const vals: number[] = [];
  f.indices.forEach((idx, k) => {
    const c = columns.get(idx);
    if (c === undefined) return;
    cols.push(c);
    vals.push(f.values ? f.values[k]! : f.sparseValue);
  });
  const base = columns.size;
  for (let d = 0; d < DENSE_SIZE; d++) {
    const x = f.dense[d] ?? 0;
    if (x !== 0) {
      cols.push(base + d);
      vals.push(x);
    }
  }
  return [cols, vals];
}

function validate(rows: FeaturedRow[], models: readonly string[], rank: number, l2: number) {
  if (!models.length) throw new Error('low-rank model: no models to fit');
  if (new Set(models).size !== models.length) throw new Error('low-rank model: duplicate models');
  if (!rows.length) throw new Error('low-rank model: no training rows');
  if (!Number.isInteger(rank) || rank < 1) throw new Error(`low-rank model: bad rank ${rank}`);
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new Error(`low-rank model: bad l2 ${l2}`);
  for (const { row } of rows)
    for (const m of models) {
      const y = row.scores[m];
      if (y !== undefined && !(y >= 0 && y <= 1))
        throw new Error(`low-rank model: score ${y} of ${m} on ${row.id} is outside [0, 1]`);
    }
}

/** Fits one (rank, l2) setting. */
export function fitLowRank(
  rows: FeaturedRow[],
  models: readonly string[],
  rank: number,
  l2: number,
  seed = 1,
  maxIterations = 150,
): LowRankModel {
  validate(rows, models, rank, l2);
  const R = rank;
  const M = models.length;
  const columns = new Map<number, number>();
  for (const { features } of rows)
    for (const idx of features.indices) if (!columns.has(idx)) columns.set(idx, columns.size);
  const C = columns.size + DENSE_SIZE;
  const inputs = rows.map(({ features }) => sparseInput(features, columns));
  const targets = rows.map(({ row }) => models.map((m) => row.scores[m]));
  const observed = targets.reduce((a, ys) => a + ys.filter((y) => y !== undefined).length, 0);
  if (!observed) throw new Error('low-rank model: no row has a score for any model');
  // Layout: b (M), U (M×R, model-major), V (C×R, column-major so a column reads R numbers).
  const offU = M;
  const offV = M + M * R;
  const x = new Float64Array(offV + C * R);
  const rand = prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  models.forEach((_, k) => {
    const ys = targets.map((t) => t[k]).filter((y): y is number => y !== undefined);
    const mean = Math.min(0.99, Math.max(0.01, ys.reduce((a, y) => a + y, 0) / ys.length || 0.5));
    x[k] = Math.log(mean / (1 - mean));
  });
  for (let i = offU; i < x.length; i++) x[i] = 0.1 * gauss();
  const z = new Float64Array(R);
  const gz = new Float64Array(R);
  const loss = (w: Float64Array, grad: Float64Array) => {
    grad.fill(0);
    let value = 0;
    for (let p = 0; p < rows.length; p++) {
      const [cols, vals] = inputs[p]!;
      z.fill(0);
      for (let j = 0; j < cols.length; j++) {
        const at = offV + cols[j]! * R;
        for (let r = 0; r < R; r++) z[r]! += w[at + r]! * vals[j]!;
      }
      gz.fill(0);
      const ys = targets[p]!;
      for (let k = 0; k < M; k++) {
        const y = ys[k];
        if (y === undefined) continue;
        let o = w[k]!;
        for (let r = 0; r < R; r++) o += w[offU + k * R + r]! * z[r]!;
        // Cross-entropy in a numerically stable form: log(1+e^o) − y·o.
        value += (o > 0 ? o + Math.log1p(Math.exp(-o)) : Math.log1p(Math.exp(o))) - y * o;
        const g = 1 / (1 + Math.exp(-o)) - y;
        grad[k]! += g;
        for (let r = 0; r < R; r++) {
          grad[offU + k * R + r]! += g * z[r]!;
          gz[r]! += g * w[offU + k * R + r]!;
        }
      }
      for (let j = 0; j < cols.length; j++) {
        const at = offV + cols[j]! * R;
        for (let r = 0; r < R; r++) grad[at + r]! += gz[r]! * vals[j]!;
      }
    }
    value /= observed;
    for (let i = 0; i < x.length; i++) {
      if (i < offU) {
        grad[i]! /= observed;
        continue;
      }
      grad[i] = grad[i]! / observed + l2 * w[i]!;
      value += 0.5 * l2 * w[i]! * w[i]!;
    }
    return value;
  };
  minimizeLbfgs(loss, x, { maxIterations, gradientTolerance: 1e-6 });
  const index = new Map(models.map((m, k) => [m, k]));
  return {
    rank,
    l2,
    predict(f, wanted) {
      const [cols, vals] = sparseInput(f, columns);
      const zz = new Float64Array(R);
      for (let j = 0; j < cols.length; j++) {
        const at = offV + cols[j]! * R;
        for (let r = 0; r < R; r++) zz[r]! += x[at + r]! * vals[j]!;
      }
      const out = new Map<string, number>();
      for (const m of wanted) {
        const k = index.get(m);
        if (k === undefined) {
          out.set(m, 0.5);
          continue;
        }
        let o = x[k]!;
        for (let r = 0; r < R; r++) o += x[offU + k * R + r]! * zz[r]!;
        out.set(m, 1 / (1 + Math.exp(-o)));
      }
      return out;
    },
  };
}

/** Mean cross-entropy of a model on the observed scores of `rows`. */
function heldOutLoss(model: LowRankModel, rows: FeaturedRow[], models: readonly string[]): number {
  let total = 0;
  let n = 0;
  for (const { row, features } of rows) {
    const scored = models.filter((m) => row.scores[m] !== undefined);
    const p = model.predict(features, scored);
    for (const m of scored) {
      const q = Math.min(1 - 1e-9, Math.max(1e-9, p.get(m)!));
      const y = row.scores[m]!;
      total -= y * Math.log(q) + (1 - y) * Math.log(1 - q);
      n++;
    }
  }
  return n ? total / n : 0;
}

/**
 * The family's model: the (rank, l2) with the lowest held-out cross-entropy on a seeded 30%
 * hold-out of the training prompts, refitted on all of them.
 */
export function buildLowRank(
  rows: FeaturedRow[],
  models: readonly string[],
  opts: LowRankOptions = {},
): LowRankModel {
  const seed = opts.seed ?? 1;
  // A rank above the number of models fits nothing more: U·V has rank at most M either way, and
  // with L2 on both factors the penalty of the best factorisation is the same for any R ≥ M.
  const ranks =
    opts.rank !== undefined
      ? [opts.rank]
      : [...new Set((opts.ranks ?? LOWRANK_RANKS).map((r) => Math.min(r, models.length)))];
  const l2s = opts.l2 !== undefined ? [opts.l2] : (opts.l2s ?? LOWRANK_L2S);
  if (!ranks.length || !l2s.length) throw new Error('low-rank model: nothing to choose from');
  let best = { rank: ranks[0]!, l2: l2s[0]!, loss: Infinity };
  if (ranks.length * l2s.length > 1) {
    // Near-copies on one side (`foldKeys`), so the hold-out does not reward fitting them.
    const foldKey = foldKeys(rows.map((r) => r.row.prompt));
    const { train, test } = splitByHash(
      rows.map((r) => ({ ...r, prompt: foldKey(r.row.prompt) })),
      HOLDOUT,
      `lowrank:${seed}`,
    );
    if (!train.length || !test.length)
      throw new Error('low-rank model: too few training prompts to choose rank and l2');
    for (const rank of ranks)
      for (const l2 of l2s) {
        const m = fitLowRank(train, models, rank, l2, seed, opts.maxIterations);
        const loss = heldOutLoss(m, test, models);
        if (loss < best.loss) best = { rank, l2, loss };
      }
  }
  return fitLowRank(rows, models, best.rank, best.l2, seed, opts.maxIterations);
}
