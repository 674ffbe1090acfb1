// Where a budget's count starts: the first time this process meets a budget counter (after a
// restart with in-memory state, a budget added by reload or the admin API, a new day or month), or
// first after the config's budgets changed, it raises the counter to the spend the request log has
// for the counter's subject in its period so far, once across replicas per budget config. A
// counter counts only while its subject has a budget: one removed and added again the same day
// would forget the spend in between without the second seeding. Shared by the budgets of keys,
// tenants, end users and tags (policy/budget.ts) and those of deployments
// (policy/deployment-budget.ts).
import { createHash } from 'node:crypto';
import type { ConfigHolder } from '../config/runtime-config.js';
import type { Config } from '../config/schema.js';
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

  /** The budget config the counters in `seeded` were met under (budgetGeneration). */
  private generation = '';

  constructor(
    private readonly options: {
      state: SharedState;
      clock: Clock;
      /** A history could not be read: the budget counts from now (logged by the caller). */
      onError?: (err: unknown) => void;
      /** Which budget config is live (budgetGeneration); a new one seeds every counter again. */
      generation?: () => string;
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
    const generation = this.options.generation?.() ?? '';
    if (generation !== this.generation) {
      this.seeded.clear();
      this.generation = generation;
    }
    const now = this.options.clock.now();
    if (this.seeded.size > SEEDED_PRUNE_AT)
      for (const [key, s] of this.seeded) if (s.resetsAt <= now) this.seeded.delete(key);
    let pending: Promise<void>[] | undefined;
    for (const c of counters) {
      let s = this.seeded.get(c.key);
      if (!s) {
        const entry: { pending?: Promise<void>; resetsAt: number } = { resetsAt: c.resetsAt };
        entry.pending = this.seedOne(c, now, generation).finally(() => delete entry.pending);
        this.seeded.set(c.key, (s = entry));
      }
      if (s.pending) (pending ??= []).push(s.pending);
    }
    return pending && Promise.all(pending);
  }

  private async seedOne(c: BudgetCounter, now: number, generation: string): Promise<void> {
    const { state } = this.options;
    const ttlMs = counterTtlMs(c.resetsAt, now);
    const lock = generation ? `budget-seeded:${generation}:${c.key}` : `budget-seeded:${c.key}`;
    try {
      if (!(await state.tryLock(lock, 'seeded', ttlMs))) return;
      // Raised to the log's sum, never added to: a counter that has been counting (Redis across
      // a restart, a budget that never went away) holds about that much already, or more (spend
      // not yet written to the log), and is left as it is; one that stopped counting while its
      // budget was gone, or lost its count (in-memory state), gets the rest. (Two replicas on
      // different budget configs for a moment, each under its own lock, could both raise it.)
      const [held] = await state.readCounters([c.key]);
      const usd = await this.history!(c, periodStart(c.period, now), now);
      const missing = Math.round(usd * NANO_PER_USD) - (held ?? 0);
      if (missing > 0) await state.incrementCounters([{ key: c.key, by: missing, ttlMs }]);
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}

/**
 * Which budget config is live: '' until the config's budgets change (the `budgets` section's, the
 * config keys', the deployments'), then their hash and the revision that changed them. A budget
 * added, removed or changed, even one removed and added back as it was, gives a new generation,
 * and the counters are seeded again. Replicas that applied the same revisions agree on it.
 */
export function budgetGeneration(holder: ConfigHolder): () => string {
  let hash = budgetHash(holder.current.config);
  let generation = '';
  holder.onChange((next) => {
    const h = budgetHash(next.config);
    if (h === hash) return;
    hash = h;
    generation = `${h}@${next.revision}`;
  });
  return () => generation;
}

function budgetHash(c: Config): string {
  const budgets = [
    c.budgets,
    c.auth.keys.map((k) => [k.id, k.budget]),
    c.deployments.map((d) => [d.name, d.budget]),
  ];
  return createHash('sha1').update(JSON.stringify(budgets)).digest('hex').slice(0, 12);
}
