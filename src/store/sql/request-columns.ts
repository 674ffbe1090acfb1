// The request log's columns, shared by the SQLite and PostgreSQL stores: one place maps a
// RequestRecord to a row and back, and lists the versioned schema migrations.
import { receiptFromText, receiptToText, type DecisionReceipt } from '../../routing/receipt.js';
import type { RequestRecord } from '../request-record.js';

export const COLUMNS = [
  'time',
  'request_id',
  'endpoint',
  'tenant',
  'key_id',
  'router',
  'routing_mode',
  'router_version',
  'decision_id',
  'deployment',
  'served_model',
  'attempts',
  'stream',
  'prompt_tokens',
  'cached_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cost_usd',
  'baseline_cost_usd',
  'ttft_ms',
  'latency_ms',
  'routing_micros',
  'status',
  'error_code',
  'region',
  'data_zone',
  'prompt_text',
  'answer_text',
  'cache',
  'end_user',
  'tags',
  'queued_ms',
  'multi_turn',
  'usage_estimated',
  'receipt',
  'overhead_micros',
] as const;

export type Row = Record<(typeof COLUMNS)[number], unknown>;

/**
 * The select list of a query: every column but the receipt (read only by `findReceipt`), and
 * without the (large) prompt and answer texts unless `text`.
 */
export function selectList(text: boolean): string {
  return COLUMNS.filter(
    (c) => c !== 'receipt' && (text || (c !== 'prompt_text' && c !== 'answer_text')),
  ).join(', ');
}

/** A record's receipt as the request log keeps it (routing/receipt.ts `receiptToText`). */
function receiptText(r: RequestRecord): string | null {
  return r.receipt === undefined ? null : receiptToText(r.receipt);
}

/** A kept receipt as read back (`findReceipt`), as the API shows it; undefined when none. */
export function receiptFromColumn(v: unknown): DecisionReceipt | undefined {
  if (v === null || v === undefined) return undefined;
  return receiptFromText(typeof v === 'string' ? v : JSON.stringify(v));
}

export function toRow(r: RequestRecord): unknown[] {
  return [
    r.time,
    r.requestId,
    r.endpoint,
    r.tenant ?? null,
    r.keyId ?? null,
    r.router ?? null,
    r.routingMode ?? null,
    r.routerVersion ?? null,
    r.decisionId ?? null,
    r.deployment ?? null,
    r.servedModel ?? null,
    JSON.stringify(r.attempts),
    r.stream ? 1 : 0,
    r.promptTokens,
    r.cachedTokens,
    r.completionTokens,
    r.reasoningTokens,
    r.costUsd,
    r.baselineCostUsd,
    r.ttftMs ?? null,
    r.latencyMs,
    r.routingMicros ?? null,
    r.status,
    r.errorCode ?? null,
    r.region ?? null,
    r.dataZone ?? null,
    r.promptText ?? null,
    r.answerText ?? null,
    r.cache ?? null,
    r.endUser ?? null,
    r.tags?.length ? JSON.stringify(r.tags) : null,
    r.queuedMs ?? null,
    // 1/0 for both drivers (better-sqlite3 binds no booleans; PostgreSQL reads '1' as true).
    r.multiTurn === undefined ? null : r.multiTurn ? 1 : 0,
    r.usageEstimated === undefined ? null : r.usageEstimated ? 1 : 0,
    receiptText(r),
    r.overheadMicros ?? null,
  ];
}

const opt = <T>(v: unknown): T | undefined =>
  v === null || v === undefined ? undefined : (v as T);

/** A `{bool}` column as the drivers return it (SQLite 0/1, PostgreSQL a boolean); NULL: undefined. */
export function boolOrUndefined(v: unknown): boolean | undefined {
  return v === null || v === undefined ? undefined : v === true || Number(v) === 1;
}

