// Budgets seeded from the request log hold what live counting had: after a restart with in-memory
// state, a deployment's budget counts each upstream call's cost where it was made (a first try
// charged though it timed out at its own deployment, the rest at the one that served), as the
// governance policies charge it live; a tenant's budget counts whole requests, every try, as its
// client pays for them. On the real SQLite and PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import type { AdmitContext } from '../gateway/gateway-types.js';
import { BudgetTracker } from '../policy/budget.js';
import { DeploymentBudgets } from '../policy/deployment-budget.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';
import { MemoryState } from './memory/memory-state.js';
import type { RequestLogStore } from './request-log.js';
import type { AttemptRecord, RequestRecord } from './request-record.js';
import { spendHistory } from './spend-history.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';
import { dropSchema, PG_URL, pgAvailable } from '../../test/helpers/postgres.js';

// Midday: the day's requests are all in the day's counter.
const NOW = Date.UTC(2027, 2, 10, 12);

const config = parseConfig({
  deployments: ['slow', 'fast', 'spare'].map((name) => ({
    name,
    provider: 'simulated',
    model: name,
    prices: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 100_000,
    maxOutputTokens: 1000,
    budget: { dailyUsd: 100 },
  })),
  routers: [{ name: 'r', modelSubset: ['slow', 'fast', 'spare'] }],
  budgets: { tenants: { acme: { dailyUsd: 100 } } },
}).config;

const timedOut = (deployment: string, costUsd: number): AttemptRecord => ({
  deployment,
  model: deployment,
  outcome: 'error',
  httpStatus: 504,
  errorCode: 'upstream_timeout',
  latencyMs: 30_000,
  costUsd,
});
const answered = (deployment: string): AttemptRecord => ({
  deployment,
  model: deployment,
  outcome: 'ok',
  latencyMs: 800,
});

/** What the gateway settles and logs for one request: whole cost, deployment, attempts. */
interface Request {
  deployment?: string;
  costUsd: number;
  status: number;
  attempts: AttemptRecord[];
}

const REQUESTS: Request[] = [
  // Timed out at slow ($0.2 of prompt), answered by fast: $0.5 in all.
  {
    deployment: 'fast',
    costUsd: 0.5,
    status: 200,
    attempts: [timedOut('slow', 0.2), answered('fast')],
  },
  // Answered by fast at once.
  { deployment: 'fast', costUsd: 0.1, status: 200, attempts: [answered('fast')] },
  // Timed out at slow, passed over spare, answered by slow on the retry: all of it slow's.
  {
    deployment: 'slow',
    costUsd: 0.35,
    status: 200,
    attempts: [
      timedOut('slow', 0.05),
      { deployment: 'spare', model: 'spare', outcome: 'skipped', latencyMs: 0 },
      answered('slow'),
    ],
  },
  // Timed out at fast, then at spare: no answer. The record names spare, the last called; the
  // settle names none.
  {
    deployment: undefined,
    costUsd: 0.07,
    status: 504,
    attempts: [timedOut('fast', 0.04), timedOut('spare', 0.03)],
  },
];

const LOGGED: RequestRecord[] = REQUESTS.map((r, i) => ({
  time: NOW - 3_600_000 + i,
  requestId: `req_${i}`,
  endpoint: 'chat',
  tenant: 'acme',
  deployment: r.deployment ?? r.attempts.at(-1)!.deployment,
  servedModel: r.status === 200 ? r.deployment : undefined,
  attempts: r.attempts,
  stream: false,
  promptTokens: 1000,
  cachedTokens: 0,
  completionTokens: 100,
  reasoningTokens: 0,
  costUsd: r.costUsd,
  baselineCostUsd: r.costUsd,
  latencyMs: 1000,
  status: r.status,
}));

/** Budgets counting on fresh in-memory state (a restart), and the policies that charge them. */
function budgets() {
  const clock = createManualClock(NOW);
  const state = new MemoryState(clock);
  const holder = new ConfigHolder(compileConfig(config));
  const deploymentBudgets = new DeploymentBudgets({
    state,
    clock,
    deployments: () => holder.current.config.deployments,
  });
  const tracker = new BudgetTracker({ state, clock, budgets: () => holder.current.config.budgets });
  const policies = createGovernancePolicies({
    config: holder,
    deploymentBudgets,
    budgets: tracker,
  });
  const spent = async () => {
    await deploymentBudgets.refresh();
    const at = Object.fromEntries(
      ['slow', 'fast', 'spare'].map((n) => [
        n,
        round(deploymentBudgets.lines(holder.current.deployments.get(n)!)[0]!.spentUsd),
      ]),
    );
    const tenant = (await tracker.budgetState({ tenant: 'acme' })).lines[0]!.spentUsd;
    return { ...at, tenant: round(tenant) };
  };
  return { holder, policies, deploymentBudgets, tracker, spent };
}

const round = (usd: number) => Number(usd.toFixed(9));

/** What live counting has once the requests settled. */
async function liveCounts() {
  const live = budgets();
  for (const r of REQUESTS) {
    const ctx = {
      promptTokens: 1000,
      target: { kind: 'router', router: live.holder.current.routers.get('r')! },
      call: { request: { model: 'r', messages: [] }, auth: { tenant: 'acme' } },
    } as unknown as AdmitContext;
    live.policies.settle!(ctx, {
      deployment: r.deployment ? live.holder.current.deployments.get(r.deployment) : undefined,
      costUsd: r.costUsd,
      status: r.status,
      attempts: r.attempts,
    });
  }
  await new Promise((r) => setTimeout(r, 10)); // settle is fire-and-forget
  return live.spent();
}

function expectSeededAsLive(store: () => RequestLogStore): void {
  it('a restart seeds each budget to what live counting had', async () => {
    const live = await liveCounts();
    // Each call where it was made; the tenant pays for every try.
    expect(live).toEqual({ slow: 0.55, fast: 0.44, spare: 0.03, tenant: 1.02 });
    const restarted = budgets();
    const history = spendHistory(store())!;
    restarted.deploymentBudgets.useHistory(history);
    restarted.tracker.useHistory(history);
    expect(await restarted.spent()).toEqual(live);
  });
}

describe('SQLite: budgets seeded from the request log', () => {
  let store: RequestLogStore;
  beforeAll(async () => {
    store = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-spend-')), 'r.db'));
    await store.migrate();
    await store.insert(LOGGED);
  });
  afterAll(() => store.close());
  expectSeededAsLive(() => store);
});

const havePg = await pgAvailable('the PostgreSQL spend history tests');

describe.skipIf(!havePg)('PostgreSQL: budgets seeded from the request log', () => {
  const schema = `mr_spend_h1_test_${process.pid}_${Date.now()}`;
  let store: RequestLogStore;
  beforeAll(async () => {
    store = createPostgresRequestStore(PG_URL, { schema });
    await store.migrate();
    await store.insert(LOGGED);
  });
  afterAll(async () => {
    await store.close();
    await dropSchema(schema);
  });
  expectSeededAsLive(() => store);
});
