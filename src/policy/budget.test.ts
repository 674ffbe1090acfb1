import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { MemoryState } from '../store/memory/memory-state.js';
import type { ReservationEntry } from '../store/shared-state.js';
import { budgetGeneration } from './budget-seeding.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { parseConfig } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { BudgetTracker, NANO_PER_USD, periodOf, reservationPool } from './budget.js';
import type { BudgetCounter } from './budget.js';

/** Admission's round trip with no limit to charge: spend and pools read, `make` made. */
const admitOn = (
  state: MemoryState,
  now: number,
  limited: readonly BudgetCounter[],
  make: readonly ReservationEntry[],
) =>
  state.consume(
    [],
    now,
    limited.map((c) => c.key),
    { read: limited.map(reservationPool), make },
  );

// 2026-08-21T23:00:00Z
const START = Date.UTC(2026, 7, 21, 23, 0, 0);

type Limits = { dailyUsd?: number; monthlyUsd?: number };

function setup(
  tenants: Record<string, Limits & { endUser?: Limits }> = {},
  endUser?: Limits,
  tags: Record<string, Limits> = {},
) {
  const clock = createManualClock(START);
  const state = new MemoryState(clock);
  const budgets = new BudgetTracker({
    state,
    clock,
    budgets: () => ({ shiftToCostAt: 0.8, tenants, tags, ...(endUser ? { endUser } : {}) }),
  });
  return { clock, state, budgets };
}

