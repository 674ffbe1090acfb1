// The config schema: the single source of truth for what the router accepts. Strict everywhere:
// an unknown key is an error whose message gives its path (STYLE.md principle 4).
import { z } from 'zod';

export const PROVIDER_KINDS = [
  'openai',
  'azure',
  'openai-compatible',
  'anthropic',
  'simulated',
] as const;
export const ROUTING_MODES = ['balanced', 'quality', 'cost'] as const;
export const DEPLOYMENT_TYPES = ['GlobalStandard', 'DataZoneStandard', 'Standard'] as const;

const rateLimitSchema = z.strictObject({
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
});

const pricesSchema = z.strictObject({
  /** USD per 1M input tokens. */
  inputPer1M: z.number().nonnegative(),
  /** USD per 1M cached input tokens; defaults to the input price. */
  cachedInputPer1M: z.number().nonnegative().optional(),
  /** USD per 1M output tokens (reasoning tokens are billed as output). */
  outputPer1M: z.number().nonnegative(),
});

const capabilitiesSchema = z.strictObject({
  tools: z.boolean().default(true),
  vision: z.boolean().default(false),
  jsonSchema: z.boolean().default(true),
  reasoning: z.boolean().default(false),
  streaming: z.boolean().default(true),
  /** Native `/responses` support upstream; otherwise the Responses API is bridged to chat. */
  responsesApi: z.boolean().default(false),
});

/** How a simulated model behaves: deterministic for a given request and seed. */
const simulationSchema = z.strictObject({
  ttftMs: z.number().nonnegative().default(0),
  tokensPerSecond: z.number().positive().default(1000),
  /** Style of generated answers. */
  style: z.enum(['concise', 'detailed', 'echo', 'code']).default('concise'),
  /** Typical answer length in tokens (varies deterministically per prompt). */
  answerTokens: z.number().int().positive().default(40),
  /** Fraction of prompt tokens reported as cached (usage.prompt_tokens_details.cached_tokens). */
  cachedFraction: z.number().min(0).max(1).default(0),
  /** Reasoning tokens reported per answer (reasoning models). */
  reasoningTokens: z.number().int().nonnegative().default(0),
  /** Answer with a tool call when the request offers tools (and tool_choice allows it). */
  toolCalls: z.boolean().default(true),
  /** Injected failures; `rate` is the fraction of requests that fail this way (deterministic). */
  failure: z
    .strictObject({
      kind: z
        .enum(['none', '429', '500', 'timeout', 'drop-mid-stream', 'slow-first-token'])
        .default('none'),
      rate: z.number().min(0).max(1).default(1),
      /** For 'slow-first-token' and 'timeout': how long to stall, ms. */
      delayMs: z.number().nonnegative().default(30_000),
      retryAfterSeconds: z.number().nonnegative().default(1),
    })
    .default({ kind: 'none', rate: 1, delayMs: 30_000, retryAfterSeconds: 1 }),
});

export const deploymentSchema = z.strictObject({
  /** The name clients send as `model` (or in the Azure path). */
  name: z.string().min(1),
  provider: z.enum(PROVIDER_KINDS),
  /** The model name sent upstream (Azure: the upstream deployment name). */
  model: z.string().min(1),
  baseUrl: z.string().url().optional(),
  /** Name of the environment variable holding the upstream API key; secrets never live in config. */
  apiKeyEnv: z.string().min(1).optional(),
  /** Azure dated api-version used upstream. */
  apiVersion: z.string().optional(),
  prices: pricesSchema,
  contextWindow: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  capabilities: capabilitiesSchema.default({
    tools: true,
    vision: false,
    jsonSchema: true,
    reasoning: false,
    streaming: true,
    responsesApi: false,
  }),
  region: z.string().default('local'),
  dataZone: z.string().default('global'),
  deploymentType: z.enum(DEPLOYMENT_TYPES).default('GlobalStandard'),
  /** Routing model: treat this deployment like a model the routing artefact knows. */
  like: z.string().optional(),
  /** Routing model: added to the predicted quality of `like` (e.g. -0.02). */
  qualityOffset: z.number().min(-1).max(1).default(0),
  /** Give up on this deployment when no first token arrived in time (failover). */
  firstTokenTimeoutMs: z.number().int().positive().default(30_000),
  /** Whole-request timeout for non-streaming calls. */
  timeoutMs: z.number().int().positive().default(600_000),
  rateLimit: rateLimitSchema.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  simulation: simulationSchema.optional(),
});

export const routerSchema = z.strictObject({
  name: z.string().min(1).default('model-router'),
  routingMode: z.enum(ROUTING_MODES).default('balanced'),
  /** The only deployments this router may pick; never widened automatically. */
  modelSubset: z.array(z.string().min(1)).min(1),
  /** Routing artefact version (e.g. `2026-11-24`); `latest` picks the newest shipped. */
  version: z.string().default('latest'),
  deploymentType: z.enum(DEPLOYMENT_TYPES).default('GlobalStandard'),
  /** For DataZoneStandard: the zone requests and failovers never leave. */
  dataZone: z.string().optional(),
  /** Override the artefact's calibrated quality bands (fraction of the best predicted quality). */
  bands: z
    .strictObject({
      balanced: z.number().min(0).max(1).optional(),
      cost: z.number().min(0).max(1).optional(),
    })
    .optional(),
  rateLimit: rateLimitSchema.default({ rpm: 250, tpm: 250_000 }),
});

