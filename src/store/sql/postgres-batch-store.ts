// Files and batches in the PostgreSQL request log (`pg`), shared by every replica: one replica's
// upload is read by another, and a batch outlives the replica running it. A claim is one
// UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING, atomic across replicas. The
// webhook outbox (postgres-webhook-outbox.ts) shares the pool.
import type pg from 'pg';
import type { BatchStore } from '../batch-store.js';
import { inTransaction } from './pg-transaction.js';
import {
  BATCH_COLUMNS,
  FILE_COLUMNS,
  FINISHED_SQL,
  UNFINISHED_SQL,
  batchFromRow,
  batchParams,
  fileFromRow,
  fileParams,
  finishedAtParams,
  lastPerLine,
  stampOf,
  type BatchRow,
  type BatchTables,
  type FileRow,
  type UnstampedRow,
} from './batch-rows.js';
import { createPostgresWebhookOutbox, insertDeliveries } from './postgres-webhook-outbox.js';

/** Lines per INSERT of `putResults`: bounds one statement's size (its parameters are 4 arrays). */
const RESULTS_PER_STATEMENT = 5_000;

// Ids compare byte-wise, as in SQLite and in memory, whatever the database's collation.
const BY_ID = 'id COLLATE "C"';

/**
 * The BatchStore half of the PostgreSQL request store, on its pool. `ready` applies the schema
 * migrations first; `tables` are the schema-qualified names.
 */
