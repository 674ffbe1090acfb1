// Files and batches (OpenAI's Files and Batch APIs): uploaded files with their bytes, batches with
// the state their runner keeps, and each finished line of a batch. Kept in the request-log store
// (SQLite, or PostgreSQL shared by replicas, which is how one replica's upload is read by another
// and a batch outlives the replica running it); with no request log, in memory (one replica, lost
// on restart). Every read and write names the owner (the caller's tenant): another tenant's file or
// batch does not exist for it. The batch webhooks' outbox lives beside them (webhook-outbox.ts), so a
// batch's final status and its webhook deliveries are written together.
import type { NewWebhookDelivery, WebhookOutbox } from './webhook-outbox.js';

export interface StoredFile {
  /** `file-…` */
  id: string;
  owner: string;
  /**
   * `batch` for uploads, `batch_output` for what a batch wrote, `user_data`, `assistants` or
   * `vision` for files used as model input; other purposes (an Anthropic Message Batch's own
   * files) are not shown by the Files API.
   */
  purpose: string;
  filename: string;
  bytes: number;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds; the file is gone (and swept) after this. */
  expiresAt?: number;
  /** What the bytes are (file-type.ts), set on upload; absent on older rows. */
  mimeType?: string;
}

export interface FileListQuery {
  owner: string;
  purpose?: string;
  /** A file id: list the files after it in `order`. */
  after?: string;
  limit: number;
  /** By creation time (then id). */
  order: 'asc' | 'desc';
}

/** OpenAI's batch statuses. `cancelling` is shown, not stored: see `StoredBatch.cancelRequestedAt`. */
export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

/** Statuses after which nothing changes. */
export const FINISHED_BATCH_STATUSES: readonly BatchStatus[] = [
  'failed',
  'completed',
  'expired',
  'cancelled',
];

/** Where a finished batch's doc says when it finished (epoch ms), by status (batch-object.ts). */
const FINISHED_AT_FIELD: Readonly<Partial<Record<BatchStatus, string>>> = {
  failed: 'failedAt',
  completed: 'completedAt',
  expired: 'expiredAt',
  cancelled: 'cancelledAt',
};

/**
 * When a finished batch finished (epoch ms), as its doc says for its status; undefined while it is
 * unfinished or when the doc names no such time (the stores then take its creation time). The
 * retention sweep (`deleteFinishedBatches`) measures from it.
 */
export function docFinishedAt(status: BatchStatus, doc: string): number | undefined {
  const field = FINISHED_AT_FIELD[status];
  if (field === undefined) return undefined;
  try {
    const at = (JSON.parse(doc) as Record<string, unknown>)[field];
    return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
  } catch {
    return undefined;
  }
}

export interface StoredBatch {
  /** `batch_…` */
  id: string;
  owner: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Written only by the replica holding the batch's lease. */
  status: BatchStatus;
  /**
   * When a client asked to cancel (epoch ms). Kept apart from `status` so the client's cancel and
   * the runner's progress never overwrite each other; the runner reads it when it renews its lease.
   */
  cancelRequestedAt?: number;
  /**
   * The batch as its runner last wrote it (the Batch object's fields and the runner's own), JSON.
   * A finished batch's names when it finished (`docFinishedAt`).
   */
  doc: string;
}

/** One finished line of a batch: the line of its output or error file. */
export interface BatchResult {
  /** The line's index in the input file (0-based, blank lines not counted). */
  line: number;
  /** True for the output file, false for the error file. */
  ok: boolean;
  /** The output line as written to the file (JSON, no newline). */
  json: string;
}

/** A listing across every owner (the admin API's): newest first, each filter optional. */
export interface AllBatchesQuery {
  /** `unfinished`: validating, in_progress or finalizing; `finished`: FINISHED_BATCH_STATUSES. */
  status?: 'unfinished' | 'finished';
  owner?: string;
  /**
   * Any batch's id: the page past its place in the order, whether or not it matches the filters
   * now (a batch that finished between two pages does not end the paging); none when unknown.
   */
  after?: string;
  limit: number;
}

