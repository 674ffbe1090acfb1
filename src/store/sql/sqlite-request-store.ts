// SQLite request log store (better-sqlite3, WAL): the embedded default. Where the process may run
// on more than one CPU, a file's records are written by a worker thread (sqlite-insert-thread.ts),
// off the event loop; everything else, an in-memory log's records and, on one CPU, every record, on
// the server's own connection (docs/benchmarks.md "The request log off the event loop").
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { RequestLogStore } from '../request-log.js';
import type { RequestRecord } from '../request-record.js';
import {
  COLUMNS,
  MIGRATIONS,
  fromRow,
  receiptFromColumn,
  selectList,
  toRow,
  type Row,
} from './request-columns.js';
import { createSqliteBatchStore } from './sqlite-batch-store.js';
import { createSqliteChatCompletionStore } from './sqlite-chat-completion-store.js';
import { createSqliteConversationObjectStore } from './sqlite-conversation-object-store.js';
import { createSqliteConversationStore } from './sqlite-conversation-store.js';
import { createSqliteFeedbackStore } from './sqlite-feedback-store.js';
import { SqliteInsertThread } from './sqlite-insert-thread.js';
import { SQLITE_UNREFERENCED_BLOB } from './sqlite-inline-blobs.js';
import { spendStatement } from './spend-sql.js';
import { SQLITE_SUMMARY, chargedIndex } from './summary-dialect.js';
import {
  summaryFromRows,
  topGroupsFromRows,
  type GroupRow,
  type PercentileRow,
  type TopGroupRow,
  type TotalsRow,
} from './summary-from-rows.js';
import {
  sqliteGroupsStatement,
  sqlitePercentilesStatement,
  topGroupsStatement,
  totalsStatement,
  type SqlStatement,
} from './summary-sql.js';

export interface SqliteRequestStoreOptions {
  /**
   * Write a file's records in a worker thread. Default: when the process may run on more than one
   * CPU (`os.availableParallelism()`). On one, the thread's copies of the rows cost 18–23% more
   * CPU a request and free nothing, since the thread shares the CPU with the event loop.
   */
  writerThread?: boolean;
}

