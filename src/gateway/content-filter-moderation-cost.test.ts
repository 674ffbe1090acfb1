// The content filter's calls to one of the router's own moderation deployments
// (`contentFilter.moderationDeployment`, ModerationsGateway.classify) are paid for by the chat
// request they were made for: listed in its record's attempts (`lookup: 'content_filter'`), their
// cost in its `costUsd` and counted at the moderation deployment, in the usage summary by
// deployment, /metrics, the live deployment and tenant budgets and a budget seeded from the log;
// `x-router-attempts` and the served deployment stay the chat's. Before 2026-12-06 they counted
// nowhere. Real governance policies and content filter over simulated deployments.
import { describe, expect, it, vi } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { simModerationDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { collectPromptText } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { createContentFilter, type ContentFilter } from '../policy/content-filter.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { RequestRecord } from '../store/request-record.js';
import { usageSummary } from '../store/usage-summary.js';
import { metricsText, recordRequestMetrics, registry } from '../telemetry/metrics.js';
import type { GatewayPolicies, SettleInfo } from './gateway-types.js';
import { ModerationsGateway } from './moderations-gateway.js';
import { memoryBudgets, seededSpend } from '../../test/helpers/memory-budgets.js';

/** The moderation deployment's input price, USD per 1M tokens (OpenAI's is free; this one is not). */
const MOD_PRICE = 40;

/** What the moderation deployment charges for `texts`: each ≈4 characters a token. */
const moderationCost = (...texts: string[]) =>
  (texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0) * MOD_PRICE) / 1e6;

/**
 * The router with the content filter on a priced moderation deployment (`mod`, with a daily
 * budget), real governance policies (deployment and tenant budgets) whose settles are kept, and
 * the filter's classify call through a ModerationsGateway over the app's own parts. `slowMod`:
 * `mod` stalls 5 s before it answers (really waited, so stopped by the filter's 100 ms timeout).
 */
async function setup({ slowMod = false, cache = false } = {}) {
  const input = testConfigInput({
    contentFilter: { enabled: true, moderationDeployment: 'mod' },
    ...(cache ? { cache: { enabled: true, ttlSeconds: 600 } } : {}),
    budgets: { tenants: { default: { dailyUsd: 100 } }, tags: {} },
  });
  input.deployments.push(
    simModerationDeployment('mod', {
      prices: { inputPer1M: MOD_PRICE, outputPer1M: 0 },
      budget: { dailyUsd: 100 },
      ...(slowMod
        ? {
            simulation: {
              ttftMs: 0,
              tokensPerSecond: 1_000_000,
              failure: { kind: 'slow-first-token', rate: 1, delayMs: 5_000 },
            },
          }
        : {}),
    }),
  );
  const config = parseConfig(input, {}).config;
  const holder = new ConfigHolder(compileConfig(config));
  const { deploymentBudgets, tenantBudgets } = memoryBudgets(holder);
  // Built below, once the moderation gateway is (the policies come first).
  const current: { filter?: ContentFilter } = {};
  const governance = createGovernancePolicies({
    config: holder,
    deploymentBudgets,
    budgets: tenantBudgets,
    contentFilter: () => current.filter,
  });
  const settled: SettleInfo[] = [];
  const policies: GatewayPolicies = {
    ...governance,
    settle: (ctx, outcome) => {
      settled.push(outcome);
      governance.settle!(ctx, outcome);
    },
  };
  const adapters = simulatedAdapters(config);
  if (slowMod)
    adapters.mod = createSimulatedAdapter(config.deployments.find((d) => d.name === 'mod')!);
  const t = await buildTestApp(config, adapters, { policies });
  const moderations = new ModerationsGateway({
    config: t.config,
    adapters: { adapterFor: (d) => adapters[d.name]! },
    clock: t.clock,
    breakers: t.breakers,
    recorder: { record: () => {} },
    policies,
  });
  current.filter = createContentFilter(config.contentFilter, {
    moderationTimeoutMs: slowMod ? 100 : undefined,
    moderateWith: (name, text, signal, onCall) => moderations.classify(name, text, signal, onCall),
  });
  const mod = t.config.current.deployments.get('mod')!;
  /** What the moderation deployment's and the tenant's budgets count as spent today. */
  const spent = async () => {
    await vi.waitFor(() => expect(settled.length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 10)); // settle's budget writes are fire-and-forget
    await deploymentBudgets.refresh();
    return {
      mod: deploymentBudgets.lines(mod)[0]!.spentUsd,
      tenant: (await tenantBudgets.budgetState({ tenant: 'default' })).lines[0]!.spentUsd,
    };
  };
  return { t, settled, spent };
}

