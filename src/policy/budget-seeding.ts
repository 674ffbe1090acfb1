// Where a budget's count starts: the first time this process meets a budget counter (after a
// restart with in-memory state, a budget added by reload or the admin API, a new day or month), it
// adds the spend the request log has for the counter's subject in its period so far, once across
// replicas. Shared by the budgets of keys, tenants, end users and tags (policy/budget.ts) and those
// of deployments (policy/deployment-budget.ts).
import type { Clock } from '../core/clock.js';
import type { SharedState } from '../store/shared-state.js';
import type { BudgetCounter } from './budget.js';
import { NANO_PER_USD, counterTtlMs, periodStart } from './budget-period.js';

/**
 * USD a counter's subject spent from `since` to `until` as the request log has it
 * (store/spend-history.ts).
 */
export type SpendHistory = (
  counter: BudgetCounter,
  since: number,
  until: number,
) => Promise<number>;

/** Counters met this process past which the seeded set is pruned of ended periods. */
const SEEDED_PRUNE_AT = 10_000;

export class BudgetSeeding {
  private history: SpendHistory | undefined;
  /** Each counter met (by key): its seeding from the history while under way (then none). */
  private readonly seeded = new Map<string, { pending?: Promise<void>; resetsAt: number }>();

  constructor(
    private readonly options: {
      state: SharedState;
      clock: Clock;
      /** A history could not be read: the budget counts from now (logged by the caller). */
      onError?: (err: unknown) => void;
    },
  ) {}

  /**
   * Where spend before a counter was counted comes from. Without it, in-memory state lost every
   * count at a restart, and a budget added by reload or the admin API started from $0 whatever
   * the period's spend.
   */
  useHistory(history: SpendHistory | undefined): void {
    this.history = history;
  }

  /**
   * Seeds each counter not met before, once across replicas (a lock in shared state kept as long
   * as the counter: with Redis a restart finds both and adds nothing). Once seeded, a call costs a
   * map lookup a counter and returns undefined: the request path has nothing to await.
   */
  whenSeeded(counters: readonly BudgetCounter[]): Promise<unknown> | undefined {
    if (!this.history || counters.length === 0) return undefined;
    const now = this.options.clock.now();
    if (this.seeded.size > SEEDED_PRUNE_AT)
      for (const [key, s] of this.seeded) if (s.resetsAt <= now) this.seeded.delete(key);
    let pending: Promise<void>[] | undefined;
    for (const c of counters) {
      let s = this.seeded.get(c.key);
      if (!s) {
        const entry: { pending?: Promise<void>; resetsAt: number } = { resetsAt: c.resetsAt };
        entry.pending = this.seedOne(c, now).finally(() => delete entry.pending);
        this.seeded.set(c.key, (s = entry));
      }
      if (s.pending) (pending ??= []).push(s.pending);
    }
    return pending && Promise.all(pending);
  }

  private async seedOne(c: BudgetCounter, now: number): Promise<void> {
    const { state } = this.options;
    const ttlMs = counterTtlMs(c.resetsAt, now);
    try {
      if (!(await state.tryLock(`budget-seeded:${c.key}`, 'seeded', ttlMs))) return;
      // A counter that holds spend has been counting (Redis across a restart, or a router from
      // before seeding): adding the log's sum would count its period twice.
      const [held] = await state.readCounters([c.key]);
      if ((held ?? 0) > 0) return;
      const usd = await this.history!(c, periodStart(c.period, now), now);
      const nano = Math.round(usd * NANO_PER_USD);
      if (nano > 0) await state.incrementCounters([{ key: c.key, by: nano, ttlMs }]);
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
