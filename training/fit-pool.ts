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
import { minimizeLbfgs } from './lbfgs.js';

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
 *
 * The fit works on the hash buckets its rows use, in bucket order: a bucket no row uses has a
 * zero gradient from zero weights, so every L-BFGS step leaves it at zero, and leaving it out
 * changes no sum. The solution is the same, bit for bit, as over all `size` buckets, while each
 * iteration's vector work shrinks to the buckets in use (arenabench's 240 prompts use 10,129 of
 * 2^14, llmrouter's 4,439 prompts 54,394 of 2^16; a calibration fold fewer still).
 */
export function fitPacked(p: PackedRows, t: FitTask, out: Float64Array): void {
  const { sparseValue, dense } = p;
  const n = t.rows.length;
  const size = t.size;
  out.fill(0);
  out[size + DENSE_SIZE] = t.bias;
  if (n === 0) return;
  const { buckets, starts, indices } = compactRows(p, t);
  const used = buckets.length;
  const B = used + DENSE_SIZE;
  const lambda = 1 / (t.c * n);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let k = 0; k < n; k++) {
      const r = t.rows[k]!;
      const y = t.targets[k]!;
      const from = starts[k]!;
      const to = starts[k + 1]!;
      let sum = 0;
      for (let i = from; i < to; i++) sum += w[indices[i]!]!;
      let z = w[B]! + sum * sparseValue[r]! + (t.offsets ? t.offsets[k]! : 0);
      const d = r * DENSE_SIZE;
      for (let i = 0; i < DENSE_SIZE; i++) z += w[used + i]! * dense[d + i]!;
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y * z;
      const g = (1 / (1 + Math.exp(-z)) - y) / n;
      const gs = g * sparseValue[r]!;
      for (let i = from; i < to; i++) grad[indices[i]!]! += gs;
      for (let i = 0; i < DENSE_SIZE; i++) grad[used + i]! += g * dense[d + i]!;
      grad[B]! += g;
    }
    let reg = 0;
    for (let i = 0; i < B; i++) {
      reg += w[i]! * w[i]!;
      grad[i]! += lambda * w[i]!;
    }
    return loss / n + (lambda / 2) * reg;
  };
  const x = new Float64Array(B + 1);
  x[B] = t.bias;
  minimizeLbfgs(objective, x, {
    ...FIT_LIMITS,
    maxIterations: t.maxIterations ?? FIT_LIMITS.maxIterations,
  });
  for (let j = 0; j < used; j++) out[buckets[j]!] = x[j]!;
  out.set(x.subarray(used), size);
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
  outs: Float64Array[];
  control: Int32Array;
}

/** Takes fits from the job's counter until none are left (this thread and every worker). */
export function work(job: FitJob, onFit?: () => void): void {
  for (;;) {
    const i = Atomics.add(job.control, NEXT, 1);
    if (i >= job.tasks.length) return;
    try {
      fitPacked(job.packed, job.tasks[i]!, job.outs[i]!);
    } catch {
      Atomics.store(job.control, FAILED, 1);
    }
    Atomics.add(job.control, DONE, 1);
    Atomics.notify(job.control, DONE);
    onFit?.();
  }
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
  const job: FitJob = { packed, tasks, outs, control };
  if (tasks.length > 1) for (const w of pool()) w.postMessage(job);
  work(job, onFit);
  for (let done = Atomics.load(control, DONE); done < tasks.length;) {
    Atomics.wait(control, DONE, done);
    done = Atomics.load(control, DONE);
  }
  if (Atomics.load(control, FAILED)) throw new Error('a head fit failed in a training thread');
  return outs;
}
