// The config schema: the single source of truth for what the router accepts. Strict everywhere:
// an unknown key is an error whose message gives its path (STYLE.md principle 4). A deployment's
// part (and a rate limit's) is deployment-schema.ts.
import { z } from 'zod';
import { ipRuleProblem } from '../auth/ip-allowlist.js';
import { findTagProblem } from '../gateway/attribution.js';
import { isPiiKind, PII_KINDS } from '../policy/filters/pii-patterns.js';
import { DEPLOYMENT_TYPES } from './deployment-kinds.js';
import { deploymentSchema, rateLimitSchema } from './deployment-schema.js';
import { batchSchema } from './batch-schema.js';
import { realtimeSchema } from './realtime-schema.js';
import { responsesSchema } from './responses-schema.js';
import { SEMANTIC_CACHE_DEFAULTS, semanticCacheSchema } from './semantic-cache-schema.js';

export const ROUTING_MODES = ['balanced', 'quality', 'cost'] as const;

/** A PII kind the filter does not know, or a regex that does not compile, fails the config. */
function checkFilterPatterns(
  rule: { kind: string; patterns: string[] },
  ctx: z.RefinementCtx,
): void {
  rule.patterns.forEach((p, i) => {
    if (rule.kind === 'pii' && !isPiiKind(p))
      ctx.addIssue({
        code: 'custom',
        path: ['patterns', i],
        message: `unknown PII kind "${p}" (${PII_KINDS.join(', ')})`,
      });
    if (rule.kind === 'regex')
      try {
        new RegExp(p, 'gu');
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['patterns', i],
          message: `invalid regex: ${(err as Error).message}`,
        });
      }
  });
}

/** A tag no request can carry would be a limit or budget that silently never applies. */
function checkTagNames(tags: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const tag of Object.keys(tags)) {
    const problem = findTagProblem(tag);
    if (problem) ctx.addIssue({ code: 'custom', path: [tag], message: problem });
  }
}
export const ALERT_EVENTS = [
  'budget_threshold',
  'budget_exhausted',
  'circuit_open',
  'circuit_closed',
] as const;

export const POOL_STRATEGIES = [
  'weighted',
  'priority',
  'round-robin',
  'least-busy',
  'latency',
] as const;

/** A pool: one name for several deployments of the same model, balanced and failed over. */
export const poolSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .describe('The name clients send as `model` (unique among pools, routers and deployments).'),
  deployments: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      'Its members: deployments of one model (regions, providers, provisioned and pay-as-you-go capacity), all chat or all embeddings. Never routed between by quality: they are meant to answer alike (an embeddings pool must be one model: vectors of different models cannot be compared).',
    ),
  strategy: z
    .enum(POOL_STRATEGIES)
    .default('weighted')
    .describe(
      'Which member serves first: `weighted` (at random in proportion to `weights`), `priority` (in the order listed: the first healthy one with headroom, the next on a retryable failure — spillover from provisioned capacity), `round-robin` (in turn, per replica), `least-busy` (the fewest calls in flight), `latency` (the fastest lately: time to first token for streams, to the answer otherwise; see `latencyTolerance`). Load and latency are as this replica sees them; ties are drawn by `weights`. The others follow as fallbacks.',
    ),
  weights: z
    .record(z.string(), z.number().min(0))
    .optional()
    .describe(
      "Each member's share of first picks for `weighted`, and of ties for `least-busy` and `latency` (default 1 each); 0 makes a member a fallback only under those three strategies.",
    ),
  latencyTolerance: z
    .number()
    .min(0)
    .max(10)
    .default(0.1)
    .describe(
      'For `latency`: members within this fraction of the fastest moving average (0.1: 10% slower) count as equally fast and share the traffic by weight; a member not heard from in a minute is tried again, one call at a time.',
    ),
  cache: z
    .boolean()
    .default(true)
    .describe('Answer from the answer cache when it is on (`false`: never for this pool).'),
});

