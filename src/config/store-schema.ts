// The config schema's storage sections (part of schema.ts, strict as it is): shared state across
// replicas (memory or Redis), the request log (SQLite, PostgreSQL or none) and the answer cache.
import { z } from 'zod';
import { SEMANTIC_CACHE_DEFAULTS, semanticCacheSchema } from './semantic-cache-schema.js';

export const stateSchema = z
  .strictObject({
    kind: z
      .enum(['memory', 'redis'])
      .default('memory')
      .describe(
        "`memory` for one process; `redis` to share limits, budgets, upstream cool-downs (429 retry-after), keys, config, the answer cache, the semantic cache's index and session affinity among replicas (circuit breakers stay per replica).",
      ),
    redisUrl: z
      .string()
      .optional()
      .describe(
        'Redis URL, e.g. `redis://127.0.0.1:6379` (for `kind: redis`). Per replica, like `server.port`: replicas may reach Redis at different URLs (another password, a sidecar) and still share one config; read at startup.',
      ),
    onFailure: z
      .enum(['open', 'closed'])
      .default('open')
      .describe(
        'When Redis is unreachable: keep serving with local limits (open: each replica its share of each limit, limit / replicas, from the level it last saw in Redis; docs/operations.md) or refuse (closed).',
      ),
    prefix: z
      .string()
      .min(1)
      .default('mr:')
      .describe('Prefix of every Redis key and channel: replicas of one router share it.'),
    commandTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(200)
      .describe(
        'A Redis command slower than this counts as Redis being down (serve locally or refuse).',
      ),
  })
  .default({ kind: 'memory', onFailure: 'open', prefix: 'mr:', commandTimeoutMs: 200 })
  .describe('Shared state across replicas.');

export const requestLogSchema = z
  .strictObject({
    kind: z
      .enum(['sqlite', 'postgres', 'none'])
      .default('sqlite')
      .describe(
        'Where every request is recorded: SQLite file (default), PostgreSQL (several replicas), or nowhere.',
      ),
    sqlitePath: z
      .string()
      .default('./data/requests.db')
      .describe('SQLite file (created with its folder).'),
    postgresUrl: z
      .string()
      .optional()
      .describe(
        'PostgreSQL URL, e.g. `postgres://user@host:5432/db` (for `kind: postgres`). Per replica, like `state.redisUrl`; read at startup.',
      ),
    postgresSchema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain SQL identifier')
      .optional()
      .describe('PostgreSQL schema for the tables (created if missing); default: the search path.'),
    storeText: z
      .boolean()
      .default(false)
      .describe('Keep prompt and answer text in the log (needed by `simulate`).'),
    storeReceipts: z
      .boolean()
      .default(true)
      .describe(
        "Keep each routed request's receipt (candidates, predicted quality and cost, eligibility, the pick and why, attempts; no prompt text) with its record, so `GET /v1/router/decisions/{id}` finds it after a restart, on another replica sharing the PostgreSQL log, and past the 10,000 recent decisions each replica holds in memory, for `retentionDays`. About 0.85 KB a routed request (ten candidates). Read as each record is written (hot reload).",
      ),
    retentionDays: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe(
        'Days kept: older request-log records are deleted, with their feedback, stored responses (their events, items and inline payloads), stored chat completions, and conversations unused that long (with their items). Files and batches have their own lifetimes.',
      ),
    maxBuffer: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Records buffered when the store is down before they are dropped (and counted).'),
    usageMaxRecords: z
      .number()
      .int()
      .positive()
      .default(250_000)
      .describe(
        'The most records one `GET /admin/v1/usage` or `/v1/router/usage` summary reads into the server (about 1–2 KB of memory each) when its store cannot aggregate in SQL; a bigger window gets a 400 asking for a narrower one. The SQLite and PostgreSQL stores aggregate in the database, so their windows are not limited by it.',
      ),
  })
  .default({
    kind: 'sqlite',
    sqlitePath: './data/requests.db',
    storeText: false,
    storeReceipts: true,
    retentionDays: 30,
    maxBuffer: 10_000,
    usageMaxRecords: 250_000,
  })
  .describe(
    'The request log: one record per request (who, which router and mode, what served, tokens, cost, latency).',
  );

export const cacheSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Answer a request the same as one answered before (same tenant, key subset, model or router, routing mode, data zone and body, its JSON keys in any order, `stream` aside) from the cache, at no upstream cost. A sampled answer (temperature > 0) is then repeated, not drawn again. Read per request, so a config reload applies at once.',
      ),
    ttlSeconds: z
      .number()
      .int()
      .positive()
      .max(30 * 86400)
      .default(3600)
      .describe('How long an answer is served from the cache.'),
    memoryMegabytes: z
      .number()
      .positive()
      .default(64)
      .describe(
        'Size of the in-process cache, least recently used answers dropped first. With `state.kind: redis` the cache lives in Redis instead (shared by the replicas; bound it with Redis `maxmemory`). Read at start-up.',
      ),
    maxEntryBytes: z
      .number()
      .int()
      .positive()
      .default(262_144)
      .describe(
        "An answer larger than this (as JSON) is not cached; for embeddings, one input's vector (each input is its own entry).",
      ),
    semantic: semanticCacheSchema,
  })
  .default({
    enabled: false,
    ttlSeconds: 3600,
    memoryMegabytes: 64,
    maxEntryBytes: 262_144,
    semantic: SEMANTIC_CACHE_DEFAULTS,
  })
  .describe(
    'Answer cache: exact match, and near-identical conversations too with `cache.semantic`. A request opts out with `Cache-Control: no-store` (neither read nor kept) or `no-cache` (not read; the fresh answer replaces the cached one). Replies say `x-router-cache: hit|miss|bypass` (`semantic` from `cache.semantic`), and `partial` for an embeddings batch answered in part from the cache (the rest upstream); a hit also gives `age` in seconds.',
  );
