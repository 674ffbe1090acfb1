// The config schema: the single source of truth for what the router accepts. Strict everywhere:
// an unknown key is an error whose message gives its path (STYLE.md principle 4). A deployment's
// part (and a rate limit's) is deployment-schema.ts; the server section server-schema.ts; state,
// the request log and the answer cache store-schema.ts; the content filter, rate limits and budgets
// governance-schema.ts; Responses, realtime, batches and the semantic cache their own files.
import { z } from 'zod';
import { ARTEFACT_VERSION } from '../routing/artefact-version.js';
import { DEPLOYMENT_TYPES } from './deployment-kinds.js';
import { deploymentSchema, rateLimitSchema } from './deployment-schema.js';
import { batchSchema } from './batch-schema.js';
import { circuitBreakerSchema } from './circuit-breaker-schema.js';
import { realtimeSchema } from './realtime-schema.js';
import { responsesSchema } from './responses-schema.js';
import { budgetsSchema, contentFilterSchema, rateLimitsSchema } from './governance-schema.js';
import { cacheSchema, requestLogSchema, stateSchema } from './store-schema.js';
import { allowedIpsSchema, serverSchema } from './server-schema.js';
import { TENANT_MAX_LENGTH, keyNameSchema, tenantSchema } from './key-text-schema.js';

export const ROUTING_MODES = ['balanced', 'quality', 'cost'] as const;

/** The range a router's bands take (config's `bands`, and `eval --balanced-band/--cost-band`). */
export const BAND_RANGE = { min: -2, max: 1.5 } as const;

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
      ARTEFACT_VERSION,
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
        .min(BAND_RANGE.min)
        .max(BAND_RANGE.max)
        .optional()
        .describe(
          "Balanced band. Under the artefact's `tradeoff` rule (artefacts 2026-11-30 … 2026-11-30f) each candidate is charged 1 − band of the best single model's average quality per unit of the strongest candidate's cost, and the best net quality wins (1: quality alone; lower: cheaper); under `tradeoff-margin` (from 2026-12-01) a candidate other than the strongest also gives up Quality mode's calibrated margin. Under the `ratio` rule: the cheapest model predicted within this fraction of the strongest's quality.",
        ),
      cost: z
        .number()
        .min(BAND_RANGE.min)
        .max(BAND_RANGE.max)
        .optional()
        .describe(
          "Cost band (below balanced: a bigger charge on cost). Not above `balanced` (refused); a `balanced` set here under the artefact's Cost band takes Cost down with it, so Cost never routes dearer than Balanced.",
        ),
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
      balancedHolds: z
        .boolean()
        .optional()
        .describe(
          "true: Balanced serves the strongest candidate wherever it is eligible (the others are its fallbacks), saving nothing; false: it routes by its band. Default: the artefact's verdict (true where `model-router calibrate-bands` found that no band kept 99% of the best single model's quality on your scored prompts), unless `balanced` is set here, which is routed by.",
        ),
      costHolds: z
        .boolean()
        .optional()
        .describe('The same for Cost mode (true where no band kept 95% on the scored prompts).'),
    })
    // A lower band is a cheaper routing: Cost above Balanced would route Cost dearer than
    // Balanced (routing audit, 2026-12-06: accepted without a word).
    .refine((b) => b.balanced === undefined || b.cost === undefined || b.cost <= b.balanced, {
      message:
        'cost must not be above balanced: a lower band routes cheaper, so Cost above Balanced would route dearer than Balanced',
      path: ['cost'],
    })
    .optional()
    .describe('Override the artefact\'s calibrated bands (docs/routing.md, "Modes").'),
  rateLimit: rateLimitSchema
    .default({ rpm: 250, tpm: 250_000 })
    .describe(
      'Limits for this router across all callers. Default without the key: 250 RPM and 250,000 TPM. A `rateLimit` you write replaces both (its keys have no defaults), so `{rpm: 100}` leaves TPM unlimited.',
    ),
  cache: z
    .boolean()
    .default(true)
    .describe(
      'false: this router never answers from the answer cache nor keeps answers in it, even with `cache.enabled` (say, where repeated questions want fresh samples).',
    ),
});

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
  tenant: tenantSchema.describe(
    `Tenant the key's spend and limits are attributed to: printable text of at most ${TENANT_MAX_LENGTH} characters, with no space at its start or end (no control character or lone surrogate).`,
  ),
  admin: z.boolean().default(false).describe('May use the admin API and the dashboard.'),
  scopes: z
    .array(keyNameSchema)
    .default(['*'])
    .describe(
      'Router or deployment names this key may use; `*` for all (each at most 256 characters of printable text).',
    ),
  expiresAt: z
    .string()
    .datetime()
    .optional()
    .describe('ISO-8601 time after which the key is refused.'),
  maxRoutingMode: z
    .enum(ROUTING_MODES)
    .optional()
    .describe(
      "The costliest mode this key may ask for with `x-router-mode` (cost < balanced < quality). A higher mode asked for, or a router's higher default, is lowered to it, and `x-router-warnings` and the decision receipt's reason say so.",
    ),
  modelSubset: z
    .array(keyNameSchema)
    .optional()
    .describe(
      "Narrows the router's subset for this key (never widens it); each name at most 256 characters of printable text.",
    ),
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

export const configSchema = z.strictObject({
  // JSON configs name their schema this way (editors read it); YAML ones may too.
  $schema: z
    .string()
    .optional()
    .describe(
      "The config's JSON Schema, for editors (`docs/config.schema.json`, a path or URL); the router ignores it.",
    ),
  server: serverSchema,
  auth: z
    .strictObject({
      mode: z
        .enum(['none', 'keys'])
        .default('none')
        .describe('`none`: open endpoint (local demo); `keys`: every request needs a key.'),
      adminKeyEnv: z
        .string()
        .optional()
        .describe(
          'Env var holding a bootstrap admin key (plain text, only in the environment). Unset: `MODEL_ROUTER_ADMIN_KEY` when that is set. Set but the variable missing: a one-off admin key is made and printed at start.',
        ),
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
  circuitBreaker: circuitBreakerSchema,
  routing: z
    .strictObject({
      modelsDir: z
        .string()
        .optional()
        .describe(
          "Folder with routing artefacts (`<version>.json`); the package's `models/` when unset. A relative path is read from the router's current directory. A folder that is not there is refused (every router would fall back to the cheapest capable model).",
        ),
    })
    .default({})
    .describe('The routing model.'),
  state: stateSchema,
  requestLog: requestLogSchema,
  cache: cacheSchema,
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
  contentFilter: contentFilterSchema,
  rateLimits: rateLimitsSchema,
  budgets: budgetsSchema,
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

/** The admin key's variable when the config names none (`auth.adminKeyEnv`). */
export const DEFAULT_ADMIN_KEY_ENV = 'MODEL_ROUTER_ADMIN_KEY';
