// PostgreSQL request log store (`pg`), for many replicas writing one log.
import pg from 'pg';
import { inTransaction } from './pg-transaction.js';
import type { RequestLogStore } from '../request-log.js';
import { createPostgresBatchStore } from './postgres-batch-store.js';
import { createPostgresChatCompletionStore } from './postgres-chat-completion-store.js';
import { createPostgresConversationObjectStore } from './postgres-conversation-object-store.js';
import { createPostgresConversationStore } from './postgres-conversation-store.js';
import { createPostgresFeedbackStore } from './postgres-feedback-store.js';
import { inBlobTransaction, sweepUnreferencedBlobs } from './postgres-inline-blobs.js';
import {
  COLUMNS,
  MIGRATIONS,
  fromRow,
  qualifyTables,
  receiptFromColumn,
  selectList,
  toRow,
  type Row,
} from './request-columns.js';
import { spendStatement } from './spend-sql.js';
import { POSTGRES_SUMMARY, chargedIndex } from './summary-dialect.js';
import {
  summaryFromRows,
  topGroupsFromRows,
  type GroupRow,
  type TopGroupRow,
  type TotalsRow,
} from './summary-from-rows.js';
import { postgresGroupsStatement, topGroupsStatement, totalsStatement } from './summary-sql.js';

/** Each request-log column's PostgreSQL type (as the migrations make it), for `insert`'s arrays. */
const PG_COLUMN_TYPES: Record<(typeof COLUMNS)[number], string> = {
  time: 'bigint',
  request_id: 'text',
  endpoint: 'text',
  tenant: 'text',
  key_id: 'text',
  router: 'text',
  routing_mode: 'text',
  router_version: 'text',
  decision_id: 'text',
  deployment: 'text',
  served_model: 'text',
  attempts: 'jsonb',
  stream: 'integer',
  prompt_tokens: 'integer',
  cached_tokens: 'integer',
  completion_tokens: 'integer',
  reasoning_tokens: 'integer',
  cost_usd: 'double precision',
  baseline_cost_usd: 'double precision',
  ttft_ms: 'double precision',
  latency_ms: 'double precision',
  routing_micros: 'double precision',
  status: 'integer',
  error_code: 'text',
  region: 'text',
  data_zone: 'text',
  prompt_text: 'text',
  answer_text: 'text',
  cache: 'text',
  end_user: 'text',
  tags: 'text',
  queued_ms: 'double precision',
  multi_turn: 'boolean',
  usage_estimated: 'boolean',
  receipt: 'text',
  overhead_micros: 'double precision',
};