export function createSqliteRequestStore(
  path: string,
  options: SqliteRequestStoreOptions = {},
): RequestLogStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Prepared once, with the transaction that wraps a batch: making the wrapper for every batch
  // cost 80-90 µs of CPU a flush when requests come a gap apart, a few rows each 250 ms
  // (docs/benchmarks.md "The cold request path").
  let insertMany: ((records: readonly RequestRecord[]) => void) | undefined;
  const insertSql = `INSERT INTO requests (${COLUMNS.join(',')}) VALUES (${COLUMNS.map(() => '?').join(',')})`;
  // A file's records go to the writer thread (an in-memory database is this connection's alone).
  const threaded = path !== ':memory:' && (options.writerThread ?? availableParallelism() > 1);
  const thread = threaded ? new SqliteInsertThread(path, insertSql) : undefined;
  const prepareInsert = () => {
    const insert = db.prepare(insertSql);
    return db.transaction((rs: readonly RequestRecord[]) => {
      for (const r of rs) insert.run(...toRow(r));
    });
  };
  const run = (st: SqlStatement) =>
    db.prepare(st.sql).all(Object.fromEntries(st.params.map((v, i) => [`p${i + 1}`, v])));
  const dialect = { ...SQLITE_SUMMARY, table: 'requests' };
  let migrated = false;
  const store: RequestLogStore = {
    kind: 'sqlite',
    async migrate() {
      if (migrated) return;
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const done = new Set(
        (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
          (r) => r.version,
        ),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        db.transaction(() => {
          db.exec(
            m.sql
              .replaceAll('{bigint}', 'INTEGER')
              .replaceAll('{real}', 'REAL')
              .replaceAll('{json}', 'TEXT')
              .replaceAll('{blob}', 'BLOB')
              .replaceAll('{bool}', 'INTEGER')
              .replaceAll('{charged_index}', chargedIndex(SQLITE_SUMMARY)),
          );
          db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
            m.version,
            new Date().toISOString(),
          );
        })();
      }
      migrated = true;
    },
    async insert(records) {
      if (thread) await thread.insert(records.map(toRow));
      else (insertMany ??= prepareInsert())(records);
    },
    async query(since, until = Number.MAX_SAFE_INTEGER, opts = {}) {
      return (
        db
          .prepare(
            `SELECT ${selectList(opts.text ?? true)} FROM requests WHERE time >= ? AND time < ? ORDER BY time`,
          )
          .all(since, until) as Row[]
      ).map(fromRow);
    },
    async findReceipt(id, tenant) {
      await store.migrate();
      const byDecision = db
        .prepare(
          'SELECT receipt FROM requests WHERE decision_id = ? AND receipt IS NOT NULL LIMIT 1',
        )
        .get(id) as { receipt: unknown } | undefined;
      const row =
        byDecision ??
        (tenant === undefined
          ? undefined
          : (db
              .prepare(
                'SELECT receipt FROM requests WHERE tenant = ? AND request_id = ? AND receipt IS NOT NULL ORDER BY time DESC LIMIT 1',
              )
              .get(tenant, id) as { receipt: unknown } | undefined));
      return receiptFromColumn(row?.receipt);
    },
    async count(since, until) {
      const row = db
        .prepare('SELECT COUNT(*) AS n FROM requests WHERE time >= ? AND time < ?')
        .get(since, until) as { n: number };
      return row.n;
    },
    async spend(q) {
      const row = run(spendStatement(dialect, q))[0] as { cost: number | null } | undefined;
      return Number(row?.cost ?? 0);
    },
    async summarize(q) {
      // One read transaction: the totals and the groups see the same records, even with another
      // process (the router, `report`) writing meanwhile.
      // With a limit, the busiest groups are picked first and only they are aggregated.
      const read = db.transaction(() => {
        const top =
          q.limit === undefined
            ? undefined
            : topGroupsFromRows(run(topGroupsStatement(dialect, q)) as TopGroupRow[]);
        return summaryFromRows(
          q,
          run(totalsStatement(dialect, q))[0] as TotalsRow,
          run(sqliteGroupsStatement(dialect, q, top?.keys)) as GroupRow[],
          run(sqlitePercentilesStatement(dialect, q, top?.keys)) as PercentileRow[],
          top?.groupsTotal,
        );
      });
      return read();
    },
    // Files and batches have their own lifetimes (deleteFile, expiry, `batches.retentionDays`):
    // the request log's retention leaves them.
    async deleteOlderThan(before) {
      db.prepare(
        'DELETE FROM response_events WHERE response_id IN (SELECT id FROM conversations WHERE created_at < ?)',
      ).run(before);
      db.prepare('DELETE FROM response_items WHERE created_at < ?').run(before);
      // Responses' and completions' references to inline payloads go with them, and the payloads
      // nothing refers to.
      db.transaction(() => {
        db.prepare(
          'DELETE FROM response_blob_refs WHERE response_id IN (SELECT id FROM conversations WHERE created_at < ?)',
        ).run(before);
        db.prepare('DELETE FROM conversations WHERE created_at < ?').run(before);
        db.prepare(
          `DELETE FROM chat_completion_blob_refs WHERE EXISTS (SELECT 1 FROM chat_completions c
           WHERE c.owner = chat_completion_blob_refs.owner AND c.id = chat_completion_blob_refs.id AND c.created_at < ?)`,
        ).run(before);
        db.prepare('DELETE FROM chat_completions WHERE created_at < ?').run(before);
        // References whose response or completion is gone another way (deleted by a build before
        // migration 20, which knew nothing of them): their payloads were kept for ever (storage
        // audit F2, 2026-12-06).
        db.prepare(
          `DELETE FROM response_blob_refs WHERE NOT EXISTS
           (SELECT 1 FROM conversations c WHERE c.id = response_blob_refs.response_id)`,
        ).run();
        db.prepare(
          `DELETE FROM chat_completion_blob_refs WHERE NOT EXISTS (SELECT 1 FROM chat_completions c
           WHERE c.owner = chat_completion_blob_refs.owner AND c.id = chat_completion_blob_refs.id)`,
        ).run();
        db.prepare(`DELETE FROM response_blobs WHERE ${SQLITE_UNREFERENCED_BLOB}`).run();
      })();
      // A conversation goes once unused for the retention, with its items.
      db.prepare(
        `DELETE FROM conversation_items WHERE EXISTS (SELECT 1 FROM conversation_objects o
         WHERE o.owner = conversation_items.owner AND o.id = conversation_items.conversation_id AND o.updated_at < ?)`,
      ).run(before);
      db.prepare('DELETE FROM conversation_objects WHERE updated_at < ?').run(before);
      // Feedback goes with the request it rates.
      db.prepare('DELETE FROM feedback WHERE time < ?').run(before);
      return db.prepare('DELETE FROM requests WHERE time < ?').run(before).changes;
    },
    async close() {
      await thread?.close();
      db.close();
    },
    ...createSqliteConversationStore(db, () => store.migrate()),
    ...createSqliteChatCompletionStore(db, () => store.migrate()),
    ...createSqliteConversationObjectStore(db, () => store.migrate()),
    ...createSqliteBatchStore(db, () => store.migrate()),
    ...createSqliteFeedbackStore(db, () => store.migrate()),
  };
  return store;
}
