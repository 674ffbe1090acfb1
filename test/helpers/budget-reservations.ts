// Helpers for the budget-reservation tests (test/budget-reservations.e2e.test.ts, and on Redis
// test/redis/budget-reservations-redis.test.ts): a router with a budgeted tenant whose request
// records are kept, the budget as the API shows it, and the log's total in nano-dollars.
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { simDeployment, testConfigInput } from './test-config.js';

type Simulation = NonNullable<ConfigInput['deployments'][number]['simulation']>;

export interface BudgetedRouter {
  rt: Runtime;
  records: RequestRecord[];
}

/** One deployment behind `model-router`, the default tenant limited to `dailyUsd` a day. */
export async function budgetedRouter(
  dailyUsd: number,
  simulation: Partial<Simulation> = {},
  overrides: Partial<ConfigInput> = {},
): Promise<BudgetedRouter> {
  const records: RequestRecord[] = [];
  const input = testConfigInput({
    deployments: [
      simDeployment('slow', {
        prices: { inputPer1M: 10, outputPer1M: 30 },
        simulation: { ttftMs: 150, tokensPerSecond: 1_000_000, answerTokens: 20, ...simulation },
      }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['slow'] }],
    budgets: { shiftToCostAt: 0.8, tenants: { default: { dailyUsd } }, tags: {} },
    ...overrides,
  });
  const rt = await createRuntime(parseConfig(input, {}).config, {
    recorder: { record: (r) => records.push(r) },
  });
  return { rt, records };
}

export const PROMPT = {
  model: 'model-router',
  max_tokens: 40,
  messages: [{ role: 'user', content: 'Write a haiku about rain.' }],
};

export const ask = (rt: Runtime, extra: object = {}) =>
  rt.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...PROMPT, ...extra } });

interface BudgetView {
  spent_usd: number;
  reserved_usd?: number;
  limit_usd: number;
}

/** The tenant's daily budget as GET /v1/router/key shows it. */
export async function dayBudget(rt: Runtime): Promise<BudgetView> {
  const res = await rt.app.inject({ url: '/v1/router/key' });
  const body = res.json() as { budgets: (BudgetView & { scope: string; period: string })[] };
  return body.budgets.find((b) => b.scope === 'tenant' && b.period === 'day')!;
}

/** What the request log says was spent, in the counters' nano-dollars (each record rounded). */
export const loggedNano = (records: readonly RequestRecord[]) =>
  records.reduce((sum, r) => sum + Math.round(r.costUsd * 1e9), 0);

/**
 * Reads until `holds` says yes or `ms` pass; returns the last value read. The budget only bounds
 * how long a failure takes to show: wide, so a loaded machine's stalls cannot use it up.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  holds: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  let v = await read();
  while (!holds(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
    v = await read();
  }
  return v;
}

/**
 * Spends the rest of the budget one request at a time and returns the refusal's exact figures
 * (the 429's `budget` carries the counters unrounded).
 */
export async function spendToRefusal(
  rt: Runtime,
): Promise<{ spentNano: number; reserved?: number }> {
  for (let i = 0; i < 50; i++) {
    const res = await ask(rt);
    if (res.statusCode === 429) {
      const b = (res.json() as { error: { budget: { spent_usd: number; reserved_usd?: number } } })
        .error.budget;
      return { spentNano: Math.round(b.spent_usd * 1e9), reserved: b.reserved_usd };
    }
    expect(res.statusCode, res.body).toBe(200);
  }
  throw new Error('never refused');
}
