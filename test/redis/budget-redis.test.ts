// Budgets shared through the real Redis never drift: concurrent spend from two clients adds up to
// exactly the sum of the integer nano-dollar amounts.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { BudgetTracker, NANO_PER_USD } from '../../src/policy/budget.js';
import { redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('budget');

describe.skipIf(!suite.available)('budgets on Redis', () => {
  it('concurrent spend from two replicas sums exactly', async () => {
    const budgets = () => ({
      shiftToCostAt: 0.8,
      tenants: { acme: { dailyUsd: 1000, monthlyUsd: 10_000 } },
      tags: {},
    });
    const states = [await suite.state(prefix), await suite.state(prefix)];
    const replicas = states.map(
      (state) => new BudgetTracker({ state, clock: systemClock, budgets }),
    );
    let expectedNano = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      const cost = 0.000137 * ((i % 17) + 1) + 1e-7 * (i % 3); // awkward binary fractions on purpose
      expectedNano += Math.round(cost * NANO_PER_USD);
      writes.push(replicas[i % 2]!.recordSpend({ keyId: `k${i % 2}`, tenant: 'acme' }, cost));
    }
    await Promise.all(writes);
    const s = await replicas[0]!.budgetState({ tenant: 'acme' });
    expect(s.lines.map((l) => Math.round(l.spentUsd * NANO_PER_USD))).toEqual([
      expectedNano,
      expectedNano,
    ]);
    const raw = await states[0]!.readCounters(s.lines.map((l) => l.key));
    expect(raw).toEqual([expectedNano, expectedNano]);
  });

  it("an end user's spend on one replica counts against their budget on the other", async () => {
    const budgets = () => ({
      shiftToCostAt: 0.8,
      tenants: {},
      tags: {},
      endUser: { dailyUsd: 0.01 },
    });
    const [one, two] = [await suite.state(prefix), await suite.state(prefix)].map(
      (state) => new BudgetTracker({ state, clock: systemClock, budgets }),
    );
    const alice = { tenant: 'acme', endUser: 'alice@example.com' };
    await one!.recordSpend(alice, 0.006);
    await two!.recordSpend(alice, 0.006);
    const s = await two!.budgetState(alice);
    expect(s.lines.map((l) => [l.scope, l.spentUsd])).toEqual([['user', 0.012]]);
    expect(s.exhausted).toBe(true);
    expect((await one!.budgetState({ tenant: 'acme', endUser: 'bob' })).exhausted).toBe(false);
  });
});
