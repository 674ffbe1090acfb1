// The inline payloads of stored responses and stored chat completions in PostgreSQL
// (inline-blobs.ts): kept once in `response_blobs`, referred to by `response_blob_refs` (a
// response) and `chat_completion_blob_refs` (a completion), shared by every replica. A payload is
// dropped only once no response refers to it, and never under a transaction about to refer to it:
// a writer locks each payload it refers to (FOR SHARE, or the row it inserts) before its
// reference; a drop locks the payload FOR UPDATE first (so it waits for such a writer to commit),
// then checks for references in a fresh snapshot, which sees the writer's.
import type pg from 'pg';
import type { InlineBlob } from '../inline-blobs.js';
import { inTransaction } from './pg-transaction.js';

export interface BlobTables {
  blobs: string;
  /** A response's references (response_blob_refs). */
  refs: string;
  /** A stored completion's references (chat_completion_blob_refs). */
  chatRefs: string;
}

/** What refers to payloads: its references' table and its key columns. */
export interface BlobHolder {
  table: string;
  key: Record<string, string>;
}

/** Whether nothing refers to payload row `b`. */
const unreferenced = (t: BlobTables) =>
  `NOT EXISTS (SELECT 1 FROM ${t.refs} r WHERE r.hash = b.hash)
   AND NOT EXISTS (SELECT 1 FROM ${t.chatRefs} c WHERE c.hash = b.hash)`;

/**
 * A transaction that locks payloads, run once more when PostgreSQL broke a deadlock by aborting it
 * (40P01): a writer holds the payloads it refers to while it drops those its rewritten body no
 * longer has, and a drop locks its candidates in key order, so two of them can wait on each other.
 */
export async function inBlobTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  try {
    return await inTransaction(pool, work);
  } catch (err) {
    if ((err as { code?: unknown }).code !== '40P01') throw err;
    return inTransaction(pool, work);
  }
}

const byHash = (a: InlineBlob, b: InlineBlob) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);
const hashes = (res: pg.QueryResult) => (res.rows as { hash: string }[]).map((r) => r.hash);

/** Locks the payloads `blobs`, inserting those not kept (their text crosses the wire only then);
 * in key order, so two writers lock alike. In `client`'s transaction. */
async function holdBlobs(
  client: pg.ClientBase,
  t: BlobTables,
  blobs: readonly InlineBlob[],
): Promise<void> {
  if (blobs.length === 0) return;
  const sorted = [...blobs].sort(byHash);
  const held = new Set(
    hashes(
      await client.query(
        `SELECT hash FROM ${t.blobs} WHERE hash = ANY($1) ORDER BY hash FOR SHARE`,
        [sorted.map((b) => b.hash)],
      ),
    ),
  );
  const missing = sorted.filter((b) => !held.has(b.hash));
  if (missing.length === 0) return;
  // DO UPDATE (to the same key), not DO NOTHING: the row is then locked whoever inserted it.
  await client.query(
    `INSERT INTO ${t.blobs} (hash, body) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (hash) DO UPDATE SET hash = EXCLUDED.hash`,
    [missing.map((b) => b.hash), missing.map((b) => b.json)],
  );
}

/** Drops those of `candidates` no response refers to (see the top of this file). In `client`'s
 * transaction; how many it dropped. */
export async function dropUnreferencedBlobs(
  client: pg.ClientBase,
  t: BlobTables,
  candidates: readonly string[],
): Promise<number> {
  if (candidates.length === 0) return 0;
  const locked = hashes(
    await client.query(
      `SELECT hash FROM ${t.blobs} WHERE hash = ANY($1) ORDER BY hash FOR UPDATE`,
      [candidates],
    ),
  );
  if (locked.length === 0) return 0;
  const res = await client.query(
    `DELETE FROM ${t.blobs} b WHERE hash = ANY($1) AND ${unreferenced(t)}`,
    [locked],
  );
  return res.rowCount ?? 0;
}

/** `holder` refers to `blobs` now, and no longer to its earlier payloads (dropped when nothing
 * else refers to them). In `client`'s transaction, after the holder's write. */
export async function referToBlobs(
  client: pg.ClientBase,
  t: BlobTables,
  holder: BlobHolder,
  blobs: readonly InlineBlob[],
): Promise<void> {
  await holdBlobs(client, t, blobs);
  const columns = Object.keys(holder.key);
  const key = Object.values(holder.key);
  const where = columns.map((c, i) => `${c} = $${i + 1}`).join(' AND ');
  const earlier = hashes(
    await client.query(`DELETE FROM ${holder.table} WHERE ${where} RETURNING hash`, key),
  );
  const kept = new Set(blobs.map((b) => b.hash));
  const now = [...kept];
  if (now.length)
    await client.query(
      `INSERT INTO ${holder.table} (${columns.join(', ')}, hash)
       SELECT ${columns.map((_, i) => `$${i + 1}`).join(', ')}, unnest($${columns.length + 1}::text[])`,
      [...key, now],
    );
  await dropUnreferencedBlobs(
    client,
    t,
    earlier.filter((h) => !kept.has(h)),
  );
}

/** How many payloads are kept, and their JSON texts' size (UTF-8 bytes). */
export async function postgresBlobUsage(
  pool: pg.Pool,
  t: BlobTables,
): Promise<{ blobs: number; bytes: number }> {
  const res = await pool.query(
    `SELECT count(*)::int AS blobs, coalesce(sum(octet_length(body)), 0)::bigint AS bytes FROM ${t.blobs}`,
  );
  const row = res.rows[0] as { blobs: number; bytes: string };
  return { blobs: row.blobs, bytes: Number(row.bytes) };
}

/** Every payload nothing refers to (the retention sweep's, after it deleted responses and
 * completions): how many it dropped. */
export async function sweepUnreferencedBlobs(
  client: pg.ClientBase,
  t: BlobTables,
): Promise<number> {
  const candidates = hashes(
    await client.query(`SELECT hash FROM ${t.blobs} b WHERE ${unreferenced(t)}`),
  );
  return dropUnreferencedBlobs(client, t, candidates);
}
