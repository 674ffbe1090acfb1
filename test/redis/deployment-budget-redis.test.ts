// Deployment budgets on the real Redis: what one replica spends on a deployment is read by the
// other at its next refresh, in exact nano-dollars, and the deployment is used up for both.
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { DeploymentBudgets, REFRESH_MS } from '../../src/policy/deployment-budget.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { cleanupPrefix, redisAvailable, REDIS_URL, uniquePrefix } from './redis-helpers.js';
import { WAIT_TIMEOUT_MS } from '../helpers/wait-for.js';

const available = await redisAvailable();
const prefix = uniquePrefix('deployment-budget');

describe.skipIf(!available)('deployment budgets on Redis', () => {
  const states: RedisState[] = [];
  afterAll(async () => {
    for (const s of states) await s.close();
    await cleanupPrefix(prefix);
  });

  it("one replica's spend uses the deployment up for the other", async () => {
    const clock = createManualClock(Date.now());
    const gpt = { name: 'gpt/5', budget: { dailyUsd: 0.01 } };
    const [one, two] = [0, 1].map(() => {
      const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
      states.push(state);
      return new DeploymentBudgets({ state, clock, deployments: () => [gpt] as never });
    });
    await Promise.all(states.map((s) => s.waitUntilReady(WAIT_TIMEOUT_MS)));
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
