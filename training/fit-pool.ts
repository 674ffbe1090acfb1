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
import { compactRows, evaluateBatch } from './logistic-batch.js';

/** Rows' features, flattened into shared buffers. */
export interface PackedRows {
  /** Row k's indices are `indices[offsets[k] … offsets[k + 1])`. */
  offsets: Int32Array;
  indices: Int32Array;
  /** Each index's own value: 1 for raw features, the tf-idf value for weighed ones. */
  values: Float64Array;
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
  const values = shared(Float64Array, total);
  const sparseValue = shared(Float64Array, features.length);
  const dense = shared(Float64Array, features.length * DENSE_SIZE);
  features.forEach((f, k) => {
    indices.set(f.indices, offsets[k]!);
    if (f.values) values.set(f.values, offsets[k]!);
    else values.fill(1, offsets[k]!, offsets[k]! + f.indices.length);
    sparseValue[k] = f.sparseValue;
    dense.set(f.dense, k * DENSE_SIZE);
  });
  return { offsets, indices, values, sparseValue, dense };
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
    const values = evaluateBatch(
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
