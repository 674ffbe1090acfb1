// Files, batches and batch results as rows, shared by the SQLite and PostgreSQL batch stores: the
// column lists (listing a file never reads its bytes), the status lists and the mapping back to
// the BatchStore types (pg returns BIGINT as a string; NULL becomes an absent field).
import {
  FINISHED_BATCH_STATUSES,
  docFinishedAt,
  type BatchResult,
  type BatchStatus,
  type StoredBatch,
  type StoredFile,
} from '../batch-store.js';

/** A file's metadata columns: everything but `content`. */
export const FILE_COLUMNS =
  'id, owner, purpose, filename, bytes, created_at, expires_at, mime_type';

/** A batch's columns as the BatchStore sees it: its lease stays inside the SQL stores. */
export const BATCH_COLUMNS = 'id, owner, created_at, status, cancel_requested_at, doc';

/** The statuses a runner may claim, as an SQL list (our constants, never input). */
export const UNFINISHED_SQL = sqlList(['validating', 'in_progress', 'finalizing']);

/** The statuses after which nothing changes, as an SQL list. */
export const FINISHED_SQL = sqlList(FINISHED_BATCH_STATUSES);

/** Where each kind of row lives: plain names in SQLite, schema-qualified in PostgreSQL. */
export interface BatchTables {
  files: string;
  batches: string;
  results: string;
  /** The batch webhooks' outbox. */
  deliveries: string;
}

/** A row of FILE_COLUMNS as the driver returns it. */
export type FileRow = Record<
  'id' | 'owner' | 'purpose' | 'filename' | 'bytes' | 'created_at' | 'expires_at' | 'mime_type',
  unknown
>;

/** A row of BATCH_COLUMNS as the driver returns it. */
export type BatchRow = Record<
  'id' | 'owner' | 'created_at' | 'status' | 'cancel_requested_at' | 'doc',
  unknown
>;

/** `putFile`'s parameters in column order, `content` last. */
export function fileParams(f: StoredFile, content: Buffer): unknown[] {
  return [
    f.id,
    f.owner,
    f.purpose,
    f.filename,
    f.bytes,
    f.createdAt,
    f.expiresAt ?? null,
    f.mimeType ?? null,
    content,
  ];
}

/** Numbers from BIGINT columns whatever the driver gives; no `expiresAt` for NULL. */
export function fileFromRow(r: FileRow): StoredFile {
  return {
    id: String(r.id),
    owner: String(r.owner),
    purpose: String(r.purpose),
    filename: String(r.filename),
    bytes: Number(r.bytes),
    createdAt: Number(r.created_at),
    ...(r.expires_at === null ? {} : { expiresAt: Number(r.expires_at) }),
    ...(r.mime_type === null || r.mime_type === undefined ? {} : { mimeType: String(r.mime_type) }),
  };
}

/** `createBatch`'s parameters in column order, then `finished_at`. */
export function batchParams(b: StoredBatch): unknown[] {
  return [b.id, b.owner, b.createdAt, b.status, b.cancelRequestedAt ?? null, b.doc, finishedAt(b)];
}

/** A batch's `finished_at`: NULL while it runs; its doc's time, else its creation, once finished. */
export function finishedAt(b: Pick<StoredBatch, 'status' | 'doc' | 'createdAt'>): number | null {
  if (!FINISHED_BATCH_STATUSES.includes(b.status)) return null;
  return docFinishedAt(b.status, b.doc) ?? b.createdAt;
}

/**
 * `updateBatch`'s `finished_at` (the row's `created_at` standing in when the doc names no time):
 * whether the new status is finished, and the doc's time.
 */
export function finishedAtParams(status: BatchStatus, doc: string): [boolean, number | null] {
  return [FINISHED_BATCH_STATUSES.includes(status), docFinishedAt(status, doc) ?? null];
}

/** A row of the sweep's lookup of finished batches with no `finished_at` yet. */
export type UnstampedRow = Record<'id' | 'created_at' | 'status' | 'doc', unknown>;

/** The `finished_at` of a row that has none yet. */
export function stampOf(r: UnstampedRow): number {
  const at = finishedAt({
    status: r.status as BatchStatus,
    doc: String(r.doc),
    createdAt: Number(r.created_at),
  });
  return at ?? Number(r.created_at);
}

/** Numbers from BIGINT columns whatever the driver gives; no `cancelRequestedAt` for NULL. */
export function batchFromRow(r: BatchRow): StoredBatch {
  return {
    id: String(r.id),
    owner: String(r.owner),
    createdAt: Number(r.created_at),
    status: r.status as BatchStatus,
    ...(r.cancel_requested_at === null ? {} : { cancelRequestedAt: Number(r.cancel_requested_at) }),
    doc: String(r.doc),
  };
}

/**
 * One result per line, the last one written winning: the contract's upsert within a single call
 * (PostgreSQL refuses to update the same row twice in one INSERT … ON CONFLICT).
 */
export function lastPerLine(results: readonly BatchResult[]): BatchResult[] {
  return [...new Map(results.map((r) => [r.line, r])).values()];
}

function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}
