// A third model family tried (`eval --family mlp`): a small multi-layer perceptron over the same
// features, one hidden layer shared by every model of a group and one output per model. Unlike the
// per-model logistic heads it can learn interactions (maths *and* long, code *and* a question) and
// shares what it learns about a prompt across models. Trained by AdaGrad on the hashed n-grams
// (only the rows a prompt touches are updated) with L2 on every weight, three passes in a seeded
// order (more overfit: the best of six settings tried on llmrouter). Not shipped: it ranked worse
// than the heads (docs/routing.md, "Twelfth round").
import { DENSE_SIZE, HASH_SIZE, type Features } from '../src/routing/features.js';
import { prng, shuffleInPlace } from '../src/core/prng.js';
import type { FeaturedRow } from './heads.js';

export interface MlpModel {
  predict(f: Features, models: readonly string[]): Map<string, number>;
}

export interface MlpOptions {
  hidden?: number;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  seed?: number;
}

export function buildMlp(
  rows: FeaturedRow[],
  models: readonly string[],
  opts: MlpOptions = {},
): MlpModel {
  const H = opts.hidden ?? 32;
  const epochs = opts.epochs ?? 3;
  const lr = opts.learningRate ?? 0.05;
  const l2 = opts.l2 ?? 1e-5;
  const rand = prng(opts.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const M = models.length;
  const D = DENSE_SIZE;
  // Input weights: row i holds the H hidden units' weights for hashed index i (dense inputs after
  // the hashed ones), so a prompt's indices read whole rows.
  const inputs = HASH_SIZE + D;
  const W = Float32Array.from({ length: inputs * H }, () => 0.5 * gauss());
  const Wg = new Float32Array(inputs * H).fill(1e-8);
  const c = new Float64Array(H);
  const cg = new Float64Array(H).fill(1e-8);
  const V = Float64Array.from({ length: M * H }, () => 0.1 * gauss());
  const Vg = new Float64Array(M * H).fill(1e-8);
  const b = new Float64Array(M);
  const bg = new Float64Array(M).fill(1e-8);
  models.forEach((m, k) => {
    const ys = rows.map((r) => r.row.scores[m]).filter((y): y is number => y !== undefined);
    const mean = Math.min(0.99, Math.max(0.01, ys.reduce((a, y) => a + y, 0) / ys.length || 0.5));
    b[k] = Math.log(mean / (1 - mean));
  });
  const z = new Float64Array(H);
  const h = new Float64Array(H);
  const gh = new Float64Array(H);
  const go = new Float64Array(M);
  const forward = (f: Features) => {
    c.forEach((v, j) => (z[j] = v));
    for (const idx of f.indices) {
      const at = idx * H;
      for (let j = 0; j < H; j++) z[j]! += W[at + j]! * f.sparseValue;
    }
    for (let d = 0; d < D; d++) {
      const x = f.dense[d] ?? 0;
      if (x === 0) continue;
      const at = (HASH_SIZE + d) * H;
      for (let j = 0; j < H; j++) z[j]! += W[at + j]! * x;
    }
    for (let j = 0; j < H; j++) h[j] = z[j]! > 0 ? z[j]! : 0;
  };
  const output = (k: number) => {
    let o = b[k]!;
    for (let j = 0; j < H; j++) o += V[k * H + j]! * h[j]!;
    return 1 / (1 + Math.exp(-o));
  };
  const step = (
    w: Float32Array | Float64Array,
    g2: Float32Array | Float64Array,
    i: number,
    g: number,
  ) => {
    const grad = g + l2 * w[i]!;
    g2[i]! += grad * grad;
    w[i]! -= (lr * grad) / Math.sqrt(g2[i]!);
  };
  const order = rows.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, rand);
    for (const r of order) {
      const { row, features: f } = rows[r]!;
      forward(f);
      gh.fill(0);
      let any = false;
      for (let k = 0; k < M; k++) {
        const y = row.scores[models[k]!];
        go[k] = y === undefined ? 0 : output(k) - y;
        if (y === undefined) continue;
        any = true;
        for (let j = 0; j < H; j++) gh[j]! += go[k]! * V[k * H + j]!;
      }
      if (!any) continue;
      for (let k = 0; k < M; k++) {
        if (go[k] === 0) continue;
        step(b, bg, k, go[k]!);
        for (let j = 0; j < H; j++) step(V, Vg, k * H + j, go[k]! * h[j]!);
      }
      for (let j = 0; j < H; j++) if (z[j]! <= 0) gh[j] = 0;
      for (let j = 0; j < H; j++) if (gh[j] !== 0) step(c, cg, j, gh[j]!);
      for (const idx of f.indices) {
        const at = idx * H;
        for (let j = 0; j < H; j++) if (gh[j] !== 0) step(W, Wg, at + j, gh[j]! * f.sparseValue);
      }
      for (let d = 0; d < D; d++) {
        const x = f.dense[d] ?? 0;
        if (x === 0) continue;
        const at = (HASH_SIZE + d) * H;
        for (let j = 0; j < H; j++) if (gh[j] !== 0) step(W, Wg, at + j, gh[j]! * x);
      }
    }
  }
  const index = new Map(models.map((m, k) => [m, k]));
  return {
    predict(f, wanted) {
      forward(f);
      const out = new Map<string, number>();
      for (const m of wanted) {
        const k = index.get(m);
        out.set(m, k === undefined ? 0.5 : output(k));
      }
      return out;
    },
  };
}