export function createPostgresBatchStore(
  pool: pg.Pool,
  tables: BatchTables,
  ready: () => Promise<void>,
): BatchStore {
  const { files, batches, results, deliveries: outbox } = tables;
  const query = async (text: string, params: unknown[]) => {
    await ready();
    return pool.query(text, params);
  };
  // The row at `after` (same filters), then the rows past it; none when `after` is unknown.
  const cursor = (cmp: '<' | '>', table: string, filter: string, after: string) =>
    `AND (created_at, ${BY_ID}) ${cmp} (SELECT created_at, id FROM ${table} WHERE id = ${after} AND ${filter})`;
  const store: BatchStore = {
    ...createPostgresWebhookOutbox(pool, outbox, ready),
    async putFile(file, content) {
      await query(
        `INSERT INTO ${files} (${FILE_COLUMNS}, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        fileParams(file, content),
      );
    },
    async getFile(id, owner) {
      const res = await query(`SELECT ${FILE_COLUMNS} FROM ${files} WHERE id = $1 AND owner = $2`, [
        id,
        owner,
      ]);
      const row = res.rows[0] as FileRow | undefined;
      return row && fileFromRow(row);
    },
    async getFileContent(id, owner) {
      const res = await query(`SELECT content FROM ${files} WHERE id = $1 AND owner = $2`, [
        id,
        owner,
      ]);
      return (res.rows[0] as { content: Buffer } | undefined)?.content;
    },
    async listFiles(q) {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const filter = 'owner = $1 AND ($2::text IS NULL OR purpose = $2)';
      const after =
        q.after === undefined ? '' : cursor(q.order === 'asc' ? '>' : '<', files, filter, '$4');
      const res = await query(
        `SELECT ${FILE_COLUMNS} FROM ${files} WHERE ${filter} ${after}
         ORDER BY created_at ${dir}, ${BY_ID} ${dir} LIMIT $3`,
        [q.owner, q.purpose ?? null, q.limit, ...(q.after === undefined ? [] : [q.after])],
      );
      return (res.rows as FileRow[]).map(fileFromRow);
    },
    async deleteFile(id, owner) {
      const res = await query(`DELETE FROM ${files} WHERE id = $1 AND owner = $2`, [id, owner]);
      return (res.rowCount ?? 0) > 0;
    },
    async deleteExpiredFiles(now) {
      const res = await query(`DELETE FROM ${files} WHERE expires_at <= $1`, [now]);
      return res.rowCount ?? 0;
    },
    async storedBytes(owner) {
      const res = await query(
        `SELECT COALESCE(SUM(bytes), 0) AS n FROM ${files} WHERE owner = $1`,
        [owner],
      );
      return Number((res.rows[0] as { n: string | number }).n);
    },

    async createBatch(batch) {
      await query(
        `INSERT INTO ${batches} (${BATCH_COLUMNS}, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        batchParams(batch),
      );
    },
    async deleteBatch(id, owner) {
      const gone = await query(`DELETE FROM ${batches} WHERE id = $1 AND owner = $2`, [id, owner]);
      if (!gone.rowCount) return false;
      await query(`DELETE FROM ${results} WHERE batch_id = $1`, [id]);
      return true;
    },
    async getBatch(id, owner) {
      const res = await query(
        `SELECT ${BATCH_COLUMNS} FROM ${batches} WHERE id = $1 AND owner = $2`,
        [id, owner],
      );
      const row = res.rows[0] as BatchRow | undefined;
      return row && batchFromRow(row);
    },
    async listBatches(owner, after, limit) {
      const res = await query(
        `SELECT ${BATCH_COLUMNS} FROM ${batches} WHERE owner = $1
         ${after === undefined ? '' : cursor('<', batches, 'owner = $1', '$3')}
         ORDER BY created_at DESC, ${BY_ID} DESC LIMIT $2`,
        [owner, limit, ...(after === undefined ? [] : [after])],
      );
      return (res.rows as BatchRow[]).map(batchFromRow);
    },
    async listAllBatches(q) {
      const status = { unfinished: UNFINISHED_SQL, finished: FINISHED_SQL };
      const res = await query(
        `SELECT ${BATCH_COLUMNS} FROM ${batches} WHERE ($1::text IS NULL OR owner = $1)
         ${q.status === undefined ? '' : `AND status IN (${status[q.status]})`}
         ${q.after === undefined ? '' : cursor('<', batches, 'TRUE', '$3')}
         ORDER BY created_at DESC, ${BY_ID} DESC LIMIT $2`,
        [q.owner ?? null, q.limit, ...(q.after === undefined ? [] : [q.after])],
      );
      return (res.rows as BatchRow[]).map(batchFromRow);
    },
    async findBatch(id) {
      const res = await query(`SELECT ${BATCH_COLUMNS} FROM ${batches} WHERE id = $1`, [id]);
      const row = res.rows[0] as BatchRow | undefined;
      return row && batchFromRow(row);
    },
    async deleteFinishedBatches(q) {
      // Finished rows with no finish time (written before the column, or by an older replica).
      const unstamped = await query(
        `SELECT id, created_at, status, doc FROM ${batches}
         WHERE finished_at IS NULL AND status IN (${FINISHED_SQL}) LIMIT $1`,
        [q.limit],
      );
      const rows = unstamped.rows as UnstampedRow[];
      if (rows.length > 0)
        await query(
          `UPDATE ${batches} AS b SET finished_at = s.at
           FROM unnest($1::text[], $2::bigint[]) AS s(id, at)
           WHERE b.id = s.id AND b.finished_at IS NULL`,
          [rows.map((r) => r.id), rows.map(stampOf)],
        );
      // Only finished rows have a finish time: the index alone finds them, oldest first.
      const due = await query(
        `SELECT ${BATCH_COLUMNS} FROM ${batches}
         WHERE finished_at <= $1 ORDER BY finished_at LIMIT $2`,
        [q.finishedBy, q.limit],
      );
      let deleted = 0;
      for (const b of (due.rows as BatchRow[]).map(batchFromRow)) {
        const ids = [...q.filesOf(b)];
        // One short transaction per batch: other writers get the tables between two batches.
        deleted += await inTransaction(pool, async (client) => {
          await client.query(`DELETE FROM ${files} WHERE owner = $1 AND id = ANY($2::text[])`, [
            b.owner,
            ids,
          ]);
          await client.query(`DELETE FROM ${results} WHERE batch_id = $1`, [b.id]);
          const gone = await client.query(
            `DELETE FROM ${batches} WHERE id = $1 AND status IN (${FINISHED_SQL})`,
            [b.id],
          );
          return gone.rowCount ?? 0;
        });
      }
      return deleted;
    },
    async requestCancel(id, owner, at) {
      await query(
        `UPDATE ${batches} SET cancel_requested_at = COALESCE(cancel_requested_at, $1)
         WHERE id = $2 AND owner = $3 AND status NOT IN (${FINISHED_SQL})`,
        [at, id, owner],
      );
      return store.getBatch(id, owner);
    },
    async claimBatch(worker, now, leaseUntil, exclude) {
      // SKIP LOCKED: a replica racing for the same row takes the next one instead of waiting and
      // then overwriting this lease; FOR UPDATE rechecks the lease on the row's latest version.
      const res = await query(
        `UPDATE ${batches} SET lease_holder = $1, lease_until = $2
         WHERE id = (SELECT id FROM ${batches} WHERE status IN (${UNFINISHED_SQL})
           AND (lease_until IS NULL OR lease_until < $3) AND NOT (id = ANY($4::text[]))
           ORDER BY created_at, ${BY_ID} LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${BATCH_COLUMNS}`,
        [worker, leaseUntil, now, exclude],
      );
      const row = res.rows[0] as BatchRow | undefined;
      return row && batchFromRow(row);
    },
    async renewLease(id, worker, leaseUntil) {
      const res = await query(
        `UPDATE ${batches} SET lease_until = $1 WHERE id = $2 AND lease_holder = $3
         RETURNING cancel_requested_at`,
        [leaseUntil, id, worker],
      );
      const row = res.rows[0] as { cancel_requested_at: string | null } | undefined;
      if (!row) return { held: false };
      const at = row.cancel_requested_at;
      return { held: true, ...(at === null ? {} : { cancelRequestedAt: Number(at) }) };
    },
    async updateBatch(id, worker, status, doc, deliveries = []) {
      const update = `UPDATE ${batches} SET status = $1, doc = $2,
           finished_at = CASE WHEN $5::boolean THEN COALESCE($6::bigint, created_at) END
         WHERE id = $3 AND lease_holder = $4`;
      const params = [status, doc, id, worker, ...finishedAtParams(status, doc)];
      if (deliveries.length === 0) return ((await query(update, params)).rowCount ?? 0) > 0;
      await ready();
      // One transaction: the final status and its webhook deliveries are written together.
      return inTransaction(pool, async (client) => {
        const held = ((await client.query(update, params)).rowCount ?? 0) > 0;
        if (held) await insertDeliveries(client, outbox, deliveries);
        return held;
      });
    },
    async releaseLease(id, worker) {
      await query(
        `UPDATE ${batches} SET lease_holder = NULL, lease_until = NULL
         WHERE id = $1 AND lease_holder = $2`,
        [id, worker],
      );
    },

    async putResults(batchId, list) {
      const rows = lastPerLine(list);
      if (rows.length === 0) return;
      await ready();
      // One transaction; each statement takes its lines as arrays (4 parameters however many).
      await inTransaction(pool, async (client) => {
        for (let i = 0; i < rows.length; i += RESULTS_PER_STATEMENT) {
          const chunk = rows.slice(i, i + RESULTS_PER_STATEMENT);
          await client.query(
            `INSERT INTO ${results} (batch_id, line, ok, json)
             SELECT $1, * FROM unnest($2::integer[], $3::boolean[], $4::text[])
             ON CONFLICT (batch_id, line) DO UPDATE SET ok = EXCLUDED.ok, json = EXCLUDED.json`,
            [batchId, chunk.map((r) => r.line), chunk.map((r) => r.ok), chunk.map((r) => r.json)],
          );
        }
      });
    },
    async resultLines(batchId) {
      const res = await query(`SELECT line FROM ${results} WHERE batch_id = $1 ORDER BY line`, [
        batchId,
      ]);
      return res.rows.map((r: { line: number }) => r.line);
    },
    async readResults(batchId, ok) {
      const res = await query(
        `SELECT json FROM ${results} WHERE batch_id = $1 AND ok = $2 ORDER BY line`,
        [batchId, ok],
      );
      return res.rows.map((r: { json: string }) => r.json);
    },
    async deleteResults(batchId) {
      await query(`DELETE FROM ${results} WHERE batch_id = $1`, [batchId]);
    },
  };
  return store;
}