export const routerSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .default('model-router')
    .describe('The router deployment name clients send as `model`.'),
  routingMode: z
    .enum(ROUTING_MODES)
    .default('balanced')
    .describe(
      '`balanced`: near top quality at much lower cost; `quality`: the best predicted model; `cost`: the cheapest within a wider band.',
    ),
  modelSubset: z
    .array(z.string().min(1))
    .min(1)
    .describe('The only deployments this router may pick; never widened automatically.'),
  version: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'a version is an artefact file name in the models folder without ".json" (e.g. "2026-11-30f"), or "latest"',
    )
    .default('latest')
    .describe(
      'Routing artefact version: `models/<version>.json` (e.g. `2026-11-30f`); `latest` picks the newest there. A version that is not there, or cannot be read, is refused.',
    ),
  deploymentType: z
    .enum(DEPLOYMENT_TYPES)
    .default('GlobalStandard')
    .describe('Azure deployment type of the router; `DataZoneStandard` routers need `dataZone`.'),
  dataZone: z
    .string()
    .optional()
    .describe('For DataZoneStandard: the zone requests and failovers never leave.'),
  bands: z
    .strictObject({
      balanced: z
        .number()
        .min(-2)
        .max(1.5)
        .optional()
        .describe(
          "Balanced band. Under the artefact's `tradeoff` rule (artefacts 2026-11-30 … 2026-11-30f) each candidate is charged 1 − band of the best single model's average quality per unit of the strongest candidate's cost, and the best net quality wins (1: quality alone; lower: cheaper); under `tradeoff-margin` (from 2026-12-01) a candidate other than the strongest also gives up Quality mode's calibrated margin. Under the `ratio` rule: the cheapest model predicted within this fraction of the strongest's quality.",
        ),
      cost: z
        .number()
        .min(-2)
        .max(1.5)
        .optional()
        .describe('Cost band (below balanced: a bigger charge on cost).'),
      qualityMargin: z
        .number()
        .min(0)
        .max(1)
        .optional()
        .describe(
          "Quality mode's margin: how much better than the strongest candidate another must be predicted to win, as a share of the best single model's average quality (under `tradeoff-margin` the saving modes charge it too).",
        ),
      qualityHolds: z
        .boolean()
        .optional()
        .describe(
          "true: Quality mode keeps the strongest candidate (and a model priced like it does not lead the saving modes); false: it leaves it wherever another is predicted better by the margin. Default: the artefact's verdict (true where, on held-out prompts, leaving the strongest gained nothing beyond noise).",
        ),
    })
    .optional()
    .describe('Override the artefact\'s calibrated bands (docs/routing.md, "Modes").'),
  rateLimit: rateLimitSchema
    .default({ rpm: 250, tpm: 250_000 })
    .describe('Limits for this router across all callers.'),
  cache: z
    .boolean()
    .default(true)
    .describe(
      'false: this router never answers from the answer cache nor keeps answers in it, even with `cache.enabled` (say, where repeated questions want fresh samples).',
    ),
});

