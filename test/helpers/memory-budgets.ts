// The governance budgets of a test's config on their own in-memory state and manual clock, as the
// runtime builds them over its shared state; real governance policies over them whose settles a
// test reads; and what a deployment's budget counts when seeded from a request log after a
// restart (SQLite, spendHistory).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigHolder } from '../../src/config/runtime-config.js';
import { expect } from 'vitest';
import { createManualClock, type Clock } from '../../src/core/clock.js';
import type { GatewayPolicies, SettleInfo } from '../../src/gateway/gateway-types.js';
import { BudgetTracker } from '../../src/policy/budget.js';
import type { ContentFilter } from '../../src/policy/content-filter.js';
import { createGovernancePolicies } from '../../src/policy/governance-policies.js';
import { DeploymentBudgets } from '../../src/policy/deployment-budget.js';
import { MemoryState } from '../../src/store/memory/memory-state.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { spendHistory } from '../../src/store/spend-history.js';
import { createSqliteRequestStore } from '../../src/store/sql/sqlite-request-store.js';
import { waitFor } from './wait-for.js';

/** Deployment and tenant (key, user, tag) budgets of `holder`'s config, live-counted in memory. */
export function memoryBudgets(holder: ConfigHolder) {
  const clock = createManualClock();
  const state = new MemoryState(clock);
  return {
    clock,
    state,
    deploymentBudgets: new DeploymentBudgets({
      state,
      clock,
      deployments: () => holder.current.config.deployments,
    }),
    tenantBudgets: new BudgetTracker({
      state,
      clock,
      budgets: () => holder.current.config.budgets,
    }),
  };
}

/**
 * Real governance policies over memoryBudgets(holder), each settle kept in `settled` (and told to
 * `onSettle`), and `spent(deployment)`: what that deployment's and the tenant's budgets count once
 * a settle has come and its budget writes (fire-and-forget) have landed.
 */
export function governedBudgets(
  holder: ConfigHolder,
  opts: {
    contentFilter?: () => ContentFilter | undefined;
    onSettle?: (outcome: SettleInfo) => void;
  } = {},
) {
  const { deploymentBudgets, tenantBudgets } = memoryBudgets(holder);
  const governance = createGovernancePolicies({
    config: holder,
    deploymentBudgets,
    budgets: tenantBudgets,
    contentFilter: opts.contentFilter,
  });
  const settled: SettleInfo[] = [];
  const policies: GatewayPolicies = {
    ...governance,
    settle: (ctx, outcome) => {
      settled.push(outcome);
      governance.settle!(ctx, outcome);
      opts.onSettle?.(outcome);
    },
  };
  const spent = async (deployment: string) => {
    await waitFor(() => expect(settled.length).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 10)); // settle's budget writes are fire-and-forget
    await deploymentBudgets.refresh();
    return {
      deployment: deploymentBudgets.lines(holder.current.deployments.get(deployment)!)[0]!.spentUsd,
      tenant: (await tenantBudgets.budgetState({ tenant: 'default' })).lines[0]!.spentUsd,
    };
  };
  return { policies, settled, spent };
}

/**
 * What `deployment`'s budget counts once seeded from a request log holding `record` (written a
 * second before `clock`'s now), as after a restart.
 */
export async function seededSpend(
  record: RequestRecord,
  clock: Clock,
  holder: ConfigHolder,
  deployment: string,
): Promise<number> {
  const store = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-seeded-')), 'r.db'));
  await store.migrate();
  await store.insert([{ ...record, time: clock.now() - 1_000 }]);
  const restarted = new DeploymentBudgets({
    state: new MemoryState(clock),
    clock,
    deployments: () => holder.current.config.deployments,
  });
  restarted.useHistory(spendHistory(store));
  await restarted.refresh();
  const spentUsd = restarted.lines(holder.current.deployments.get(deployment)!)[0]!.spentUsd;
  await store.close();
  return spentUsd;
}