const chat = (content: string, stream = false) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: { model: 'model-router', messages: [{ role: 'user', content }], stream },
});

/** The text the filter sends the moderation model for a one-message prompt. */
const promptText = (content: string) =>
  collectPromptText({ model: '', messages: [{ role: 'user', content }] } as ChatRequest);

/** The record's content-filter calls, each at `mod`. */
const filterCalls = (r: RequestRecord) => r.attempts.filter((a) => a.lookup === 'content_filter');

/** What the record's content-filter calls cost. */
const filterCallsCost = (r: RequestRecord) =>
  filterCalls(r).reduce((n, a) => n + (a.costUsd ?? 0), 0);

/** What the usage summary by deployment counts at `key` for these records. */
async function summaryAt(records: RequestRecord[], key: string) {
  const summary = await usageSummary(
    { query: async () => records },
    { since: 0, until: Number.MAX_SAFE_INTEGER, by: 'deployment' },
  );
  return summary.groups.find((g) => g.key === key);
}

/** model_router_cost_usd_total at the deployment `name`, for this one record. */
async function metricCostAt(record: RequestRecord, name: string): Promise<number> {
  registry.resetMetrics();
  recordRequestMetrics(record);
  const line = new RegExp(
    `^model_router_cost_usd_total\\{[^}]*deployment="${name}"\\} (\\S+)$`,
    'm',
  );
  return Number(line.exec(await metricsText())?.[1] ?? 0);
}

