// Deployment budgets on the real Redis: what one replica spends on a deployment is read by the
// other at its next refresh, in exact nano-dollars, and the deployment is used up for both.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { DeploymentBudgets, REFRESH_MS } from '../../src/policy/deployment-budget.js';
import { redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('deployment-budget');

describe.skipIf(!suite.available)('deployment budgets on Redis', () => {
  it("one replica's spend uses the deployment up for the other", async () => {
    const clock = createManualClock(Date.now());
    const gpt = { name: 'gpt/5', budget: { dailyUsd: 0.01 } };
    const [one, two] = [await suite.state(prefix), await suite.state(prefix)].map(
      (state) => new DeploymentBudgets({ state, clock, deployments: () => [gpt] as never }),
    );
    await two!.refresh();
    // 1,000 awkward amounts from both replicas, summing to just over the budget.
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) writes.push((i % 2 ? one : two)!.record(gpt, 0.0000101));
    await Promise.all(writes);
    clock.advance(REFRESH_MS);
    await Promise.all([one!.refresh(), two!.refresh()]);
    for (const r of [one!, two!]) {
      const line = r.exhausted(gpt);
      expect(line?.period).toBe('day');
      expect(Math.round(line!.spentUsd * 1e9)).toBe(1000 * 10_100);
    }
  });
});
