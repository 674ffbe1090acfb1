// The inline payloads of stored responses and stored chat completions in SQLite (inline-blobs.ts):
// kept once in `response_blobs`, referred to by `response_blob_refs` (a response) and
// `chat_completion_blob_refs` (a completion, by tenant and id). Callers run these inside their
// write's transaction, so a payload and the references to it change together.
import type Database from 'better-sqlite3';
import type { InlineBlob } from '../inline-blobs.js';

/** What refers to payloads: a response or a stored completion, by its key columns. */
export type BlobHolder =
  | { table: 'response_blob_refs'; key: { response_id: string } }
  | { table: 'chat_completion_blob_refs'; key: { owner: string; id: string } };

/** The payloads (rows of response_blobs) nothing refers to. */
export const SQLITE_UNREFERENCED_BLOB = `NOT EXISTS (SELECT 1 FROM response_blob_refs r WHERE r.hash = response_blobs.hash)
  AND NOT EXISTS (SELECT 1 FROM chat_completion_blob_refs c WHERE c.hash = response_blobs.hash)`;

/** Drops those of these payloads nothing refers to any more. */
export function dropUnreferencedBlobs(db: Database.Database, hashes: readonly string[]): void {
  const drop = db.prepare(
    `DELETE FROM response_blobs WHERE hash = ? AND ${SQLITE_UNREFERENCED_BLOB}`,
  );
  for (const hash of hashes) drop.run(hash);
}

/** `holder` now refers to `blobs` (kept once each), and no longer to its earlier payloads. */
export function referToBlobs(
  db: Database.Database,
  holder: BlobHolder,
  blobs: readonly InlineBlob[],
): void {
  const columns = Object.keys(holder.key);
  const key = Object.values(holder.key);
  const where = columns.map((c) => `${c} = ?`).join(' AND ');
  const earlier = db
    .prepare(`SELECT hash FROM ${holder.table} WHERE ${where}`)
    .pluck()
    .all(...key) as string[];
  db.prepare(`DELETE FROM ${holder.table} WHERE ${where}`).run(...key);
  const keep = db.prepare('INSERT OR IGNORE INTO response_blobs (hash, body) VALUES (?, ?)');
  const ref = db.prepare(
    `INSERT OR IGNORE INTO ${holder.table} (${columns.join(', ')}, hash) VALUES (${columns.map(() => '?').join(', ')}, ?)`,
  );
  for (const b of blobs) {
    keep.run(b.hash, b.json);
    ref.run(...key, b.hash);
  }
  dropUnreferencedBlobs(db, earlier);
}

/** How many payloads are kept, and their JSON texts' size (UTF-8 bytes). */
export function sqliteBlobUsage(db: Database.Database): { blobs: number; bytes: number } {
  return db
    .prepare(
      'SELECT count(*) AS blobs, coalesce(sum(length(CAST(body AS BLOB))), 0) AS bytes FROM response_blobs',
    )
    .get() as { blobs: number; bytes: number };
}

/** The kept payloads with these keys, JSON text by key. */
export function lookUpSqliteBlobs(
  db: Database.Database,
  hashes: readonly string[],
): Map<string, string> {
  if (hashes.length === 0) return new Map();
  const rows = db
    .prepare(
      `SELECT hash, body FROM response_blobs WHERE hash IN (${hashes.map(() => '?').join(', ')})`,
    )
    .all(...hashes) as { hash: string; body: string }[];
  return new Map(rows.map((r) => [r.hash, r.body]));
}
