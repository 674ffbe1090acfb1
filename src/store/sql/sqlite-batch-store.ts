// Files and batches in the SQLite request log (better-sqlite3). Every write is one statement or
// one transaction, so replicas sharing the file (or the CLI next to the router) never see half of
// one; a claim is a single UPDATE … WHERE id = (SELECT …) RETURNING, atomic across connections.
// The webhook outbox (sqlite-webhook-outbox.ts) shares the connection and its statements.
import type Database from 'better-sqlite3';
import type { BatchStore } from '../batch-store.js';
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
  stampOf,
  type BatchRow,
  type FileRow,
  type UnstampedRow,
} from './batch-rows.js';
import {
  SQLITE_INSERT_DELIVERY,
  createSqliteWebhookOutbox,
  sqliteDeliveryParams,
} from './sqlite-webhook-outbox.js';

/**
 * The BatchStore half of the SQLite request store, on its connection. `ready` applies the schema
 * migrations first (statements are prepared only once their tables exist).
 */
export function createSqliteBatchStore(
  db: Database.Database,
  ready: () => Promise<void>,
): BatchStore {
  const statements = new Map<string, Database.Statement>();
  const sql = async (text: string) => {
    await ready();
    let st = statements.get(text);
    if (!st) statements.set(text, (st = db.prepare(text)));
    return st;
  };
  // The row at `after` (same filters), then the rows past it; none when `after` is unknown.
  const cursor = (cmp: '<' | '>', table: string, filter: string) =>
    `AND (created_at, id) ${cmp} (SELECT created_at, id FROM ${table} WHERE id = @after AND ${filter})`;
  const store: BatchStore = {
    ...createSqliteWebhookOutbox(db, sql),
    async putFile(file, content) {
      (
        await sql(`INSERT INTO files (${FILE_COLUMNS}, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      ).run(...fileParams(file, content));
    },
    async getFile(id, owner) {
      const row = (await sql(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ? AND owner = ?`)).get(
        id,
        owner,
      ) as FileRow | undefined;
      return row && fileFromRow(row);
    },
    async getFileContent(id, owner) {
      const row = (await sql('SELECT content FROM files WHERE id = ? AND owner = ?')).get(
        id,
        owner,
      ) as { content: Buffer } | undefined;
      return row?.content;
    },
    async listFiles(q) {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const filter = 'owner = @owner AND (@purpose IS NULL OR purpose = @purpose)';
      const st = await sql(
        `SELECT ${FILE_COLUMNS} FROM files WHERE ${filter}
         ${q.after === undefined ? '' : cursor(q.order === 'asc' ? '>' : '<', 'files', filter)}
         ORDER BY created_at ${dir}, id ${dir} LIMIT @limit`,
      );
      const rows = st.all({
        owner: q.owner,
        purpose: q.purpose ?? null,
        limit: q.limit,
        ...(q.after === undefined ? {} : { after: q.after }),
      }) as FileRow[];
      return rows.map(fileFromRow);
    },
    async deleteFile(id, owner) {
      return (await sql('DELETE FROM files WHERE id = ? AND owner = ?')).run(id, owner).changes > 0;
    },
    async deleteExpiredFiles(now) {
      return (await sql('DELETE FROM files WHERE expires_at <= ?')).run(now).changes;
    },
    async storedBytes(owner) {
      const row = (await sql('SELECT COALESCE(SUM(bytes), 0) AS n FROM files WHERE owner = ?')).get(
        owner,
      ) as { n: number };
      return Number(row.n);
    },

    async createBatch(batch) {
      (
        await sql(
          `INSERT INTO batches (${BATCH_COLUMNS}, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
      ).run(...batchParams(batch));
    },
    async deleteBatch(id, owner) {
      const gone = (await sql('DELETE FROM batches WHERE id = ? AND owner = ?')).run(id, owner);
      if (gone.changes === 0) return false;
      (await sql('DELETE FROM batch_results WHERE batch_id = ?')).run(id);
      return true;
    },
    async getBatch(id, owner) {
      const row = (
        await sql(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ? AND owner = ?`)
      ).get(id, owner) as BatchRow | undefined;
      return row && batchFromRow(row);
    },
    async listBatches(owner, after, limit) {
      const st = await sql(
        `SELECT ${BATCH_COLUMNS} FROM batches WHERE owner = @owner
         ${after === undefined ? '' : cursor('<', 'batches', 'owner = @owner')}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
      );
      const rows = st.all({ owner, limit, ...(after === undefined ? {} : { after }) });
      return (rows as BatchRow[]).map(batchFromRow);
    },
    async listAllBatches(q) {
      const status = { unfinished: UNFINISHED_SQL, finished: FINISHED_SQL };
      const st = await sql(
        `SELECT ${BATCH_COLUMNS} FROM batches WHERE (@owner IS NULL OR owner = @owner)
         ${q.status === undefined ? '' : `AND status IN (${status[q.status]})`}
         ${q.after === undefined ? '' : cursor('<', 'batches', 'TRUE')}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
      );
      const rows = st.all({
        owner: q.owner ?? null,
        limit: q.limit,
        ...(q.after === undefined ? {} : { after: q.after }),
      });
      return (rows as BatchRow[]).map(batchFromRow);
    },
    async findBatch(id) {
      const row = (await sql(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`)).get(id) as
        BatchRow | undefined;
      return row && batchFromRow(row);
    },
    async deleteFinishedBatches(q) {
      // Finished rows with no finish time (written before the column, or by an older replica).
      const unstamped = (
        await sql(
          `SELECT id, created_at, status, doc FROM batches
           WHERE finished_at IS NULL AND status IN (${FINISHED_SQL}) LIMIT ?`,
        )
      ).all(q.limit) as UnstampedRow[];
      const stamp = await sql(
        'UPDATE batches SET finished_at = ? WHERE id = ? AND finished_at IS NULL',
      );
      db.transaction(() => {
        for (const r of unstamped) stamp.run(stampOf(r), r.id);
      }).immediate();
      // Only finished rows have a finish time: the index alone finds them, oldest first.
      const due = (
        (
          await sql(
            `SELECT ${BATCH_COLUMNS} FROM batches
             WHERE finished_at <= ? ORDER BY finished_at LIMIT ?`,
          )
        ).all(q.finishedBy, q.limit) as BatchRow[]
      ).map(batchFromRow);
      const dropFile = await sql('DELETE FROM files WHERE id = ? AND owner = ?');
      const dropResults = await sql('DELETE FROM batch_results WHERE batch_id = ?');
      const dropBatch = await sql(
        `DELETE FROM batches WHERE id = ? AND status IN (${FINISHED_SQL})`,
      );
      let deleted = 0;
      for (const b of due) {
        const files = q.filesOf(b);
        // One short transaction per batch: other writers get the database between two batches.
        deleted += db
          .transaction(() => {
            for (const id of files) dropFile.run(id, b.owner);
            dropResults.run(b.id);
            return dropBatch.run(b.id).changes;
          })
          .immediate();
      }
      return deleted;
    },
    async requestCancel(id, owner, at) {
      const st = await sql(
        `UPDATE batches SET cancel_requested_at = COALESCE(cancel_requested_at, ?)
         WHERE id = ? AND owner = ? AND status NOT IN (${FINISHED_SQL})`,
      );
      st.run(at, id, owner);
      return store.getBatch(id, owner);
    },
    async claimBatch(worker, now, leaseUntil, exclude) {
      const row = (
        await sql(
          `UPDATE batches SET lease_holder = ?, lease_until = ?
           WHERE id = (SELECT id FROM batches WHERE status IN (${UNFINISHED_SQL})
             AND (lease_until IS NULL OR lease_until < ?)
             AND id NOT IN (SELECT value FROM json_each(?))
             ORDER BY created_at, id LIMIT 1)
           RETURNING ${BATCH_COLUMNS}`,
        )
      ).get(worker, leaseUntil, now, JSON.stringify(exclude)) as BatchRow | undefined;
      return row && batchFromRow(row);
    },
    async renewLease(id, worker, leaseUntil) {
      const row = (
        await sql(
          `UPDATE batches SET lease_until = ? WHERE id = ? AND lease_holder = ?
           RETURNING cancel_requested_at`,
        )
      ).get(leaseUntil, id, worker) as { cancel_requested_at: number | null } | undefined;
      if (!row) return { held: false };
      const at = row.cancel_requested_at;
      return { held: true, ...(at === null ? {} : { cancelRequestedAt: at }) };
    },
    async updateBatch(id, worker, status, doc, deliveries = []) {
      const st = await sql(
        `UPDATE batches SET status = ?, doc = ?,
           finished_at = CASE WHEN ? THEN COALESCE(?, created_at) END
         WHERE id = ? AND lease_holder = ?`,
      );
      const [finished, at] = finishedAtParams(status, doc);
      const write = () => st.run(status, doc, finished ? 1 : 0, at, id, worker).changes > 0;
      if (deliveries.length === 0) return write();
      const insert = await sql(SQLITE_INSERT_DELIVERY);
      // One transaction: the final status and its webhook deliveries are written together.
      return db
        .transaction(() => {
          const held = write();
          if (held) for (const d of deliveries) insert.run(...sqliteDeliveryParams(d));
          return held;
        })
        .immediate();
    },
    async releaseLease(id, worker) {
      (
        await sql(
          'UPDATE batches SET lease_holder = NULL, lease_until = NULL WHERE id = ? AND lease_holder = ?',
        )
      ).run(id, worker);
    },

    async putResults(batchId, results) {
      const st = await sql(
        `INSERT INTO batch_results (batch_id, line, ok, json) VALUES (?, ?, ?, ?)
         ON CONFLICT (batch_id, line) DO UPDATE SET ok = excluded.ok, json = excluded.json`,
      );
      // One transaction, one prepared row statement: no bound on the parameters, one fsync.
      db.transaction(() => {
        for (const r of results) st.run(batchId, r.line, r.ok ? 1 : 0, r.json);
      }).immediate();
    },
    async resultLines(batchId) {
      const st = await sql('SELECT line FROM batch_results WHERE batch_id = ? ORDER BY line');
      return st.pluck().all(batchId) as number[];
    },
    async readResults(batchId, ok) {
      const st = await sql(
        'SELECT json FROM batch_results WHERE batch_id = ? AND ok = ? ORDER BY line',
      );
      return st.pluck().all(batchId, ok ? 1 : 0) as string[];
    },
    async deleteResults(batchId) {
      (await sql('DELETE FROM batch_results WHERE batch_id = ?')).run(batchId);
    },
  };
  return store;
}
