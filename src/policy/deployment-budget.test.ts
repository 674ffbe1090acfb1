import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { MemoryState } from '../store/memory/memory-state.js';
import {
  DeploymentBudgets,
  REFRESH_MS,
  type DeploymentBudgetOptions,
} from './deployment-budget.js';

// 2026-12-01T23:00:00Z: an hour before the day's budget resets.
const START = Date.UTC(2026, 11, 1, 23);
const gpt = { name: 'gpt-5', budget: { dailyUsd: 1, monthlyUsd: 10 } };
const free = { name: 'local', budget: undefined };

function setup() {
  const clock = createManualClock(START);
  const state = new MemoryState(clock);
  const replica = (options: Partial<DeploymentBudgetOptions> = {}) =>
    new DeploymentBudgets({ state, clock, deployments: () => [gpt, free] as never, ...options });
  return { clock, state, replica };
}

describe('DeploymentBudgets', () => {
  it('is used up once the day’s spend reaches its budget, on this replica at once', async () => {
    const { replica } = setup();
    const b = replica();
    await b.record(gpt, 0.6);
    expect(b.exhausted(gpt)).toBeUndefined();
    await b.record(gpt, 0.4);
    const line = b.exhausted(gpt);
    expect(line).toMatchObject({ scope: 'deployment', id: 'gpt-5', period: 'day', limitUsd: 1 });
    expect(line!.spentUsd).toBeCloseTo(1, 9);
    expect(line!.resetsAt).toBe(Date.UTC(2026, 11, 2));
    // The month's budget is a tenth used.
    expect(b.lines(gpt).find((l) => l.period === 'month')!.fraction).toBeCloseTo(0.1, 9);
  });

  it('another replica sees the spend once its view is refreshed, and the day resets at midnight UTC', async () => {
    const { clock, replica } = setup();
    const [one, two] = [replica(), replica()];
    await two.refresh();
    await one.record(gpt, 1.5);
    // Two's view is fresh: it does not read again yet.
    expect(two.exhausted(gpt)).toBeUndefined();
    clock.advance(REFRESH_MS);
    two.exhausted(gpt); // starts the background read
    await two.refresh();
    expect(two.exhausted(gpt)?.period).toBe('day');
    clock.advance(3_600_000); // past midnight: a new day, the month still counts
    await two.refresh();
    expect(two.exhausted(gpt)).toBeUndefined();
    expect(two.lines(gpt).map((l) => [l.period, l.spentUsd])).toEqual([
      ['day', 0],
      ['month', 1.5],
    ]);
  });

  it('a deployment without a budget is never used up and writes nothing', async () => {
    const { state, replica } = setup();
    const b = replica();
    await b.record(free, 5);
    expect(b.exhausted(free)).toBeUndefined();
    expect(b.lines(free)).toEqual([]);
    expect(await state.readCounters(['budget:deployment:local:d:2026-12-01'])).toEqual([0]);
  });

  it("starts each counter from the request log's spend for its period, once across replicas", async () => {
    const { clock, replica } = setup();
    const asked: string[] = [];
    const history = async (c: { scope: string; id: string; period: string }) => {
      asked.push(`${c.scope}:${c.id}:${c.period}`);
      return c.period === 'day' ? 0.75 : 4;
    };
    const one = replica();
    one.useHistory(history);
    await one.refresh();
    expect(one.lines(gpt).map((l) => [l.period, l.spentUsd])).toEqual([
      ['day', 0.75],
      ['month', 4],
    ]);
    await one.record(gpt, 0.25);
    expect(one.exhausted(gpt)?.period).toBe('day');
    // A second replica on the same state finds the counters seeded and adds nothing.
    const two = replica();
    two.useHistory(history);
    await two.refresh();
    expect(two.lines(gpt).map((l) => l.spentUsd)).toEqual([1, 4.25]);
    expect(asked).toEqual(['deployment:gpt-5:day', 'deployment:gpt-5:month']);
    // A new day is a new counter: seeded from the log's spend since midnight.
    clock.advance(3_600_000);
    await one.refresh();
    expect(asked.slice(2)).toEqual(['deployment:gpt-5:day']);
  });

  it('a spend recorded before any refresh waits for the seeding, and a history that fails counts from now', async () => {
    const { replica } = setup();
    const early = replica();
    early.useHistory(async () => 0.5);
    await early.record(gpt, 0.1);
    expect(early.lines(gpt)[0]!.spentUsd).toBeCloseTo(0.6, 9);

    const { replica: other } = setup();
    const errors: unknown[] = [];
    const failing = other({ onHistoryError: (err) => errors.push(err) });
    failing.useHistory(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    await failing.refresh();
    await failing.record(gpt, 0.1);
    expect(failing.lines(gpt)[0]!.spentUsd).toBeCloseTo(0.1, 9);
    expect(errors).toHaveLength(2); // day and month, each once
  });
});