const apiKeySchema = z.strictObject({
  id: z.string().min(1),
  /** sha256 hex of the key; plain keys never appear in config. */
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'),
  tenant: z.string().min(1),
  admin: z.boolean().default(false),
  /** Router or deployment names this key may use; `*` for all. */
  scopes: z.array(z.string()).default(['*']),
  expiresAt: z.string().datetime().optional(),
  maxRoutingMode: z.enum(ROUTING_MODES).optional(),
  modelSubset: z.array(z.string()).optional(),
  rateLimit: rateLimitSchema.optional(),
  budget: z
    .strictObject({
      dailyUsd: z.number().positive().optional(),
      monthlyUsd: z.number().positive().optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024),
      /** Pino level; `silent` turns request logging off. */
      logLevel: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info'),
    })
    .default({ host: '127.0.0.1', port: 8080, bodyLimitBytes: 4 * 1024 * 1024, logLevel: 'info' }),
  auth: z
    .strictObject({
      /** `none`: open endpoint (local demo); `keys`: every request needs a key. */
      mode: z.enum(['none', 'keys']).default('none'),
      /** Env var holding a bootstrap admin key (plain text, only in the environment). */
      adminKeyEnv: z.string().optional(),
      keys: z.array(apiKeySchema).default([]),
    })
    .default({ mode: 'none', keys: [] }),
  deployments: z.array(deploymentSchema).min(1),
  routers: z.array(routerSchema).default([]),
  routing: z
    .strictObject({
      /** Folder with routing artefacts (`<version>.json`). */
      modelsDir: z.string().optional(),
    })
    .default({}),
  state: z
    .strictObject({
      kind: z.enum(['memory', 'redis']).default('memory'),
      redisUrl: z.string().optional(),
      /** When Redis is unreachable: keep serving with local limits (open) or refuse (closed). */
      onFailure: z.enum(['open', 'closed']).default('open'),
      /** Prefix of every Redis key and channel: replicas of one router share it. */
      prefix: z.string().min(1).default('mr:'),
      /** A Redis command slower than this counts as Redis being down (serve locally or refuse). */
      commandTimeoutMs: z.number().int().positive().default(200),
    })
    .default({ kind: 'memory', onFailure: 'open', prefix: 'mr:', commandTimeoutMs: 200 }),
  requestLog: z
    .strictObject({
      kind: z.enum(['sqlite', 'postgres', 'none']).default('sqlite'),
      sqlitePath: z.string().default('./data/requests.db'),
      postgresUrl: z.string().optional(),
      /** Keep prompt and answer text in the log (needed by `simulate`). */
      storeText: z.boolean().default(false),
      retentionDays: z.number().int().positive().default(30),
      /** Records buffered when the store is down before they are dropped (and counted). */
      maxBuffer: z.number().int().positive().default(10_000),
    })
    .default({
      kind: 'sqlite',
      sqlitePath: './data/requests.db',
      storeText: false,
      retentionDays: 30,
      maxBuffer: 10_000,
    }),
  contentFilter: z
    .strictObject({
      enabled: z.boolean().default(false),
      rules: z
        .array(
          z.strictObject({
            id: z.string().min(1),
            kind: z.enum(['keyword', 'regex', 'pii']),
            /** keyword: words; regex: patterns; pii: email | phone | card. */
            patterns: z.array(z.string()).min(1),
            action: z.enum(['block', 'redact', 'annotate']).default('block'),
            appliesTo: z.enum(['input', 'output', 'both']).default('both'),
          }),
        )
        .default([]),
      moderationUrl: z.string().url().optional(),
    })
    .default({ enabled: false, rules: [] }),
  budgets: z
    .strictObject({
      /** Fraction of a budget after which the tenant is shifted toward Cost mode. */
      shiftToCostAt: z.number().min(0).max(1).default(0.8),
      tenants: z
        .record(
          z.string(),
          z.strictObject({
            dailyUsd: z.number().positive().optional(),
            monthlyUsd: z.number().positive().optional(),
          }),
        )
        .default({}),
    })
    .default({ shiftToCostAt: 0.8, tenants: {} }),
  telemetry: z
    .strictObject({
      metrics: z.boolean().default(true),
      otlpEndpoint: z.string().url().optional(),
    })
    .default({ metrics: true }),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type RouterConfig = z.infer<typeof routerSchema>;
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;
export type RoutingMode = (typeof ROUTING_MODES)[number];
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export type SimulationConfig = z.infer<typeof simulationSchema>;