export function createPostgresRequestStore(
  url: string,
  opts: { schema?: string } = {},
): RequestLogStore {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead
  const schema = opts.schema;
  const table = schema ? `"${schema}".requests` : 'requests';
  const migrations = schema ? `"${schema}".schema_migrations` : 'schema_migrations';
  const conversations = schema ? `"${schema}".conversations` : 'conversations';
  const responseEvents = schema ? `"${schema}".response_events` : 'response_events';
  const responseItems = schema ? `"${schema}".response_items` : 'response_items';
  const blobTables = {
    blobs: schema ? `"${schema}".response_blobs` : 'response_blobs',
    refs: schema ? `"${schema}".response_blob_refs` : 'response_blob_refs',
    chatRefs: schema ? `"${schema}".chat_completion_blob_refs` : 'chat_completion_blob_refs',
  };
  const chatCompletions = schema ? `"${schema}".chat_completions` : 'chat_completions';
  const feedback = schema ? `"${schema}".feedback` : 'feedback';
  const conversationObjects = {
    objects: schema ? `"${schema}".conversation_objects` : 'conversation_objects',
    items: schema ? `"${schema}".conversation_items` : 'conversation_items',
  };
  const batchTables = {
    files: schema ? `"${schema}".files` : 'files',
    batches: schema ? `"${schema}".batches` : 'batches',
    results: schema ? `"${schema}".batch_results` : 'batch_results',
    deliveries: schema ? `"${schema}".webhook_deliveries` : 'webhook_deliveries',
  };
  const dialect = { ...POSTGRES_SUMMARY, table };
  // A flush's records as one array a column, unnest()ed into rows: one statement for any batch
  // size, prepared once a connection (named). Built per flush with a placeholder a value, as until
  // 2026-12-07, PostgreSQL parsed and planned a new text each flush (9,216 placeholders for 256
  // records): its CPU a flush is now 0.86× / 0.67× / 0.65× at 4 / 32 / 256 records, the router's
  // unchanged within noise (docs/benchmarks.md). A prepared text a batch size would hold up to
  // 5 MB of server memory each, a connection.
  const insertText = `INSERT INTO ${table} (${COLUMNS.join(',')}) SELECT * FROM unnest(${COLUMNS.map((c, j) => `$${j + 1}::${PG_COLUMN_TYPES[c]}[]`).join(',')})`;
  let migrated: Promise<void> | undefined;
  // Migrated once before the first batch call; a failure (PostgreSQL down) is retried next call.
  const ready = () =>
    (migrated ??= store.migrate().catch((err: unknown) => {
      migrated = undefined;
      throw err;
    }));
  const store: RequestLogStore = {
    kind: 'postgres',
    async migrate() {
      await inTransaction(pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('model-router-migrations'))");
        if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${migrations} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
        );
        const done = new Set(
          (await client.query(`SELECT version FROM ${migrations}`)).rows.map(
            (r: { version: number }) => r.version,
          ),
        );
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          const typed = m.sql
            .replaceAll('{bigint}', 'BIGINT')
            .replaceAll('{real}', 'DOUBLE PRECISION')
            .replaceAll('{json}', 'JSONB')
            .replaceAll('{blob}', 'BYTEA')
            .replaceAll('{bool}', 'BOOLEAN')
            .replaceAll('{charged_index}', chargedIndex(POSTGRES_SUMMARY));
          const sql = schema ? qualifyTables(typed, schema) : typed;
          for (const stmt of sql.split(';')) if (stmt.trim()) await client.query(stmt);
          await client.query(`INSERT INTO ${migrations} (version) VALUES ($1)`, [m.version]);
        }
      });
    },
    async insert(records) {
      if (records.length === 0) return;
      const columns = COLUMNS.map(() => new Array<unknown>(records.length));
      records.forEach((r, i) => toRow(r).forEach((v, j) => (columns[j]![i] = v)));
      await pool.query({ name: 'request-log-insert', text: insertText, values: columns });
    },
    async query(since, until = Number.MAX_SAFE_INTEGER, opts = {}) {
      const res = await pool.query(
        `SELECT ${selectList(opts.text ?? true)} FROM ${table} WHERE time >= $1 AND time < $2 ORDER BY time`,
        [since, until],
      );
      return (res.rows as Row[]).map((row) => fromRow({ ...row, attempts: row.attempts }));
    },
    async findReceipt(id, tenant) {
      await ready();
      const byDecision = await pool.query(
        `SELECT receipt FROM ${table} WHERE decision_id = $1 AND receipt IS NOT NULL LIMIT 1`,
        [id],
      );
      const rows =
        byDecision.rows.length > 0 || tenant === undefined
          ? byDecision.rows
          : (
              await pool.query(
                `SELECT receipt FROM ${table} WHERE tenant = $1 AND request_id = $2 AND receipt IS NOT NULL ORDER BY time DESC LIMIT 1`,
                [tenant, id],
              )
            ).rows;
      return receiptFromColumn((rows[0] as { receipt?: unknown } | undefined)?.receipt);
    },
    async count(since, until) {
      migrated ??= this.migrate();
      await migrated;
      const res = await pool.query(
        `SELECT COUNT(*) AS n FROM ${table} WHERE time >= $1 AND time < $2`,
        [since, until],
      );
      return Number((res.rows[0] as { n: string | number }).n);
    },
    async spend(q) {
      migrated ??= this.migrate();
      await migrated;
      const s = spendStatement(dialect, q);
      const res = await pool.query(s.sql, s.params);
      return Number((res.rows[0] as { cost: string | number | null } | undefined)?.cost ?? 0);
    },
    async summarize(q) {
      migrated ??= this.migrate();
      await migrated;
      const totals = totalsStatement(dialect, q);
      // One snapshot for every statement: the totals and the groups count the same records while
      // other replicas keep writing. With a limit, the busiest groups are picked first and only
      // they are aggregated (their percentiles are what costs).
      return inTransaction(
        pool,
        async (client) => {
          let top: ReturnType<typeof topGroupsFromRows> | undefined;
          if (q.limit !== undefined) {
            const s = topGroupsStatement(dialect, q);
            top = topGroupsFromRows((await client.query(s.sql, s.params)).rows as TopGroupRow[]);
          }
          const groups = postgresGroupsStatement(dialect, q, top?.keys);
          const t = await client.query(totals.sql, totals.params);
          const g = await client.query(groups.sql, groups.params);
          return summaryFromRows(
            q,
            t.rows[0] as TotalsRow,
            g.rows as GroupRow[],
            [],
            top?.groupsTotal,
          );
        },
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      );
    },
    // Files and batches have their own lifetimes (deleteFile, expiry, `batches.retentionDays`):
    // the request log's retention leaves them.
    async deleteOlderThan(before) {
      await pool.query(
        `DELETE FROM ${responseEvents} WHERE response_id IN (SELECT id FROM ${conversations} WHERE created_at < $1)`,
        [before],
      );
      await pool.query(`DELETE FROM ${responseItems} WHERE created_at < $1`, [before]);
      // A response's references to inline payloads go with it, and the payloads none refers to.
      await pool.query(
        `WITH gone AS (DELETE FROM ${conversations} WHERE created_at < $1 RETURNING id)
         DELETE FROM ${blobTables.refs} WHERE response_id IN (SELECT id FROM gone)`,
        [before],
      );
      await pool.query(
        `WITH gone AS (DELETE FROM ${chatCompletions} WHERE created_at < $1 RETURNING owner, id)
         DELETE FROM ${blobTables.chatRefs} r USING gone WHERE r.owner = gone.owner AND r.id = gone.id`,
        [before],
      );
      // References whose response or completion is gone another way (deleted by a build before
      // migration 20, which knew nothing of them): their payloads were kept for ever (storage
      // audit F2, 2026-12-06).
      await pool.query(
        `DELETE FROM ${blobTables.refs} r WHERE NOT EXISTS
         (SELECT 1 FROM ${conversations} c WHERE c.id = r.response_id)`,
      );
      await pool.query(
        `DELETE FROM ${blobTables.chatRefs} r WHERE NOT EXISTS
         (SELECT 1 FROM ${chatCompletions} c WHERE c.owner = r.owner AND c.id = r.id)`,
      );
      await inBlobTransaction(pool, (client) => sweepUnreferencedBlobs(client, blobTables));
      // A conversation goes once unused for the retention, with its items.
      await pool.query(
        `DELETE FROM ${conversationObjects.items} i USING ${conversationObjects.objects} o
         WHERE o.owner = i.owner AND o.id = i.conversation_id AND o.updated_at < $1`,
        [before],
      );
      await pool.query(`DELETE FROM ${conversationObjects.objects} WHERE updated_at < $1`, [
        before,
      ]);
      // Feedback goes with the request it rates.
      await pool.query(`DELETE FROM ${feedback} WHERE time < $1`, [before]);
      return (await pool.query(`DELETE FROM ${table} WHERE time < $1`, [before])).rowCount ?? 0;
    },
    async close() {
      await pool.end();
    },
    ...createPostgresConversationStore(
      pool,
      { conversations, events: responseEvents, items: responseItems, ...blobTables },
      ready,
    ),
    ...createPostgresChatCompletionStore(
      pool,
      { completions: chatCompletions, ...blobTables },
      ready,
    ),
    ...createPostgresConversationObjectStore(pool, conversationObjects, ready),
    ...createPostgresBatchStore(pool, batchTables, ready),
    ...createPostgresFeedbackStore(pool, { requests: table, feedback }, ready),
  };
  return store;
}
