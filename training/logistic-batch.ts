// The objective L-BFGS asks for when several logistic heads are fitted in lockstep on the same
// rows (fit-pool.ts, `fitBatch`): each head's mean log-loss plus its L2 penalty, and the gradient,
// in one pass over the rows compacted to the hash buckets they use.
import { DENSE_SIZE } from '../src/routing/features.js';
import type { Evaluation } from './lbfgs.js';
import type { FitTask, PackedRows } from './fit-pool.js';

/** A row's non-zero dense features (positions). */
const nonZero = new Int32Array(DENSE_SIZE);

/** This thread's interleaved weights and gradients of a batch (grown as needed). */
const lockstep = { w: new Float64Array(0), g: new Float64Array(0), sums: new Float64Array(0) };

/**
 * Each point's objective (returned) and gradient (written into its `grad`), in one pass over the
 * rows. Every component j (the used buckets, then the dense weights, then the bias) of head h sits
 * at `j·H + h`; one head reads its own vectors in place. Per head, every sum is taken in the order
 * of a fit alone (less a zero dense feature's ±0 terms, which change no sum), so each value and
 * gradient is the same to the bit as the straightforward objective's.
 */
export function evaluateBatch(
  p: PackedRows,
  compact: { starts: Int32Array; indices: Int32Array; values: Float64Array; buckets: Int32Array },
  tasks: FitTask[],
  points: Evaluation[],
): Float64Array {
  const { sparseValue, dense } = p;
  const { starts, indices, values: termValues } = compact;
  const rows = tasks[0]!.rows;
  const n = rows.length;
  const H = points.length;
  const used = compact.buckets.length;
  const B = used + DENSE_SIZE;
  const width = (B + 1) * H;
  if (lockstep.w.length < width) {
    lockstep.w = new Float64Array(width);
    lockstep.g = new Float64Array(width);
  }
  if (lockstep.sums.length < 2 * H) lockstep.sums = new Float64Array(2 * H);
  const w = H === 1 ? points[0]!.x : lockstep.w;
  const grad = H === 1 ? points[0]!.grad : lockstep.g;
  if (H > 1)
    for (let h = 0; h < H; h++) {
      const x = points[h]!.x;
      for (let j = 0; j <= B; j++) w[j * H + h] = x[j]!;
    }
  grad.fill(0, 0, width);
  const sums = lockstep.sums;
  const loss = new Float64Array(H);
  const chunks = H >> 2;
  const dense0 = used * H;
  const bias0 = B * H;
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    const from = starts[k]!;
    const to = starts[k + 1]!;
    const sv = sparseValue[r]!;
    const d = r * DENSE_SIZE;
    // Sparse sums, four heads at a time (a bucket's four weights side by side), then two, then one.
    for (let c = 0; c < chunks; c++) {
      const o = c * 4;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = from; i < to; i++) {
        const q = indices[i]! * H + o;
        const v = termValues[i]!;
        s0 += w[q]! * v;
        s1 += w[q + 1]! * v;
        s2 += w[q + 2]! * v;
        s3 += w[q + 3]! * v;
      }
      sums[o] = s0;
      sums[o + 1] = s1;
      sums[o + 2] = s2;
      sums[o + 3] = s3;
    }
    let h = chunks * 4;
    if (H - h >= 2) {
      let s0 = 0;
      let s1 = 0;
      for (let i = from; i < to; i++) {
        const q = indices[i]! * H + h;
        const v = termValues[i]!;
        s0 += w[q]! * v;
        s1 += w[q + 1]! * v;
      }
      sums[h] = s0;
      sums[h + 1] = s1;
      h += 2;
    }
    if (h < H) {
      let s = 0;
      for (let i = from; i < to; i++) s += w[indices[i]! * H + h]! * termValues[i]!;
      sums[h] = s;
    }
    // The row's non-zero dense features (a zero one adds ±0 to z and to its gradient, which
    // changes neither: the gradient starts at +0, and z's sign of zero reaches no result).
    let nz = 0;
    for (let i = 0; i < DENSE_SIZE; i++) if (dense[d + i] !== 0) nonZero[nz++] = i;
    for (h = 0; h < H; h++) {
      const t = tasks[h]!;
      let z = w[bias0 + h]! + sums[h]! * sv + (t.offsets ? t.offsets[k]! : 0);
      for (let j = 0; j < nz; j++) {
        const i = nonZero[j]!;
        z += w[dense0 + i * H + h]! * dense[d + i]!;
      }
      const y = t.targets[k]!;
      // exp(−z) once where both the loss and the sigmoid use it (z > 0).
      let g: number;
      if (z > 0) {
        const e = Math.exp(-z);
        loss[h]! += z + Math.log1p(e) - y * z;
        g = (1 / (1 + e) - y) / n;
      } else {
        loss[h]! += Math.log1p(Math.exp(z)) - y * z;
        g = (1 / (1 + Math.exp(-z)) - y) / n;
      }
      sums[H + h] = g * sv;
      for (let j = 0; j < nz; j++) {
        const i = nonZero[j]!;
        grad[dense0 + i * H + h]! += g * dense[d + i]!;
      }
      grad[bias0 + h]! += g;
    }
    for (let c = 0; c < chunks; c++) {
      const o = c * 4;
      const g0 = sums[H + o]!;
      const g1 = sums[H + o + 1]!;
      const g2 = sums[H + o + 2]!;
      const g3 = sums[H + o + 3]!;
      for (let i = from; i < to; i++) {
        const q = indices[i]! * H + o;
        const v = termValues[i]!;
        grad[q]! += g0 * v;
        grad[q + 1]! += g1 * v;
        grad[q + 2]! += g2 * v;
        grad[q + 3]! += g3 * v;
      }
    }
    h = chunks * 4;
    if (H - h >= 2) {
      const g0 = sums[H + h]!;
      const g1 = sums[H + h + 1]!;
      for (let i = from; i < to; i++) {
        const q = indices[i]! * H + h;
        const v = termValues[i]!;
        grad[q]! += g0 * v;
        grad[q + 1]! += g1 * v;
      }
      h += 2;
    }
    if (h < H) {
      const gs = sums[H + h]!;
      for (let i = from; i < to; i++) grad[indices[i]! * H + h]! += gs * termValues[i]!;
    }
  }
  const values = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    const { x, grad: out } = points[h]!;
    if (H > 1) for (let j = 0; j <= B; j++) out[j] = grad[j * H + h]!;
    const lambda = 1 / (tasks[h]!.c * n);
    let reg = 0;
    for (let i = 0; i < B; i++) {
      reg += x[i]! * x[i]!;
      out[i]! += lambda * x[i]!;
    }
    values[h] = loss[h]! / n + (lambda / 2) * reg;
  }
  return values;
}

