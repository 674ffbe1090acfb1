// A batch as a runner holds it while it runs: its lines, which are left, which wait to be tried
// again, the results not yet written, and how it ends. Loading one reads its input file and, for a
// batch taken over from another replica, the lines that already have a kept result.
import type { BatchResult, BatchStore, StoredBatch } from '../store/batch-store.js';
import { readBatchLines, type BatchInputError, type BatchLine } from './batch-input.js';
import { isNotRunLine } from './batch-line.js';
import type { BatchDoc } from './batch-object.js';
import type { BatchEnding } from './finish-batch.js';

/** A line waiting to be tried again, not before `notBefore` (epoch ms). */
export interface Deferred {
  line: number;
  notBefore: number;
}

export interface ActiveBatch {
  stored: StoredBatch;
  doc: BatchDoc;
  lines: BatchLine[];
  pending: number[];
  deferred: Deferred[];
  attempts: Map<number, number>;
  inFlight: number;
  buffer: BatchResult[];
  /** Set when no new line may start: the batch ends once its lines in flight are back. */
  ending?: BatchEnding;
  /** The lease went to another replica: drop the batch without writing. */
  lost?: boolean;
  /** Writes to the store, one at a time (results before the counts that include them). */
  flushing: Promise<void>;
}

/** A claimed batch with nothing loaded yet. */
export function newActiveBatch(stored: StoredBatch, doc: BatchDoc): ActiveBatch {
  return {
    stored,
    doc,
    lines: [],
    pending: [],
    deferred: [],
    attempts: new Map(),
    inFlight: 0,
    buffer: [],
    flushing: Promise.resolve(),
  };
}

/**
 * Reads `b`'s lines and leaves pending those with no kept result, counting the kept ones (a
 * batch resumed, the unrun ones among its failures too); or the input's problems. `maxRequests`
 * applies to a batch being validated.
 */
export async function loadBatchLines(
  store: BatchStore,
  b: ActiveBatch,
  maxRequests: number,
  now: number,
): Promise<BatchInputError[] | undefined> {
  const { stored, doc } = b;
  const parsed = await readBatchLines(
    store,
    stored.owner,
    doc.inputFileId,
    doc.endpoint,
    stored.status === 'validating' ? maxRequests : Number.MAX_SAFE_INTEGER,
    now,
  );
  if ('errors' in parsed) return parsed.errors;
  b.lines = parsed.lines;
  const done = new Set(await store.resultLines(stored.id));
  if (done.size > 0) {
    const ok = (await store.readResults(stored.id, true)).length;
    doc.requestCounts = { total: b.lines.length, completed: ok, failed: done.size - ok };
    // A batch taken over while it was ending: the unrun lines already kept, counted again.
    const notRun = (await store.readResults(stored.id, false)).filter(isNotRunLine).length;
    if (notRun > 0) doc.notRun = notRun;
    else delete doc.notRun;
  }
  b.pending = b.lines.map((_, i) => i).filter((i) => !done.has(i));
  return undefined;
}

/**
 * Writes the lines `b` kept so far, then its counts (`docToo`: the counts even with no line), one
 * write at a time per batch; `lost` when the lease went to another replica (nothing written).
 */
export function writeKept(
  store: BatchStore,
  worker: string,
  b: ActiveBatch,
  docToo: boolean,
  lost: () => void,
): Promise<void> {
  const next = b.flushing
    .catch(() => {})
    .then(async () => {
      if ((b.buffer.length === 0 && !docToo) || b.lost) return;
      const results = b.buffer.splice(0);
      // The counts and usage as of these results: lines kept while they are written are counted
      // by the next write, so a replica taking the batch over never finds a count with no result.
      const doc = JSON.stringify(b.doc);
      try {
        await store.putResults(b.stored.id, results);
        if (!(await store.updateBatch(b.stored.id, worker, b.stored.status, doc))) lost();
      } catch (err) {
        b.buffer.unshift(...results);
        throw err;
      }
    });
  b.flushing = next;
  return next;
}
