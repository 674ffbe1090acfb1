// A budget starts from the spend the request log already has for its period, not from $0: after a
// restart with in-memory state (which loses the counters), and when the budget is added after the
// spend. Two routers on one real SQLite request log, one after the other.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-budget-history-'));
const sqlitePath = join(dir, 'requests.db');

async function router(dailyUsd?: number, path = sqlitePath): Promise<Runtime> {
  const input = testConfigInput({
    requestLog: { kind: 'sqlite', sqlitePath: path },
    ...(dailyUsd ? { budgets: { tenants: { default: { dailyUsd } } } } : {}),
  });
  return createRuntime(parseConfig(input, {}).config);
}

/** The test fleet with a daily budget on `big` (the deployment `model: big` calls). */
async function budgetedBig(dailyUsd: number | undefined, path: string): Promise<Runtime> {
  const input = testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: path } });
  input.deployments = [
    simDeployment('big', {
      prices: { inputPer1M: 10, outputPer1M: 30 },
      ...(dailyUsd ? { budget: { dailyUsd } } : {}),
    }),
    ...input.deployments.slice(1),
  ];
  return createRuntime(parseConfig(input, {}).config);
}

const ask = (rt: Runtime) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: { model: 'big', messages: [{ role: 'user', content: 'Write a haiku about rain.' }] },
  });

describe('a budget met for the first time', () => {
  it("counts the period's spend the request log has, after a restart or when added late", async () => {
    // The spend, with no budget (so no counter): three answers.
    const first = await router();
    for (let i = 0; i < 3; i++) expect((await ask(first)).statusCode).toBe(200);
    await first.close();

    // Restarted with a daily budget below that spend: refused on its first request.
    const tight = await router(1e-7);
    const refused = await ask(tight);
    expect(refused.statusCode, refused.body).toBe(429);
    const { error } = refused.json() as {
      error: { code: string; budget: { spent_usd: number; limit_usd: number } };
    };
    expect(error.code).toBe('budget_exceeded');
    const spent = error.budget.spent_usd;
    expect(spent).toBeGreaterThan(1e-7);
    await tight.close();

    // A budget of 2.5 times that spend (7.5 answers of the same prompt, each costing a third of
    // it): counting on from the three already spent, it serves five more (at 3 to 7 answers'
    // spend) and refuses the sixth; counting from $0 it served eight.
    const roomy = await router(spent * 2.5);
    let served = 0;
    let last;
    while ((last = await ask(roomy)).statusCode === 200 && served < 20) served++;
    expect(last.statusCode).toBe(429);
    expect(served).toBe(5);
    await roomy.close();
  }, 60_000);

  it("a deployment's budget counts what the request log says it served today", async () => {
    const path = join(dir, 'deployment.db');
    const first = await budgetedBig(undefined, path);
    for (let i = 0; i < 3; i++) expect((await ask(first)).statusCode).toBe(200);
    await first.close();
    const spent = await (async () => {
      const rt = await router(undefined, path);
      const usage = await rt.app.inject({ url: '/v1/router/usage?since=1d&deployment=big' });
      await rt.close();
      expect(usage.statusCode, usage.body).toBe(200);
      const body = usage.json() as { requests: number; costUsd: number };
      expect(body.requests).toBe(3);
      return body.costUsd;
    })();
    expect(spent).toBeGreaterThan(0);

    // Restarted with a budget of 2.5 times that spend: five more answers, then `big` is used up
    // and a direct call is refused (counting from $0 it served eight).
    const roomy = await budgetedBig(spent * 2.5, path);
    let served = 0;
    let last;
    while ((last = await ask(roomy)).statusCode === 200 && served < 20) served++;
    expect(last.statusCode, last.body).toBe(429);
    expect((last.json() as { error: { code: string } }).error.code).toBe('budget_exceeded');
    expect(served).toBe(5);
    await roomy.close();
  }, 60_000);
});
