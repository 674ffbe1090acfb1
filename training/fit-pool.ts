// Fitting many logistic heads at once. The training rows are packed once into shared memory; the
// fits (one per head) are shared out between this thread and worker threads, each taking the next
// fit from a shared counter, while this thread blocks until all are done, so callers stay
// synchronous. A fit is the same deterministic function whichever thread runs it: the artefact does
// not depend on the number of threads (a test compares 1 thread with several).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DENSE_SIZE, type Features } from '../src/routing/features.js';
import { lbfgsSteps, type Evaluation } from './lbfgs.js';

/** Rows' features, flattened into shared buffers. */
export interface PackedRows {
  /** Row k's indices are `indices[offsets[k] … offsets[k + 1])`. */
  offsets: Int32Array;
  indices: Int32Array;
  sparseValue: Float64Array;
  /** DENSE_SIZE values per row. */
  dense: Float64Array;
}

/**
 * One head: the rows it is fitted on (by position), their targets, C, its sparse size, start bias
 * and iteration cap (default `FIT_LIMITS.maxIterations`).
 */
export interface FitTask {
  rows: Int32Array;
  targets: Float64Array;
  c: number;
  size: number;
  bias: number;
  maxIterations?: number;
  /**
   * A fixed logit added to each row's (in `rows`' order): the head is fitted as a correction to
   * another head's prediction (`fitOnAnchor`).
   */
  offsets?: Float64Array;
}

function shared<T extends Int32Array | Float64Array>(
  Kind: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new Kind(new SharedArrayBuffer(Math.max(1, length) * Kind.BYTES_PER_ELEMENT));
}

export function packRows(features: Features[]): PackedRows {
  const offsets = shared(Int32Array, features.length + 1);
  let total = 0;
  features.forEach((f, k) => {
    offsets[k] = total;
    total += f.indices.length;
  });
  offsets[features.length] = total;
  const indices = shared(Int32Array, total);
  const sparseValue = shared(Float64Array, features.length);
  const dense = shared(Float64Array, features.length * DENSE_SIZE);
  features.forEach((f, k) => {
    indices.set(f.indices, offsets[k]!);
    sparseValue[k] = f.sparseValue;
    dense.set(f.dense, k * DENSE_SIZE);
  });
  return { offsets, indices, sparseValue, dense };
}

/**
 * When a head fit stops: scikit-learn's defaults for logistic regression (`tol` 1e-4, `max_iter`
 * 100). Until 2026-11-30d fits ran to 1e-5 and 150 iterations; on held-out prompts of the shared
 * files the log-loss of the four heads measured moved by at most 0.00025, for about half the
 * iterations (docs/routing.md, "Training time").
 */
export const FIT_LIMITS = { maxIterations: 100, gradientTolerance: 1e-4 } as const;

/**
 * One head: mean log-loss + ‖w‖² / (2·C·n) (scikit-learn's `C`, scaled by the number of rows),
 * solved with L-BFGS from zero weights and the task's bias to `FIT_LIMITS` (or the task's own
 * iteration cap). Writes the solution (size sparse weights, the dense weights, the bias) into `out`.
 * (`fitBatch` with one task.)
 */
export function fitPacked(p: PackedRows, t: FitTask, out: Float64Array): void {
  fitBatch(p, [t], [out]);
}

/**
 * Heads fitted in lockstep: tasks on the same rows and hash size (every model of a group, say), each
 * solved as `fitPacked` would alone, bit for bit, but evaluated together. Each L-BFGS
 * (`lbfgsSteps`) asks for its next point; one pass over the rows evaluates every pending point,
 * with the heads' weights interleaved (bucket j of every head side by side, as serving's banks
 * are), so a row's indices are read once for all heads and a bucket's weights for all of them
 * share a cache line or two. A head that has converged leaves the pass.
 *
 * The fit works on the hash buckets its rows use, in bucket order: a bucket no row uses has a
 * zero gradient from zero weights, so every L-BFGS step leaves it at zero, and leaving it out
 * changes no sum. The solution is the same, bit for bit, as over all `size` buckets, while each
 * iteration's vector work shrinks to the buckets in use (arenabench's 240 prompts use 10,129 of
 * 2^14, llmrouter's 4,439 prompts 54,394 of 2^16; a calibration fold fewer still).
 */