describe('BudgetTracker', () => {
  it('adds spend to key and tenant counters and reports the tightest fraction', async () => {
    const { budgets } = setup({ acme: { dailyUsd: 10, monthlyUsd: 100 } });
    const subject = { keyId: 'k1', tenant: 'acme', keyBudget: { dailyUsd: 2 } };
    await budgets.recordSpend(subject, 1.5);
    const s = await budgets.budgetState(subject);
    expect(s.fraction).toBeCloseTo(0.75, 12);
    expect(s.shiftToCost).toBe(false);
    expect(s.exhausted).toBe(false);
    expect(s.lines.map((l) => [l.scope, l.period, l.spentUsd])).toEqual([
      ['key', 'day', 1.5],
      ['tenant', 'day', 1.5],
      ['tenant', 'month', 1.5],
    ]);
    await budgets.recordSpend(subject, 0.2);
    expect((await budgets.budgetState(subject)).shiftToCost).toBe(true); // 0.85 ≥ 0.8
  });

  it('refuses with budget_exceeded naming the budget and its reset time', async () => {
    const { budgets } = setup({ acme: { dailyUsd: 1 } });
    const subject = { tenant: 'acme' };
    await budgets.recordSpend(subject, 1.000001);
    const s = await budgets.budgetState(subject);
    expect(s.exhausted).toBe(true);
    let err: unknown;
    try {
      budgets.assertWithinBudget(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    const g = err as GatewayError;
    expect(g.status).toBe(429);
    expect(g.code).toBe('budget_exceeded');
    expect(g.type).toBe('insufficient_quota');
    expect(g.message).toBe(
      'The daily budget of tenant acme is used up: $1.0000 spent of $1.00. It resets at 2026-08-22T00:00:00.000Z.',
    );
    expect(g.headers['retry-after']).toBe('3600');
    // A budget under a cent is quoted to its own digits, not rounded to $0.00.
    const small = setup({ acme: { dailyUsd: 0.004 } }).budgets;
    await small.recordSpend(subject, 0.0041);
    const tiny = await small.budgetState(subject);
    expect(() => small.assertWithinBudget(tiny)).toThrow(
      'The daily budget of tenant acme is used up: $0.0041 spent of $0.004.',
    );
  });

  it('starts a fresh day at UTC midnight while the month keeps counting', async () => {
    const { budgets, clock } = setup({ acme: { dailyUsd: 1, monthlyUsd: 5 } });
    await budgets.recordSpend({ tenant: 'acme' }, 1);
    expect((await budgets.budgetState({ tenant: 'acme' })).exhausted).toBe(true);
    clock.advance(3_600_000);
    const s = await budgets.budgetState({ tenant: 'acme' });
    expect(s.exhausted).toBe(false);
    expect(s.lines.map((l) => l.spentUsd)).toEqual([0, 1]);
  });

  it('keeps tiny costs exactly (integer nano-dollars)', async () => {
    const { budgets } = setup({ t: { dailyUsd: 1 } });
    for (let i = 0; i < 1000; i++) await budgets.recordSpend({ tenant: 't' }, 0.0000001); // 1 token at $0.10/1M
    const s = await budgets.budgetState({ tenant: 't' });
    expect(s.lines[0]!.spentUsd).toBe(0.0001);
  });

  it('reports nothing when no budget applies', async () => {
    const { budgets } = setup();
    const s = await budgets.budgetState({ tenant: 'nobody' });
    expect(s).toMatchObject({ fraction: 0, exhausted: false, shiftToCost: false, lines: [] });
  });

  it('limits each end user on their own, per tenant, where an end-user budget applies', async () => {
    const { budgets } = setup({ strict: { endUser: { dailyUsd: 0.5 } } }, { dailyUsd: 1 });
    const alice = { tenant: 'acme', endUser: 'alice' };
    await budgets.recordSpend(alice, 0.9);
    const a = await budgets.budgetState(alice);
    expect(a.lines.map((l) => [l.scope, l.id, l.tenant, l.period, l.spentUsd])).toEqual([
      ['user', 'alice', 'acme', 'day', 0.9],
    ]);
    expect(a.shiftToCost).toBe(true);
    // Another end user, or the same name under another tenant, has counters of its own.
    expect((await budgets.budgetState({ tenant: 'acme', endUser: 'bob' })).fraction).toBe(0);
    expect((await budgets.budgetState({ tenant: 'other', endUser: 'alice' })).fraction).toBe(0);
    // A tenant's own end-user limit replaces the default.
    const strict = { tenant: 'strict', endUser: 'alice' };
    await budgets.recordSpend(strict, 0.5);
    const s = await budgets.budgetState(strict);
    expect(s.exhausted).toBe(true);
    let err: GatewayError | undefined;
    try {
      budgets.assertWithinBudget(s);
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.message).toBe(
      'The daily budget of end user alice (tenant strict) is used up: $0.5000 spent of $0.50. It resets at 2026-08-22T00:00:00.000Z.',
    );
    expect(err?.details).toMatchObject({
      budget: { scope: 'user', id: 'alice', tenant: 'strict', limit_usd: 0.5 },
    });
    // No end user named: nothing of it is counted or read.
    expect(budgets.limitedCounters({ tenant: 'acme' })).toEqual([]);
  });

  it('limits the requests carrying a tag, per tenant; other tags and untagged requests are not counted', async () => {
    const { budgets } = setup({}, undefined, { 'nightly-batch': { dailyUsd: 1 } });
    const batch = { tenant: 'acme', tags: ['team=a', 'nightly-batch'] };
    await budgets.recordSpend(batch, 1);
    const s = await budgets.budgetState(batch);
    expect(s.lines.map((l) => [l.scope, l.id, l.tenant, l.spentUsd])).toEqual([
      ['tag', 'nightly-batch', 'acme', 1],
    ]);
    let err: GatewayError | undefined;
    try {
      budgets.assertWithinBudget(s);
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.message).toContain(
      'The daily budget of tag nightly-batch (tenant acme) is used up',
    );
    expect(
      (await budgets.budgetState({ tenant: 'other', tags: ['nightly-batch'] })).exhausted,
    ).toBe(false);
    expect(budgets.limitedCounters({ tenant: 'acme', tags: ['team=a'] })).toEqual([]);
    expect(budgets.limitedCounters({ tenant: 'acme' })).toEqual([]);
  });

  it("one name cannot pose as another's: tenant and end user are encoded in the counter key", () => {
    const { budgets } = setup({}, { dailyUsd: 1 });
    const [a] = budgets.limitedCounters({ tenant: 'a/b', endUser: 'c' });
    const [b] = budgets.limitedCounters({ tenant: 'a', endUser: 'b/c' });
    expect(a!.key).not.toBe(b!.key);
    expect(a!.key).toBe('budget:user:a%2Fb/c:d:2026-08-21');
  });

  it('seeds a counter it meets first from the history, once, raising and never adding to one that holds spend', async () => {
    const { state, budgets } = setup({ acme: { dailyUsd: 10 } });
    const asked: string[] = [];
    budgets.useHistory(async (c) => {
      asked.push(`${c.scope}:${c.id}:${c.period}`);
      return 2;
    });
    const subject = { tenant: 'acme' };
    expect((await budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(2);
    await budgets.recordSpend(subject, 1);
    expect((await budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(3);
    expect(asked).toEqual(['tenant:acme:day']); // once, whatever the calls after
    // Another process on the same shared state (Redis across a restart): the lock says it was
    // seeded; and a counter holding spend from before seeding existed is raised to the log's sum,
    // not added to (the log holds what it counted).
    const again = new BudgetTracker({
      state,
      clock: createManualClock(START),
      budgets: () => ({ shiftToCostAt: 0.8, tenants: { acme: { dailyUsd: 10 } }, tags: {} }),
    });
    again.useHistory(async () => 5);
    expect((await again.budgetState(subject)).lines[0]!.spentUsd).toBe(3);
    const upgraded = setup({ acme: { dailyUsd: 10 } });
    await upgraded.budgets.recordSpend(subject, 1); // counted before any history was given
    upgraded.budgets.useHistory(async () => 4);
    expect((await upgraded.budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(4);
    const ahead = setup({ acme: { dailyUsd: 10 } });
    await ahead.budgets.recordSpend(subject, 1); // not yet in the log: the counter is ahead of it
    ahead.budgets.useHistory(async () => 0.5);
    expect((await ahead.budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(1);
  });

  it('a budget removed and added again the same day counts the spend made while it was gone', async () => {
    const clock = createManualClock(START);
    const state = new MemoryState(clock);
    let tenants: Record<string, Limits> = { acme: { dailyUsd: 10 } };
    // As budgetGeneration tells it: a new one with each change of the budgets.
    let generation = 0;
    const change = (next: Record<string, Limits>) => {
      tenants = next;
      generation++;
    };
    // The log's sum for the day: every request's spend, budget or not.
    let logged = 0;
    const budgets = new BudgetTracker({
      state,
      clock,
      budgets: () => ({ shiftToCostAt: 0.8, tenants, tags: {} }),
      generation: () => String(generation),
    });
    budgets.useHistory(async () => logged);
    const subject = { tenant: 'acme' };
    const spend = async (usd: number) => {
      logged += usd;
      // Counted only while the tenant has a budget, as the governance policies settle.
      if (budgets.limitedCounters(subject).length) await budgets.recordSpend(subject, usd);
    };
    expect((await budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(0);
    await spend(3);
    change({});
    await spend(4); // no budget: not counted
    change({ acme: { dailyUsd: 10 } });
    expect((await budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(7);
    await spend(1);
    expect((await budgets.budgetState(subject)).lines[0]!.spentUsd).toBe(8);
  });

  it('seeding raises the spend to the log and leaves the reservations of requests in flight as they are', async () => {
    const clock = createManualClock(START);
    const state = new MemoryState(clock);
    let generation = 0;
    let logged = 0;
    const budgets = new BudgetTracker({
      state,
      clock,
      budgets: () => ({ shiftToCostAt: 0.8, tenants: { acme: { dailyUsd: 10 } }, tags: {} }),
      generation: () => String(generation),
    });
    budgets.useHistory(async () => logged);
    const subject = { tenant: 'acme' };
    const limited = budgets.limitedCounters(subject);
    // Two requests admitted, $1 and $2 expected: reserved as admission reserves them.
    await budgets.whenSeeded(limited);
    const first = budgets.reservation(limited, 1);
    const second = budgets.reservation(limited, 2);
    await admitOn(state, clock.now(), limited, first);
    await admitOn(state, clock.now(), limited, second);
    expect((await budgets.budgetState(subject)).lines[0]).toMatchObject({
      spentUsd: 0,
      reservedUsd: 3,
      fraction: 0.3,
    });
    // Meanwhile the log has $4 (another replica's requests), and the budgets change: the spend
    // is raised to the log's sum, the $3 in flight still held.
    logged = 4;
    generation++;
    expect((await budgets.budgetState(subject)).lines[0]).toMatchObject({
      spentUsd: 4,
      reservedUsd: 3,
    });
    // Each ends: its real cost replaces what it reserved.
    await budgets.recordSpend(subject, 0.5, first);
    await budgets.recordSpend(subject, 2.25, second);
    const read = await admitOn(state, clock.now(), limited, []);
    expect([read.counters[0], read.pools[0]]).toEqual([6.75 * NANO_PER_USD, 0]);
  });

  it('refuses on spend and reservations together, and says how much is held', async () => {
    const { state, clock, budgets } = setup({ acme: { dailyUsd: 1 } });
    const subject = { tenant: 'acme' };
    const limited = budgets.limitedCounters(subject);
    await budgets.recordSpend(subject, 0.6);
    await admitOn(state, clock.now(), limited, budgets.reservation(limited, 0.5));
    const s = await budgets.budgetState(subject);
    expect(s.exhausted).toBe(true);
    // Full only with what is in flight: refused for now, and the SDKs may retry it in a second.
    let err: GatewayError | undefined;
    try {
      budgets.assertWithinBudget(s);
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.message).toBe(
      'The daily budget of tenant acme has no room while its requests in flight run: $0.6000 spent and $0.5000 held for requests in flight (their expected cost until they end) of $1.00. Retry when they end; what they do not spend is free again.',
    );
    expect(err?.code).toBe('budget_exceeded');
    expect(err?.headers).toEqual({ 'retry-after': '1' });
    expect(err?.details).toMatchObject({ budget: { spent_usd: 0.6, reserved_usd: 0.5 } });
    // Spent: refused until the reset, not to be retried, whatever is held besides.
    await budgets.recordSpend(subject, 0.4);
    expect(() => budgets.assertWithinBudget(s)).toThrow();
    const spent = await budgets.budgetState(subject);
    try {
      budgets.assertWithinBudget(spent);
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.message).toMatch(
      /^The daily budget of tenant acme is used up: \$1\.0000 spent and \$0\.5000 held/,
    );
    expect(err?.headers).toEqual({ 'retry-after': '3600', 'x-should-retry': 'false' });
  });

  it('computes UTC periods', () => {
    expect(periodOf('day', START)).toEqual({
      label: 'd:2026-08-21',
      resetsAt: Date.UTC(2026, 7, 22),
    });
    expect(periodOf('month', Date.UTC(2026, 11, 31, 12))).toEqual({
      label: 'm:2026-12',
      resetsAt: Date.UTC(2027, 0, 1),
    });
  });
});

describe('budgetGeneration', () => {
  it('is new whenever the budgets change, also back to what they were, and not otherwise', () => {
    const input = testConfigInput();
    const holder = new ConfigHolder(compileConfig(parseConfig(input, {}).config));
    const generation = budgetGeneration(holder);
    const apply = (budgets: ConfigInput['budgets'], mode?: 'cost') => {
      const next = structuredClone(input);
      next.budgets = budgets;
      if (mode) next.routers![0]!.routingMode = mode;
      holder.apply(parseConfig(next, {}).config);
      return generation();
    };
    expect(generation()).toBe('');
    const added = apply({ tenants: { acme: { dailyUsd: 1 } } });
    expect(added).not.toBe('');
    expect(apply({ tenants: { acme: { dailyUsd: 1 } } }, 'cost')).toBe(added); // no budget changed
    const removed = apply({});
    const back = apply({ tenants: { acme: { dailyUsd: 1 } } });
    expect(new Set([added, removed, back]).size).toBe(3);
  });
});
