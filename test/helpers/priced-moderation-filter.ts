// The router with its content filter on a priced moderation deployment (`mod`,
// `contentFilter.moderationDeployment`), real governance policies (deployment and tenant budgets,
// live in memory) whose settles are kept, and the filter's calls made through a ModerationsGateway
// over the app's own parts: what the cost suites of the filter's calls share.
import type { BatchCallers } from '../../src/batch/batch-caller.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigHolder, compileConfig } from '../../src/config/runtime-config.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { collectPromptText } from '../../src/core/prompt-text.js';
import type { ChatRequest } from '../../src/core/wire-types.js';
import type { SettleInfo } from '../../src/gateway/gateway-types.js';
import { ModerationsGateway } from '../../src/gateway/moderations-gateway.js';
import { createContentFilter, type ContentFilter } from '../../src/policy/content-filter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createResponseStore } from '../../src/store/response-store.js';
import { usageSummary } from '../../src/store/usage-summary.js';
import { metricsText, recordRequestMetrics, registry } from '../../src/telemetry/metrics.js';
import { buildTestApp, simulatedAdapters } from './build-test-app.js';
import { governedBudgets } from './memory-budgets.js';
import { simModerationDeployment, testConfigInput } from './test-config.js';

type DeploymentInput = ConfigInput['deployments'][number];

/** The moderation deployment's input price, USD per 1M tokens (OpenAI's is free; this one is not). */
export const MOD_PRICE = 40;

/** What the moderation deployment charges for `texts`: each ≈4 characters a token. */
export const moderationCost = (...texts: string[]) =>
  (texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0) * MOD_PRICE) / 1e6;

/** The text the filter sends the moderation model for prompts of these user messages. */
export const promptText = (...contents: string[]) =>
  collectPromptText({
    model: '',
    messages: contents.map((content) => ({ role: 'user', content })),
  } as ChatRequest);

/** The record's content-filter calls. */
export const filterCalls = (r: RequestRecord) =>
  r.attempts.filter((a) => a.lookup === 'content_filter');

/** What the usage summary by deployment counts at `key` for these records. */
export async function summaryAt(records: RequestRecord[], key: string) {
  const summary = await usageSummary(
    { query: async () => records },
    { since: 0, until: Number.MAX_SAFE_INTEGER, by: 'deployment' },
  );
  return summary.groups.find((g) => g.key === key);
}

/** model_router_cost_usd_total at the deployment `name`, for this one record. */
export async function metricCostAt(record: RequestRecord, name: string): Promise<number> {
  registry.resetMetrics();
  recordRequestMetrics(record);
  const line = new RegExp(
    `^model_router_cost_usd_total\\{[^}]*deployment="${name}"\\} (\\S+)$`,
    'm',
  );
  return Number(line.exec(await metricsText())?.[1] ?? 0);
}

export interface PricedModerationOptions {
  /** Deployments besides the test fleet and `mod`. */
  deployments?: DeploymentInput[];
  /** `mod`'s simulation (its latency or faults); instant by default. */
  modSimulation?: DeploymentInput['simulation'];
  /** Fields of `mod` in place of the simulated model's (a loopback upstream's provider, URL). */
  modDeployment?: Partial<DeploymentInput>;
  /** The filter's moderation timeout (ms). */
  moderationTimeoutMs?: number;
  overrides?: Partial<ConfigInput>;
  /** Told of each settle, as it happens. */
  onSettle?: (outcome: SettleInfo) => void;
  /** Batch lines' one-time callers, for lines sent through the app as the batch runner does. */
  batchCallers?: BatchCallers;
  /** Serve the Responses API too. */
  responses?: boolean;
  /** Adapters in place of the simulated ones (which never sleep), by deployment. */
  adapters?: (
    simulated: Record<string, ProviderAdapter>,
    config: Config,
  ) => Record<string, ProviderAdapter>;
}

export async function pricedModerationApp(opts: PricedModerationOptions = {}) {
  const input = testConfigInput({
    contentFilter: { enabled: true, moderationDeployment: 'mod' },
    budgets: { tenants: { default: { dailyUsd: 100 } }, tags: {} },
    ...opts.overrides,
  });
  input.deployments.push(
    simModerationDeployment('mod', {
      prices: { inputPer1M: MOD_PRICE, outputPer1M: 0 },
      budget: { dailyUsd: 100 },
      ...(opts.modSimulation ? { simulation: opts.modSimulation } : {}),
      ...opts.modDeployment,
    }),
    ...(opts.deployments ?? []),
  );
  const config = parseConfig(input, {}).config;
  const holder = new ConfigHolder(compileConfig(config));
  // Built below, once the moderation gateway is (the policies come first).
  const current: { filter?: ContentFilter } = {};
  const budgets = governedBudgets(holder, {
    contentFilter: () => current.filter,
    onSettle: opts.onSettle,
  });
  const { policies, settled } = budgets;
  const simulated = simulatedAdapters(config);
  const adapters = opts.adapters ? opts.adapters(simulated, config) : simulated;
  const t = await buildTestApp(config, adapters, {
    policies,
    ...(opts.batchCallers ? { batchCallers: opts.batchCallers } : {}),
    ...(opts.responses ? { responses: createResponseStore(100) } : {}),
  });
  const moderations = new ModerationsGateway({
    config: t.config,
    adapters: { adapterFor: (d) => adapters[d.name]! },
    clock: t.clock,
    breakers: t.breakers,
    recorder: { record: () => {} },
    policies,
  });
  current.filter = createContentFilter(config.contentFilter, {
    moderationTimeoutMs: opts.moderationTimeoutMs,
    moderateWith: (name, text, signal, onCall) => moderations.classify(name, text, signal, onCall),
  });
  /** What `deployment`'s budget and the tenant's count as spent today, once settled. */
  const spent = async (deployment = 'mod') => {
    const { deployment: at, tenant } = await budgets.spent(deployment);
    return { at, tenant };
  };
  return { t, settled, spent, policies, adapters, moderations };
}