export function fitBatch(p: PackedRows, tasks: FitTask[], outs: Float64Array[]): void {
  const first = tasks[0]!;
  const n = first.rows.length;
  const size = first.size;
  tasks.forEach((t, h) => {
    if (t.size !== size || !sameRows(t.rows, first.rows))
      throw new Error('fitBatch: the tasks of a batch must share their rows and hash size');
    outs[h]!.fill(0);
    outs[h]![size + DENSE_SIZE] = t.bias;
  });
  if (n === 0) return;
  const compact = compactRows(p, first);
  const used = compact.buckets.length;
  const B = used + DENSE_SIZE;
  const fits = tasks.map((t, h) => {
    const x = new Float64Array(B + 1);
    x[B] = t.bias;
    const steps = lbfgsSteps(
      x,
      { ...FIT_LIMITS, maxIterations: t.maxIterations ?? FIT_LIMITS.maxIterations },
      h,
    );
    return { t, x, steps, next: steps.next() };
  });
  for (;;) {
    const pending = fits.filter((f) => !f.next.done);
    if (pending.length === 0) break;
    const values = evaluate(
      p,
      compact,
      pending.map((f) => f.t),
      pending.map((f) => f.next.value as Evaluation),
    );
    pending.forEach((f, a) => (f.next = f.steps.next(values[a]!)));
  }
  fits.forEach(({ x }, h) => {
    const out = outs[h]!;
    for (let j = 0; j < used; j++) out[compact.buckets[j]!] = x[j]!;
    out.set(x.subarray(used), size);
  });
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

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
function evaluate(
  p: PackedRows,
  compact: { starts: Int32Array; indices: Int32Array; buckets: Int32Array },
  tasks: FitTask[],
  points: Evaluation[],
): Float64Array {
  const { sparseValue, dense } = p;
  const { starts, indices } = compact;
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
        s0 += w[q]!;
        s1 += w[q + 1]!;
        s2 += w[q + 2]!;
        s3 += w[q + 3]!;
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
        s0 += w[q]!;
        s1 += w[q + 1]!;
      }
      sums[h] = s0;
      sums[h + 1] = s1;
      h += 2;
    }
    if (h < H) {
      let s = 0;
      for (let i = from; i < to; i++) s += w[indices[i]! * H + h]!;
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
        grad[q]! += g0;
        grad[q + 1]! += g1;
        grad[q + 2]! += g2;
        grad[q + 3]! += g3;
      }
    }
    h = chunks * 4;
    if (H - h >= 2) {
      const g0 = sums[H + h]!;
      const g1 = sums[H + h + 1]!;
      for (let i = from; i < to; i++) {
        const q = indices[i]! * H + h;
        grad[q]! += g0;
        grad[q + 1]! += g1;
      }
      h += 2;
    }
    if (h < H) {
      const gs = sums[H + h]!;
      for (let i = from; i < to; i++) grad[indices[i]! * H + h]! += gs;
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
 * `indices[starts[k] … starts[k + 1])`, in the packed order.
 */
export function compactRows(
  p: PackedRows,
  t: FitTask,
): { buckets: Int32Array; starts: Int32Array; indices: Int32Array } {
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
  let at = 0;
  for (let k = 0; k < t.rows.length; k++) {
    const r = t.rows[k]!;
    starts[k] = at;
    for (let i = p.offsets[r]!; i < p.offsets[r + 1]!; i++)
      indices[at++] = position[p.indices[i]! & mask]!;
  }
  starts[t.rows.length] = at;
  return { buckets, starts, indices };
}

/** Slots of the shared control array. */
const NEXT = 0;
const DONE = 1;
const FAILED = 2;

export interface FitJob {
  packed: PackedRows;
  tasks: FitTask[];
  /** Task indices fitted together (`fitBatch`), in the order they are taken. */
  batches: number[][];
  outs: Float64Array[];
  control: Int32Array;
}

/** Takes batches from the job's counter until none are left (this thread and every worker). */
export function work(job: FitJob, onFit?: () => void): void {
  for (;;) {
    const i = Atomics.add(job.control, NEXT, 1);
    if (i >= job.batches.length) return;
    const batch = job.batches[i]!;
    try {
      fitBatch(
        job.packed,
        batch.map((t) => job.tasks[t]!),
        batch.map((t) => job.outs[t]!),
      );
    } catch {
      Atomics.store(job.control, FAILED, 1);
    }
    Atomics.add(job.control, DONE, batch.length);
    Atomics.notify(job.control, DONE);
    for (let k = 0; k < batch.length; k++) onFit?.();
  }
}

/**
 * Heads fitted together at most: eight float64 weights of a bucket fill a cache line. */
export const MAX_BATCH = 8;

/**
 * Tasks in batches for `threads` threads: tasks on the same rows and hash size go together, in
 * at most `MAX_BATCH` heads a batch and, while there are fewer, as many batches as threads, of
 * near-equal sizes (nine models on two threads: five and four), so that no thread waits idle.
 */
export function batchesOf(tasks: FitTask[], threads: number): number[][] {
  const groups: number[][] = [];
  tasks.forEach((t, i) => {
    const same = groups.find((g) => {
      const o = tasks[g[0]!]!;
      return o.size === t.size && sameRows(o.rows, t.rows);
    });
    if (same) same.push(i);
    else groups.push([i]);
  });
  return groups.flatMap((g) => {
    const count = Math.min(g.length, Math.max(threads, Math.ceil(g.length / MAX_BATCH)));
    return Array.from({ length: count }, (_, b) =>
      g.slice(Math.floor((b * g.length) / count), Math.floor(((b + 1) * g.length) / count)),
    );
  });
}

let workers: Worker[] | undefined;

/**
 * Threads fitting heads: `MODEL_ROUTER_TRAIN_THREADS` (1 = this thread only), else the machine's
 * cores up to 8. Workers need the compiled `fit-worker.js` next to this file; run from TypeScript
 * sources (the tests) there is none, and every fit runs here.
 */
function pool(): Worker[] {
  if (workers) return workers;
  const fromEnv = Number(process.env.MODEL_ROUTER_TRAIN_THREADS);
  const threads =
    Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : Math.min(8, availableParallelism());
  const file = fileURLToPath(new URL('./fit-worker.js', import.meta.url));
  workers = [];
  if (threads > 1 && existsSync(file))
    for (let i = 1; i < threads; i++) {
      const w = new Worker(file);
      w.unref();
      workers.push(w);
    }
  return workers;
}

/** Fits every task; returns each solution (size sparse weights, dense weights, bias). */
export function fitAll(packed: PackedRows, tasks: FitTask[], onFit?: () => void): Float64Array[] {
  const outs = tasks.map((t) => shared(Float64Array, t.size + DENSE_SIZE + 1));
  const control = shared(Int32Array, 3);
  const threads = tasks.length > 1 ? pool() : [];
  const batches = batchesOf(tasks, threads.length + 1);
  const job: FitJob = { packed, tasks, batches, outs, control };
  if (batches.length > 1) for (const w of threads) w.postMessage(job);
  work(job, onFit);
  for (let done = Atomics.load(control, DONE); done < tasks.length;) {
    Atomics.wait(control, DONE, done);
    done = Atomics.load(control, DONE);
  }
  if (Atomics.load(control, FAILED)) throw new Error('a head fit failed in a training thread');
  return outs;
}