/**
 * The task's rows over the buckets they use: `buckets` (ascending) are the hash buckets (index &
 * (size − 1)) any of its rows has; row k's compact indices (positions in `buckets`) are
 * `indices[starts[k] … starts[k + 1])`, in the packed order, with their `values`.
 */
export function compactRows(
  p: PackedRows,
  t: FitTask,
): { buckets: Int32Array; starts: Int32Array; indices: Int32Array; values: Float64Array } {
  const mask = t.size - 1;
  const inUse = new Uint8Array(t.size);
  let total = 0;
  for (let k = 0; k < t.rows.length; k++) {
    const r = t.rows[k]!;
    total += p.offsets[r + 1]! - p.offsets[r]!;
    for (let i = p.offsets[r]!; i < p.offsets[r + 1]!; i++) inUse[p.indices[i]! & mask] = 1;
  }
  const position = new Int32Array(t.size).fill(-1);
  const list: number[] = [];
  for (let b = 0; b < t.size; b++)
    if (inUse[b]) {
      position[b] = list.length;
      list.push(b);
    }
  const buckets = Int32Array.from(list);
  const starts = new Int32Array(t.rows.length + 1);
  const indices = new Int32Array(total);
  const values = new Float64Array(total);
  let at = 0;
  for (let k = 0; k < t.rows.length; k++) {
    const r = t.rows[k]!;
    starts[k] = at;
    for (let i = p.offsets[r]!; i < p.offsets[r + 1]!; i++) {
      values[at] = p.values[i]!;
      indices[at++] = position[p.indices[i]! & mask]!;
    }
  }
  starts[t.rows.length] = at;
  return { buckets, starts, indices, values };
}
