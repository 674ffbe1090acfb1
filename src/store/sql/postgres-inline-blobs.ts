// The inline payloads of stored responses in PostgreSQL (inline-blobs.ts): kept once in
// `response_blobs`, referred to by `response_blob_refs`, shared by every replica. A payload is
// dropped only once no response refers to it, and never under a transaction about to refer to it:
// a writer locks each payload it refers to (FOR SHARE, or the row it inserts) before its
// reference; a drop locks the payload FOR UPDATE first (so it waits for such a writer to commit),
// then checks for references in a fresh snapshot, which sees the writer's.
import type pg from 'pg';
import type { InlineBlob } from '../inline-blobs.js';

export interface BlobTables {
  blobs: string;
  refs: string;
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
    `DELETE FROM ${t.blobs} b WHERE hash = ANY($1)
     AND NOT EXISTS (SELECT 1 FROM ${t.refs} r WHERE r.hash = b.hash)`,
    [locked],
  );
  return res.rowCount ?? 0;
}

/** Response `id` refers to `blobs` now, and no longer to its earlier payloads (dropped when
 * nothing else refers to them). In `client`'s transaction, after the response's write. */
export async function referToBlobs(
  client: pg.ClientBase,
  t: BlobTables,
  id: string,
  blobs: readonly InlineBlob[],
): Promise<void> {
  await holdBlobs(client, t, blobs);
  const earlier = hashes(
    await client.query(`DELETE FROM ${t.refs} WHERE response_id = $1 RETURNING hash`, [id]),
  );
  const kept = new Set(blobs.map((b) => b.hash));
  const now = [...kept];
  if (now.length)
    await client.query(`INSERT INTO ${t.refs} (response_id, hash) SELECT $1, unnest($2::text[])`, [
      id,
      now,
    ]);
  await dropUnreferencedBlobs(
    client,
    t,
    earlier.filter((h) => !kept.has(h)),
  );
}

/** Every payload no response refers to (the retention sweep's, after it deleted responses):
 * how many it dropped. */
export async function sweepUnreferencedBlobs(
  client: pg.ClientBase,
  t: BlobTables,
): Promise<number> {
  const unreferenced = hashes(
    await client.query(
      `SELECT hash FROM ${t.blobs} b WHERE NOT EXISTS (SELECT 1 FROM ${t.refs} r WHERE r.hash = b.hash)`,
    ),
  );
  return dropUnreferencedBlobs(client, t, unreferenced);
}