/** A pass of the retention sweep: the finished batches to delete, and the files that go with each. */
export interface FinishedBatchSweep {
  /** Batches that finished at or before this (epoch ms) are deleted; unfinished ones never are. */
  finishedBy: number;
  /** The most batches one call deletes (the oldest finished first), so one pass stays short. */
  limit: number;
  /** The ids of the files a batch takes with it (those it wrote); never throws. */
  filesOf(batch: StoredBatch): readonly string[];
}

export interface BatchLease {
  /** False when another replica holds the batch now (this one must stop working on it). */
  held: boolean;
  cancelRequestedAt?: number;
}

export interface BatchStore extends WebhookOutbox {
  putFile(file: StoredFile, content: Buffer): Promise<void>;
  getFile(id: string, owner: string): Promise<StoredFile | undefined>;
  getFileContent(id: string, owner: string): Promise<Buffer | undefined>;
  listFiles(q: FileListQuery): Promise<StoredFile[]>;
  deleteFile(id: string, owner: string): Promise<boolean>;
  /** The bytes of every file `owner` keeps (uploads and batch outputs, expired ones not yet swept). */
  storedBytes(owner: string): Promise<number>;
  /** Deletes files whose `expiresAt` is at or before `now`; returns how many. */
  deleteExpiredFiles(now: number): Promise<number>;

  createBatch(batch: StoredBatch): Promise<void>;
  getBatch(id: string, owner: string): Promise<StoredBatch | undefined>;
  /** Newest first; `after` is a batch id (the page after it). */
  listBatches(owner: string, after: string | undefined, limit: number): Promise<StoredBatch[]>;
  /** Every owner's batches (operators only: routes for tenants use `listBatches`). */
  listAllBatches(q: AllBatchesQuery): Promise<StoredBatch[]>;
  /** A batch whatever its owner (operators only). */
  findBatch(id: string): Promise<StoredBatch | undefined>;
  /**
   * Deletes a batch with its lease and finished lines (not its files: the caller deletes those it
   * names); false when `owner` has no such batch.
   */
  deleteBatch(id: string, owner: string): Promise<boolean>;
  /**
   * Deletes finished batches past their retention with their leases, finished lines and the
   * files `filesOf` names that belong to the batch's owner, each batch at once (its files, lines
   * and row in one transaction); returns how many. Idempotent, and safe on every replica at once.
   */
  deleteFinishedBatches(sweep: FinishedBatchSweep): Promise<number>;
  /**
   * Records a cancel request (the first one's time is kept) unless the batch is finished; returns
   * the batch as it is after, or undefined when `owner` has no such batch.
   */
  requestCancel(id: string, owner: string, at: number): Promise<StoredBatch | undefined>;
  /**
   * Leases the oldest unfinished batch (validating, in_progress or finalizing) that no replica
   * holds, or whose lease ended before `now`, skipping `exclude`; atomic across replicas.
   */
  claimBatch(
    worker: string,
    now: number,
    leaseUntil: number,
    exclude: readonly string[],
  ): Promise<StoredBatch | undefined>;
  /** Extends the lease if `worker` still holds it. */
  renewLease(id: string, worker: string, leaseUntil: number): Promise<BatchLease>;
  /**
   * Writes status and doc if `worker` still holds the lease; false (nothing written) if not. The
   * final status brings its webhook `deliveries`, recorded in the same transaction (one already
   * recorded is kept as it is).
   */
  updateBatch(
    id: string,
    worker: string,
    status: BatchStatus,
    doc: string,
    deliveries?: readonly NewWebhookDelivery[],
  ): Promise<boolean>;
  /** Gives the lease up (a finished batch, or a replica shutting down). */
  releaseLease(id: string, worker: string): Promise<void>;

  /** Upserts by (batch, line): a line written twice keeps the last. */
  putResults(batchId: string, results: readonly BatchResult[]): Promise<void>;
  /** The lines that have a result. */
  resultLines(batchId: string): Promise<number[]>;
  /** The results of one kind, in line order. */
  readResults(batchId: string, ok: boolean): Promise<string[]>;
  deleteResults(batchId: string): Promise<void>;
}