export function fromRow(row: Row): RequestRecord {
  return {
    time: Number(row.time),
    requestId: String(row.request_id),
    endpoint: row.endpoint as RequestRecord['endpoint'],
    tenant: opt(row.tenant),
    keyId: opt(row.key_id),
    router: opt(row.router),
    routingMode: opt(row.routing_mode),
    routerVersion: opt(row.router_version),
    decisionId: opt(row.decision_id),
    deployment: opt(row.deployment),
    servedModel: opt(row.served_model),
    attempts:
      typeof row.attempts === 'string'
        ? JSON.parse(row.attempts)
        : ((row.attempts as RequestRecord['attempts']) ?? []),
    stream: Number(row.stream) === 1 || row.stream === true,
    promptTokens: Number(row.prompt_tokens),
    cachedTokens: Number(row.cached_tokens),
    completionTokens: Number(row.completion_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    costUsd: Number(row.cost_usd),
    baselineCostUsd: Number(row.baseline_cost_usd),
    ttftMs: row.ttft_ms === null ? undefined : Number(row.ttft_ms),
    latencyMs: Number(row.latency_ms),
    routingMicros: row.routing_micros === null ? undefined : Number(row.routing_micros),
    overheadMicros: row.overhead_micros === null ? undefined : Number(row.overhead_micros),
    status: Number(row.status),
    errorCode: opt(row.error_code),
    region: opt(row.region),
    dataZone: opt(row.data_zone),
    promptText: opt(row.prompt_text),
    answerText: opt(row.answer_text),
    cache: opt(row.cache),
    endUser: opt(row.end_user),
    tags: typeof row.tags === 'string' ? (JSON.parse(row.tags) as string[]) : undefined,
    queuedMs: row.queued_ms === null ? undefined : Number(row.queued_ms),
    multiTurn: boolOrUndefined(row.multi_turn),
    usageEstimated: boolOrUndefined(row.usage_estimated),
  };
}

/**
 * Versioned migrations; `{real}`, `{bigint}`, `{json}`, `{blob}`, `{bool}`, `{charged_index}` are
 * filled per dialect.
 */
export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `CREATE TABLE IF NOT EXISTS requests (
      time {bigint} NOT NULL, request_id TEXT NOT NULL, endpoint TEXT NOT NULL, tenant TEXT, key_id TEXT,
      router TEXT, routing_mode TEXT, router_version TEXT, decision_id TEXT, deployment TEXT, served_model TEXT,
      attempts {json} NOT NULL, stream INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
      completion_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, cost_usd {real} NOT NULL,
      baseline_cost_usd {real} NOT NULL, ttft_ms {real}, latency_ms {real} NOT NULL, routing_micros {real},
      status INTEGER NOT NULL, error_code TEXT, region TEXT, data_zone TEXT, prompt_text TEXT, answer_text TEXT);
    CREATE INDEX IF NOT EXISTS requests_time ON requests (time)`,
  },
  { version: 2, sql: 'CREATE INDEX IF NOT EXISTS requests_request_id ON requests (request_id)' },
  {
    version: 3,
    sql: `CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, created_at {bigint} NOT NULL, body TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS conversations_created ON conversations (created_at)`,
  },
  // The answer cache's part in each request (hit, miss, partial, bypass; null when it is off).
  { version: 4, sql: 'ALTER TABLE requests ADD COLUMN cache TEXT' },
  // Attribution below the key: the end user the client named and its tags (a JSON array).
  {
    version: 5,
    sql: 'ALTER TABLE requests ADD COLUMN end_user TEXT; ALTER TABLE requests ADD COLUMN tags TEXT',
  },
  // Files API uploads and batch outputs, with their bytes (batch-store.ts). Not swept with the
  // requests: a file lives until it is deleted, its `expires_at`, or (a batch's output) its batch
  // is past `batches.retentionDays`.
  {
    version: 6,
    sql: `CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, owner TEXT NOT NULL, purpose TEXT NOT NULL,
      filename TEXT NOT NULL, bytes {bigint} NOT NULL, created_at {bigint} NOT NULL, expires_at {bigint},
      content {blob} NOT NULL);
    CREATE INDEX IF NOT EXISTS files_owner_created ON files (owner, created_at)`,
  },
  // Batches with their runner's lease, and each finished line of a batch (batch-store.ts).
  {
    version: 7,
    sql: `CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at {bigint} NOT NULL,
      status TEXT NOT NULL, cancel_requested_at {bigint}, lease_holder TEXT, lease_until {bigint}, doc TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS batches_owner_created ON batches (owner, created_at);
    CREATE INDEX IF NOT EXISTS batches_status ON batches (status);
    CREATE TABLE IF NOT EXISTS batch_results (batch_id TEXT NOT NULL, line INTEGER NOT NULL, ok {bool} NOT NULL,
      json TEXT NOT NULL, PRIMARY KEY (batch_id, line))`,
  },
  // The operators' listing of every tenant's batches, newest first (admin API, dashboard).
  { version: 8, sql: 'CREATE INDEX IF NOT EXISTS batches_created ON batches (created_at, id)' },
  // When a finished batch finished, for `batches.retentionDays` (NULL while it runs). Rows that
  // finished before this column (or on a replica not yet upgraded) get it from their doc when the
  // sweep first meets them; the index serves both that lookup (IS NULL) and the sweep's range.
  {
    version: 9,
    sql: `ALTER TABLE batches ADD COLUMN finished_at {bigint};
    CREATE INDEX IF NOT EXISTS batches_finished ON batches (finished_at, status)`,
  },
  // How long a request waited in the rate-limit queue (rateLimits.queue); null when it did not.
  { version: 10, sql: 'ALTER TABLE requests ADD COLUMN queued_ms {real}' },
  // The batch webhooks' outbox (webhook-outbox.ts): one row per event and receiver, written with
  // the batch's final status; `next_attempt_at` is when a pending row is due (a claim moves it to
  // the end of its lease), `finished_at` when it was delivered or given up (for the sweep).
  {
    version: 11,
    sql: `CREATE TABLE IF NOT EXISTS webhook_deliveries (id TEXT PRIMARY KEY, event_id TEXT NOT NULL,
      event TEXT NOT NULL, batch_id TEXT NOT NULL, owner TEXT NOT NULL, target TEXT NOT NULL, host TEXT NOT NULL,
      body TEXT NOT NULL, created_at {bigint} NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
      next_attempt_at {bigint}, lease_holder TEXT, last_error TEXT, finished_at {bigint});
    CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
    CREATE INDEX IF NOT EXISTS webhook_deliveries_created ON webhook_deliveries (created_at, id);
    CREATE INDEX IF NOT EXISTS webhook_deliveries_batch ON webhook_deliveries (batch_id);
    CREATE INDEX IF NOT EXISTS webhook_deliveries_finished ON webhook_deliveries (finished_at)`,
  },
  // Background responses (`background: true`): the replica running one holds a lease on its row
  // (NULL once it ended, and for every other response), and the events of a streamed one, kept
  // so a client can resume it (`GET /v1/responses/{id}?stream=true&starting_after=N`).
  {
    version: 12,
    sql: `ALTER TABLE conversations ADD COLUMN lease_holder TEXT;
    ALTER TABLE conversations ADD COLUMN lease_until {bigint};
    CREATE INDEX IF NOT EXISTS conversations_lease ON conversations (lease_until);
    CREATE TABLE IF NOT EXISTS response_events (response_id TEXT NOT NULL, seq INTEGER NOT NULL,
      body TEXT NOT NULL, PRIMARY KEY (response_id, seq))`,
  },
  // Stored responses' output items by tenant and id, for `item_reference` input items (a lookup
  // by key instead of reading responses); deleted with their response and by its `created_at`.
  {
    version: 13,
    sql: `CREATE TABLE IF NOT EXISTS response_items (owner TEXT NOT NULL, id TEXT NOT NULL,
      response_id TEXT NOT NULL, created_at {bigint} NOT NULL, body TEXT NOT NULL, PRIMARY KEY (owner, id));
    CREATE INDEX IF NOT EXISTS response_items_response ON response_items (response_id);
    CREATE INDEX IF NOT EXISTS response_items_created ON response_items (created_at)`,
  },
  // Stored Chat Completions (`store: true`; chat-completion-store.ts) by tenant and id: the
  // completion as sent, the request's messages and the metadata the list filters on; listed by
  // (created_at, id) per tenant and swept with the requests by `created_at`.
  {
    version: 14,
    sql: `CREATE TABLE IF NOT EXISTS chat_completions (owner TEXT NOT NULL, id TEXT NOT NULL,
      created_at {bigint} NOT NULL, model TEXT NOT NULL, metadata {json} NOT NULL, body TEXT NOT NULL,
      messages TEXT NOT NULL, PRIMARY KEY (owner, id));
    CREATE INDEX IF NOT EXISTS chat_completions_owner_created ON chat_completions (owner, created_at, id);
    CREATE INDEX IF NOT EXISTS chat_completions_created ON chat_completions (created_at)`,
  },
  // The Conversations API (conversation-object-store.ts; the older `conversations` table keeps
  // stored responses): conversations by tenant and id, with the next item's position, the lock of
  // the response running on one and when it was last used (swept by that with the requests); their
  // items by position, an item id at most once per conversation.
  {
    version: 15,
    sql: `CREATE TABLE IF NOT EXISTS conversation_objects (owner TEXT NOT NULL, id TEXT NOT NULL,
      created_at {bigint} NOT NULL, updated_at {bigint} NOT NULL, metadata TEXT NOT NULL,
      next_seq INTEGER NOT NULL, lock_holder TEXT, lock_until {bigint}, PRIMARY KEY (owner, id));
    CREATE INDEX IF NOT EXISTS conversation_objects_updated ON conversation_objects (updated_at);
    CREATE TABLE IF NOT EXISTS conversation_items (owner TEXT NOT NULL, conversation_id TEXT NOT NULL,
      seq INTEGER NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (owner, conversation_id, seq));
    CREATE UNIQUE INDEX IF NOT EXISTS conversation_items_id ON conversation_items (owner, conversation_id, id)`,
  },
  // A file's MIME type, as the upload was found to be (files used as model input: user_data,
  // assistants, vision). NULL for files from before it (batch JSONL).
  { version: 16, sql: 'ALTER TABLE files ADD COLUMN mime_type TEXT' },
  // Feedback on answers (`POST /v1/feedback`; feedback-store.ts): one row per feedback, with who
  // sent it (`feedback_key_id`) and a copy of what the usage summary groups its request by, under
  // the requests' own column names (`time` is the request's), so the summary's grouping and
  // filters read it as they read the requests. Swept with its request by `time`. Requests are
  // looked up by decision id too.
  {
    version: 17,
    sql: `CREATE TABLE IF NOT EXISTS feedback (id TEXT PRIMARY KEY, created_at {bigint} NOT NULL,
      feedback_key_id TEXT, score {real} NOT NULL, weight {real} NOT NULL, comment TEXT, metadata TEXT,
      time {bigint} NOT NULL, request_id TEXT NOT NULL, decision_id TEXT, endpoint TEXT, tenant TEXT NOT NULL,
      key_id TEXT, router TEXT, deployment TEXT, served_model TEXT, end_user TEXT, tags TEXT);
    CREATE INDEX IF NOT EXISTS feedback_time ON feedback (time);
    CREATE INDEX IF NOT EXISTS feedback_request ON feedback (request_id);
    CREATE INDEX IF NOT EXISTS requests_decision_id ON requests (decision_id)`,
  },
  // Whether a chat request continued a conversation (RequestRecord.multiTurn), which its one
  // string of prompt text cannot tell; NULL for other endpoints and for the rows logged before.
  { version: 18, sql: 'ALTER TABLE requests ADD COLUMN multi_turn {bool}' },
  // Whether some of a request's token counts are the router's estimate rather than the upstream's
  // usage (RequestRecord.usageEstimated); NULL for the rows logged before, which the summaries
  // count as reported (no build before this one recorded which figures it estimated).
  { version: 19, sql: 'ALTER TABLE requests ADD COLUMN usage_estimated {bool}' },
  // Inline data (data URLs, base64 audio) of stored responses and stored chat completions kept
  // once (inline-blobs.ts): each payload's JSON text by its sha-256, and which responses and which
  // completions refer to which (a payload goes with the last one referring to it). Those stored
  // before keep their data in their own row.
  {
    version: 20,
    sql: `CREATE TABLE IF NOT EXISTS response_blobs (hash TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS response_blob_refs (response_id TEXT NOT NULL, hash TEXT NOT NULL,
      PRIMARY KEY (response_id, hash));
    CREATE INDEX IF NOT EXISTS response_blob_refs_hash ON response_blob_refs (hash);
    CREATE TABLE IF NOT EXISTS chat_completion_blob_refs (owner TEXT NOT NULL, id TEXT NOT NULL,
      hash TEXT NOT NULL, PRIMARY KEY (owner, id, hash));
    CREATE INDEX IF NOT EXISTS chat_completion_blob_refs_hash ON chat_completion_blob_refs (hash)`,
  },
  // Where a budget starts counting (store/spend-history.ts): the spend of one end user, key or
  // deployment in a period is read through an index, not a scan of the period's requests (soak
  // audit F1, 2026-12-06: a new end user's first request waited on one, seconds on a large log).
  {
    version: 21,
    sql: `CREATE INDEX IF NOT EXISTS requests_user_time ON requests (tenant, end_user, time);
    CREATE INDEX IF NOT EXISTS requests_key_time ON requests (key_id, time);
    CREATE INDEX IF NOT EXISTS requests_deployment_time ON requests (deployment, time)`,
  },
  // The receipt of the request's routing decision, packed (`GET /v1/router/decisions/{id}` shows
  // it; `requestLog.storeReceipts`), so it outlives a restart and the replica's in-memory 10,000;
  // found by `decision_id` (indexed since 17) or `request_id` (2). NULL when none was kept.
  { version: 22, sql: 'ALTER TABLE requests ADD COLUMN receipt TEXT' },
  // Where a deployment's budget starts counting (sql/spend-sql.ts): the requests with an attempt
  // charged though it gave no answer, rare, whose cost counts at another deployment than the one
  // that served; `{charged_index}` is the dialect's (summary-dialect.ts chargedIndex).
  {
    version: 23,
    sql: 'CREATE INDEX IF NOT EXISTS requests_charged_time ON requests {charged_index}',
  },
  // The router's own time in a chat request, apart from its upstream (RequestRecord.overheadMicros,
  // gateway/request-timing.ts); NULL for other endpoints and for the rows logged before.
  { version: 24, sql: 'ALTER TABLE requests ADD COLUMN overhead_micros {real}' },
];

// Every table the migrations create, by name.
const TABLES = [
  ...new Set(
    MIGRATIONS.flatMap((m) => [...m.sql.matchAll(/TABLE IF NOT EXISTS (\w+)/g)].map((x) => x[1]!)),
  ),
];

const TABLE_REFERENCE = new RegExp(
  `\\b(TABLE IF NOT EXISTS|ALTER TABLE|ON) (${TABLES.join('|')})\\b`,
  'g',
);

/**
 * A migration with its tables in `schema` (PostgreSQL's `postgresSchema`): every table the
 * migrations create, wherever a migration creates, alters or indexes it.
 */
export function qualifyTables(sql: string, schema: string): string {
  return sql.replace(
    TABLE_REFERENCE,
    (_, verb: string, table: string) => `${verb} "${schema}".${table}`,
  );
}