describe("the content filter's moderation calls count in the chat request they were made for", () => {
  it('a JSON answer: the prompt and the answer checked at mod, in the record, summary, metrics, live and seeded budgets; the chat attempt and served deployment unchanged', async () => {
    const { t, settled, spent } = await setup();
    const content = 'What is the capital of France? Please answer in one short sentence.';
    const res = await t.app.inject(chat(content));
    expect(res.statusCode).toBe(200);
    const answer = res.json().choices[0].message.content as string;
    expect(answer.length).toBeGreaterThan(0);
    // A lookup is not a chat attempt: the headers and the served deployment are the chat's.
    expect(res.headers['x-router-attempts']).toBe('1');
    const served = String(res.headers['x-router-deployment']);
    expect(['big', 'mid', 'small']).toContain(served);
    const record = t.records.at(-1)!;
    expect(record.deployment).toBe(served);
    expect(record.attempts.filter((a) => !a.lookup)).toEqual([
      expect.objectContaining({ deployment: served, outcome: 'ok' }),
    ]);
    const calls = filterCalls(record);
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'ok'],
      ['mod', 'ok'],
    ]);
    const expected = moderationCost(promptText(content), answer);
    expect(calls[0]!.costUsd! + calls[1]!.costUsd!).toBeCloseTo(expected, 15);
    expect(record.costUsd).toBeGreaterThan(expected); // the chat answer's own cost besides
    expect(record.usageEstimated).toBe(true);
    expect(settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
    // Counted where it was made: the summary by deployment, /metrics, the live budgets.
    const atMod = await summaryAt([record], 'mod');
    expect(atMod?.costUsd).toBeCloseTo(expected, 15);
    const atServed = await summaryAt([record], served);
    expect(atServed?.costUsd).toBeCloseTo(record.costUsd - expected, 15);
    expect(await metricCostAt(record, 'mod')).toBeCloseTo(expected, 15);
    const live = await spent();
    expect(live.mod).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(record.costUsd, 12);
    expect(await seededSpend(record, t.clock, t.config, 'mod')).toBeCloseTo(expected, 12);
  });

  it('a prompt the moderation model blocks: the 400 costs its call, at mod', async () => {
    const { t, settled, spent } = await setup();
    const content = 'I want to kill them.';
    const res = await t.app.inject(chat(content));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('content_filter');
    const record = t.records.at(-1)!;
    const expected = moderationCost(promptText(content));
    expect(record.attempts).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', lookup: 'content_filter' }),
    ]);
    expect(record.costUsd).toBeCloseTo(expected, 15);
    expect(record.deployment ?? '').toBe(''); // no chat deployment was called
    expect(settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect(await metricCostAt(record, 'mod')).toBeCloseTo(expected, 15);
    const live = await spent();
    expect(live.mod).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(expected, 12);
    expect(await seededSpend(record, t.clock, t.config, 'mod')).toBeCloseTo(expected, 12);
  });

  it('a streamed answer: the prompt and the whole answer checked at mod, counted there', async () => {
    const { t, spent } = await setup();
    const content = 'Name three rivers of Europe, briefly.';
    const res = await t.app.inject(chat(content, true));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-attempts']).toBe('1');
    await vi.waitFor(() => expect(t.records).toHaveLength(1));
    const record = t.records[0]!;
    const calls = filterCalls(record);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((a) => a.deployment === 'mod' && (a.costUsd ?? 0) > 0)).toBe(true);
    const expected = calls.reduce((n, a) => n + a.costUsd!, 0);
    expect(calls[0]!.costUsd).toBeCloseTo(moderationCost(promptText(content)), 15);
    expect(record.costUsd).toBeGreaterThan(expected);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await spent()).mod).toBeCloseTo(expected, 12);
  });

  it("a moderation call the filter's timeout stopped with the text sent: not blocking, but charged the text at mod", async () => {
    const { t, spent } = await setup({ slowMod: true });
    const content = 'Which is the longest river of Africa?';
    const res = await t.app.inject(chat(content));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-attempts']).toBe('1');
    const record = t.records.at(-1)!;
    const calls = filterCalls(record);
    // The prompt's call, then the answer's: each stopped at 100 ms with its text sent.
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'aborted'],
      ['mod', 'aborted'],
    ]);
    const answer = res.json().choices[0].message.content as string;
    const expected = moderationCost(promptText(content), answer);
    expect(calls[0]!.costUsd! + calls[1]!.costUsd!).toBeCloseTo(expected, 15);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await spent()).mod).toBeCloseTo(expected, 12);
  });

  it('an answer from the cache: its prompt and answer checked at mod, settled with them', async () => {
    const { t, settled, spent } = await setup({ cache: true });
    const content = 'What is the boiling point of water at sea level?';
    expect((await t.app.inject(chat(content))).statusCode).toBe(200);
    const first = t.records.at(-1)!;
    const hit = await t.app.inject(chat(content));
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['x-router-cache']).toBe('hit');
    expect(hit.headers['x-router-attempts']).toBe('0');
    const record = t.records.at(-1)!;
    expect(record.cache).toBe('hit');
    const calls = filterCalls(record);
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'ok'],
      ['mod', 'ok'],
    ]);
    const answer = hit.json().choices[0].message.content as string;
    const expected = moderationCost(promptText(content), answer);
    expect(record.costUsd).toBeCloseTo(expected, 15); // a hit costs nothing else
    expect(settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    expect((await spent()).mod).toBeCloseTo(expected + filterCallsCost(first), 12);
  });
});