/** An IP address or CIDR (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`); a bad one fails at its path. */
const ipRule = z.string().superRefine((v, ctx) => {
  const problem = ipRuleProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Client addresses a key may be used from (config keys and keys issued by the admin API). */
export const allowedIpsSchema = z.array(ipRule).min(1);

/** The proxies whose `X-Forwarded-For` is believed: fastify's (proxy-addr's) `trustProxy`. */
const trustProxySchema = z.union([
  z.boolean(),
  z.number().int().min(1).max(16),
  z.array(z.union([z.enum(['loopback', 'linklocal', 'uniquelocal']), ipRule])).min(1),
]);

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest');

const apiKeySchema = z.strictObject({
  id: z.string().min(1).describe('Key id (shown in logs, metrics and the admin API; not secret).'),
  hash: sha256Hex.describe('sha256 hex of the key; plain keys never appear in config.'),
  previousHashes: z
    .array(
      z.strictObject({
        hash: sha256Hex.describe('sha256 hex of the earlier secret.'),
        expiresAt: z.string().datetime().describe('When the earlier secret stops working.'),
      }),
    )
    .optional()
    .describe(
      'Earlier secrets of this key, still accepted until their `expiresAt` so clients can move to the new one (`model-router keys rotate <id> --config <file>` writes them); past it one is refused like an unknown key. Spend, limits and budgets stay on the key id.',
    ),
  tenant: z.string().min(1).describe("Tenant the key's spend and limits are attributed to."),
  admin: z.boolean().default(false).describe('May use the admin API and the dashboard.'),
  scopes: z
    .array(z.string())
    .default(['*'])
    .describe('Router or deployment names this key may use; `*` for all.'),
  expiresAt: z
    .string()
    .datetime()
    .optional()
    .describe('ISO-8601 time after which the key is refused.'),
  maxRoutingMode: z
    .enum(ROUTING_MODES)
    .optional()
    .describe(
      'The costliest mode this key may ask for with `x-router-mode` (cost < balanced < quality).',
    ),
  modelSubset: z
    .array(z.string())
    .optional()
    .describe("Narrows the router's subset for this key (never widens it)."),
  rateLimit: rateLimitSchema.optional().describe('Limits for this key.'),
  allowedIps: allowedIpsSchema
    .optional()
    .describe(
      "Client addresses this key may be used from: IPv4 and IPv6 addresses and CIDRs (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`; an IPv4-mapped IPv6 client such as `::ffff:10.1.2.3` matches the IPv4 rules). From anywhere else the key gets 403 `permission_error` naming the address, never the list. The address is the connection's, or with `server.trustProxy` the one the trusted proxies forwarded. Unset: any address.",
    ),
  budget: z
    .strictObject({
      dailyUsd: z.number().positive().optional().describe('Spend limit per UTC day.'),
      monthlyUsd: z.number().positive().optional().describe('Spend limit per UTC month.'),
    })
    .optional()
    .describe('Spend limits for this key (checked before each request, settled with real usage).'),
  cache: z
    .boolean()
    .optional()
    .describe(
      '`false`: this key never gets an answer from the answer cache and leaves none in it (say, a client that wants fresh samples every time); by default the cache serves it when it is on.',
    ),
});

/** Spend limits counted per `what` (an end user, a tag): each one has its own counters. */
const perBudget = (what: string) =>
  z.strictObject({
    dailyUsd: z.number().positive().optional().describe(`Spend limit per ${what} per UTC day.`),
    monthlyUsd: z.number().positive().optional().describe(`Spend limit per ${what} per UTC month.`),
  });
const endUserBudget = perBudget('end user');

/** A browser origin as the `Origin` header spells it (scheme://host[:port], no path), or `*`. */
const corsOrigin = z.string().superRefine((v, ctx) => {
  if (v === '*') return;
  let origin: string | undefined;
  try {
    const url = new URL(v);
    origin = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    origin = undefined;
  }
  if (origin !== v)
    ctx.addIssue({
      code: 'custom',
      message: origin
        ? `an origin is compared with the browser's Origin header as written: write "${origin}"`
        : `"${v}" is not an origin: write scheme://host[:port] with no path (e.g. "https://app.example.com"), or "*" for any`,
    });
});

const corsSchema = z
  .strictObject({
    origins: z
      .array(corsOrigin)
      .default([])
      .describe(
        'Browser origins (scheme://host[:port]) whose pages may call the router directly; `*` allows any. Empty (the default): no CORS headers, so browsers refuse cross-origin calls. Read per request, so a config reload applies at once. The API keys a page sends are visible to its users: give such a page a scoped key.',
      ),
    maxAgeSeconds: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .default(600)
      .describe(
        'How long a browser may cache a preflight answer (`Access-Control-Max-Age`); read at start-up.',
      ),
  })
  .default({ origins: [], maxAgeSeconds: 600 })
  .describe(
    'Cross-origin requests from browsers (CORS): preflights are answered before authentication, and the router headers (`x-router-*`, `x-request-id`, rate limits) are exposed to the page.',
  );

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z
        .string()
        .default('127.0.0.1')
        .describe('Interface to bind (`0.0.0.0` in a container).'),
      port: z
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(8080)
        .describe('Port (`PORT` or `--port` override it).'),
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024)
        .describe('Largest request body accepted (413 above).'),
      logLevel: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info')
        .describe('Pino log level; `silent` turns request logging off.'),
      heapGrowthPercent: z
        .number()
        .int()
        .min(0)
        .max(100)
        .default(25)
        .describe(
          "How far V8 lets the JavaScript heap grow past what survived the last full garbage collection, in percent (V8's `--heap-growing-percent`). A gateway's garbage is short-lived; V8's own growth factor lets it pile up and doubles peak memory under load. 25 keeps peak RSS near 140 MB at 64 concurrent connections (measured, docs/benchmarks.md) with no hard cap, so a burst of large requests still cannot run the heap out of memory. 0 leaves V8's default.",
        ),
      cors: corsSchema,
      trustProxy: trustProxySchema
        .default(false)
        .describe(
          "Whether the router is behind proxies whose `X-Forwarded-For` (and `X-Forwarded-Proto`/`-Host`) to believe, as fastify's `trustProxy`: `false` (the default) takes the client address from the connection and ignores the header; `true` trusts every hop and a number that many hops back from the router (`1`: the address your one proxy appended); both believe whoever connects, so use them only when nothing reaches the router except through your proxies; a list trusts the proxies at those addresses or CIDRs (`loopback`, `linklocal`, `uniquelocal` name the usual ranges), and the client is the nearest address not in it. The client address is what `auth.keys[].allowedIps` checks. Read at start-up.",
        ),
    })
    .default({
      host: '127.0.0.1',
      port: 8080,
      bodyLimitBytes: 4 * 1024 * 1024,
      logLevel: 'info',
      heapGrowthPercent: 25,
      cors: { origins: [], maxAgeSeconds: 600 },
      trustProxy: false,
    })
    .describe('The HTTP server.'),
  auth: z
    .strictObject({
      mode: z
        .enum(['none', 'keys'])
        .default('none')
        .describe('`none`: open endpoint (local demo); `keys`: every request needs a key.'),
      adminKeyEnv: z
        .string()
        .optional()
        .describe('Env var holding a bootstrap admin key (plain text, only in the environment).'),
      keys: z
        .array(apiKeySchema)
        .default([])
        .describe('API keys (store only their sha256; issue keys with `model-router keys issue`).'),
    })
    .default({ mode: 'none', keys: [] })
    .describe('Who may call the router and the admin API.'),
  deployments: z
    .array(deploymentSchema)
    .min(1)
    .describe(
      'Concrete deployments: each a model at a provider, callable by name or through a router.',
    ),
  routers: z
    .array(routerSchema)
    .default([])
    .describe('Router deployments: names that route each request to one of their subset.'),
  pools: z
    .array(poolSchema)
    .default([])
    .describe(
      'Deployment pools: names that spread requests over several deployments of one model, with failover among them.',
    ),
  routing: z
    .strictObject({
      modelsDir: z
        .string()
        .optional()
        .describe('Folder with routing artefacts (`<version>.json`).'),
    })
    .default({})
    .describe('The routing model.'),
  state: z
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
        .describe('Redis URL, e.g. `redis://127.0.0.1:6379` (for `kind: redis`).'),
      onFailure: z
        .enum(['open', 'closed'])
        .default('open')
        .describe(
          'When Redis is unreachable: keep serving with local limits (open) or refuse (closed).',
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
    .describe('Shared state across replicas.'),
  requestLog: z
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
        .describe('PostgreSQL URL, e.g. `postgres://user@host:5432/db` (for `kind: postgres`).'),
      postgresSchema: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain SQL identifier')
        .optional()
        .describe(
          'PostgreSQL schema for the tables (created if missing); default: the search path.',
        ),
      storeText: z
        .boolean()
        .default(false)
        .describe('Keep prompt and answer text in the log (needed by `simulate`).'),
      retentionDays: z
        .number()
        .int()
        .positive()
        .default(30)
        .describe('Records (and stored Responses conversations) older than this are deleted.'),
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
      retentionDays: 30,
      maxBuffer: 10_000,
      usageMaxRecords: 250_000,
    })
    .describe(
      'The request log: one record per request (who, which router and mode, what served, tokens, cost, latency).',
    ),
  cache: z
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
    ),
  responses: responsesSchema,
  realtime: realtimeSchema,
  batches: batchSchema,
  moderations: z
    .strictObject({
      defaultModel: z
        .string()
        .min(1)
        .optional()
        .describe(
          'The moderation deployment or pool (`kind: moderation`) that serves a `/v1/moderations` request naming no `model`. Default: `omni-moderation-latest`, as with OpenAI (a request naming no model gets a 400 when no deployment or pool has that name).',
        ),
    })
    .default({})
    .describe('`POST /v1/moderations`: moderation models are called by name, never routed.'),
  contentFilter: z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe(
          "Apply the rules below to prompts and answers (Claude's thinking included: a redacted thinking block is sent without its signature).",
        ),
      rules: z
        .array(
          z
            .strictObject({
              id: z.string().min(1).describe('Rule id (reported in the filter results).'),
              kind: z.enum(['keyword', 'regex', 'pii']).describe('How `patterns` are read.'),
              patterns: z
                .array(z.string())
                .min(1)
                .describe(
                  'keyword: words; regex: patterns; pii: email | phone | card | ssn | iban | ip | secret (credentials in the known formats of OpenAI, Anthropic, AWS, GitHub, Slack, Google, Stripe and this router, JSON web tokens, PEM private keys).',
                ),
              action: z
                .enum(['block', 'redact', 'annotate'])
                .default('block')
                .describe(
                  '`block`: refuse with a content_filter error; `redact`: mask the match; `annotate`: only report it.',
                ),
              appliesTo: z
                .enum(['input', 'output', 'both'])
                .default('both')
                .describe('Prompts, answers or both.'),
            })
            .superRefine(checkFilterPatterns),
        )
        .default([])
        .describe('Rules, applied in order.'),
      moderationUrl: z
        .string()
        .url()
        .optional()
        .describe(
          'Optional moderation service (OpenAI moderation shape) called with each prompt and answer; a streamed answer is checked every 1,000 characters sent and in full before its finish.',
        ),
      moderationDeployment: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Instead of `moderationUrl`: one of this router's moderation deployments or pools (`kind: moderation`), called the same way (with its failover, circuit breaker and the deployment's rate limit; the router's own call, so no key scope, no budget and no request-log record).",
        ),
    })
    .default({ enabled: false, rules: [] })
    .describe('Content filter hooks on prompts and answers.'),
  rateLimits: z
    .strictObject({
      endUser: rateLimitSchema
        .optional()
        .describe(
          "Limits for each end user a client names (`user`, `safety_identifier`, Anthropic `metadata.user_id`), counted per tenant, on top of the key's, router's and deployment's; requests that name none are not limited by it.",
        ),
      tags: z
        .record(z.string(), rateLimitSchema)
        .superRefine(checkTagNames)
        .optional()
        .describe(
          "Limits per tag (`x-router-tags`, OpenAI `metadata` as `key=value`), counted per tenant, on top of the key's, router's, deployment's and end user's: say `{\"nightly-batch\": {tpm: 200000}}` so a batch job cannot crowd out interactive traffic. A request carrying several limited tags is charged to each; one carrying none is not limited by them. A tag no request could carry (neither an `x-router-tags` tag nor a `metadata` pair) is an error.",
        ),
      queue: z
        .strictObject({
          maxWaitMs: z
            .number()
            .int()
            .min(0)
            .max(60_000)
            .default(0)
            .describe(
              'The longest a request may wait, in ms, for a key, router, end-user or tag limit that refused it to free up, and then for a deployment of the router or pool it called to have rate-limit headroom again (or its cool-down after an upstream 429 to end), instead of an immediate 429. A request opts in with `x-router-max-wait-ms: <n>` (capped by this); one without it is refused as before. 0: off, and the header is ignored.',
            ),
          maxWaiting: z
            .number()
            .int()
            .positive()
            .default(1000)
            .describe(
              'Requests that may wait at once on each replica; more get their 429 at once.',
            ),
        })
        .default({ maxWaitMs: 0, maxWaiting: 1000 })
        .describe(
          'Wait for capacity instead of refusing, for clients that ask (batch jobs): budgets and the content filter never wait. A waiting request holds no capacity and is charged nothing until admitted.',
        ),
    })
    .default({ queue: { maxWaitMs: 0, maxWaiting: 1000 } })
    .describe(
      'Rate limits that are not set on a key, router or deployment (those are set where they apply).',
    ),
  budgets: z
    .strictObject({
      shiftToCostAt: z
        .number()
        .min(0)
        .max(1)
        .default(0.8)
        .describe('Fraction of a budget after which the tenant is shifted toward Cost mode.'),
      tenants: z
        .record(
          z.string(),
          z.strictObject({
            dailyUsd: z.number().positive().optional().describe('Spend limit per UTC day.'),
            monthlyUsd: z.number().positive().optional().describe('Spend limit per UTC month.'),
            endUser: endUserBudget
              .optional()
              .describe(
                "Limits for each of this tenant's end users (instead of `budgets.endUser`).",
              ),
          }),
        )
        .default({})
        .describe('Budgets per tenant (keys name their tenant).'),
      endUser: endUserBudget
        .optional()
        .describe(
          'Spend limits for each end user a client names (`user`, `safety_identifier`, Anthropic `metadata.user_id`), counted per tenant; requests that name none are not limited by it.',
        ),
      tags: z
        .record(z.string().min(1), perBudget('tag'))
        .superRefine(checkTagNames)
        .default({})
        .describe(
          "Spend limits per tag (`x-router-tags`, OpenAI `metadata` as `key=value`), counted per tenant: say a batch job's or a feature's budget. A request carrying the tag counts against it; one that does not is not limited by it. A tag no request could carry is an error.",
        ),
    })
    .default({ shiftToCostAt: 0.8, tenants: {}, tags: {} })
    .describe(
      'Spend budgets: past `shiftToCostAt` a tenant is routed in Cost mode; at 100% it is refused.',
    ),
  telemetry: z
    .strictObject({
      metrics: z.boolean().default(true).describe('Serve Prometheus metrics on `/metrics`.'),
      otlpEndpoint: z
        .string()
        .url()
        .optional()
        .describe(
          'Send OpenTelemetry traces (one span per request and attempt) to this OTLP/HTTP endpoint.',
        ),
    })
    .default({ metrics: true })
    .describe('Metrics and traces.'),
  alerts: z
    .strictObject({
      webhooks: z
        .array(
          z.strictObject({
            url: z
              .string()
              .url()
              .describe('Where to POST (a Slack or Teams incoming webhook, PagerDuty, your own).'),
            events: z
              .array(z.enum(ALERT_EVENTS))
              .min(1)
              .default([...ALERT_EVENTS])
              .describe(
                '`budget_threshold` (a budget passed `budgets.shiftToCostAt`: routing in Cost mode), `budget_exhausted` (requests refused), `circuit_open` (a deployment taken out after failures), `circuit_closed` (back after a good probe).',
              ),
            format: z
              .enum(['json', 'slack'])
              .default('json')
              .describe(
                '`json`: `{event, subject, message, time, details}`; `slack`: `{text}` (Slack, Mattermost and Teams workflows read it).',
              ),
            headers: z
              .record(z.string(), z.string())
              .optional()
              .describe('Extra headers, e.g. `authorization: "Bearer ${env:ALERT_TOKEN}"`.'),
          }),
        )
        .default([])
        .describe('Webhooks to call when something an operator should know happens.'),
      minIntervalSeconds: z
        .number()
        .int()
        .positive()
        .default(300)
        .describe(
          'A circuit event for one deployment is sent at most once in this interval (with Redis: across replicas). A budget event is sent once per budget and period.',
        ),
      timeoutMs: z
        .number()
        .int()
        .positive()
        .default(5000)
        .describe('How long a webhook may take to answer before the call is given up.'),
    })
    .default({ webhooks: [], minIntervalSeconds: 300, timeoutMs: 5000 })
    .describe('Alerts sent to webhooks (off until a webhook is named).'),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type RouterConfig = z.infer<typeof routerSchema>;
export type PoolConfig = z.infer<typeof poolSchema>;
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;
export type RoutingMode = (typeof ROUTING_MODES)[number];
export type AlertEvent = (typeof ALERT_EVENTS)[number];
