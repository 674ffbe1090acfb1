// Spend budgets of deployments (`deployments[].budget`): "no more than $500 a month on this
// model, whoever calls it". A deployment whose day's or month's budget is used up is not eligible
// (rule `budget_exhausted`), so routers and pools route around it to the rest of their subset or
// members, and a direct call is refused with 429 `budget_exceeded` until the period resets. Spend
// is counted like the other budgets (integer nano-dollars in the shared state, exact across
// replicas), but eligibility is judged from this replica's view of the counters, refreshed at most
// every REFRESH_MS off the request path, so routing never waits for a round trip: with several
// replicas a budget can be overrun by what the others spend within that interval. A counter this
// process meets for the first time starts from the deployment's spend in the request log for its
// period (budget-seeding.ts), so a restart with in-memory state or a budget added by reload does
// not start from $0: each call's cost where it was made (store/spend-history.ts `spentAt`), as
// the governance policies' settle charges it here, a try charged without answering at its own
// deployment and the rest of the request at the one that served.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import type { SharedState } from '../store/shared-state.js';
import type { BudgetLine } from './budget.js';
import { NANO_PER_USD, counterTtlMs, periodOf, type BudgetPeriod } from './budget-period.js';
import { BudgetSeeding, type SpendHistory } from './budget-seeding.js';

/** How stale this replica's view of a deployment's spend may be before it is read again. */
export const REFRESH_MS = 2_000;

export interface DeploymentBudgetOptions {
  state: SharedState;
  clock: Clock;
  /** The live deployments (read on each refresh, so reloads apply). */
  deployments: () => Iterable<DeploymentConfig>;
  onError?: (err: unknown) => void;
  /** A deployment's spend history could not be read: its budget counts from now. */
  onHistoryError?: (
    err: unknown,
  ) => void; /** Which budget config is live (budget-seeding.ts budgetGeneration). */
  generation?: () => string;
}

type Budgeted = Pick<DeploymentConfig, 'name' | 'budget'>;

export class DeploymentBudgets {
  /** Counter key → nano-dollars spent, as last read or written. */
  private readonly spent = new Map<string, number>();
  private readAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  private readonly seeding: BudgetSeeding;

  constructor(private readonly options: DeploymentBudgetOptions) {
    this.seeding = new BudgetSeeding({ ...options, onError: options.onHistoryError });
  }

  /**
   * Where a deployment's spend before this process met its budget comes from (the request log).
   * Counters are seeded off the request path, by the next refresh (the caller awaits one).
   */
  useHistory(history: SpendHistory | undefined): void {
    this.seeding.useHistory(history);
  }

  /** The deployment's budget lines for now (none without a budget). */
  lines(d: Budgeted, now = this.options.clock.now()): BudgetLine[] {
    if (!d.budget) return [];
    const out: BudgetLine[] = [];
    for (const period of ['day', 'month'] as BudgetPeriod[]) {
      const limitUsd = period === 'day' ? d.budget.dailyUsd : d.budget.monthlyUsd;
      if (limitUsd === undefined) continue;
      const { label, resetsAt } = periodOf(period, now);
      const key = `budget:deployment:${encodeURIComponent(d.name)}:${label}`;
      const spentUsd = (this.spent.get(key) ?? 0) / NANO_PER_USD;
      out.push({
        scope: 'deployment',
        id: d.name,
        period,
        key,
        limitUsd,
        resetsAt,
        spentUsd,
        fraction: spentUsd / limitUsd,
      });
    }
    return out;
  }

  /**
   * The budget line that is used up (the one resetting last), or undefined: synchronous, from
   * this replica's view; a stale view is refreshed in the background.
   */
  exhausted(d: Budgeted): BudgetLine | undefined {
    if (!d.budget) return undefined;
    const now = this.options.clock.now();
    if (now - this.readAt >= REFRESH_MS) void this.refresh();
    let out: BudgetLine | undefined;
    for (const l of this.lines(d, now))
      if (l.fraction >= 1 && (!out || l.resetsAt > out.resetsAt)) out = l;
    return out;
  }

  /** Read every budgeted deployment's counters (one round trip; one refresh at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const now = this.options.clock.now();
      const lines = [...this.options.deployments()].flatMap((d) => this.lines(d, now));
      const keys = lines.map((l) => l.key);
      try {
        const seeding = this.seeding.whenSeeded(lines);
        if (seeding) await seeding;
        const values = keys.length > 0 ? await this.options.state.readCounters(keys) : [];
        // Past periods' counters (yesterday's) and removed deployments' are dropped.
        for (const k of [...this.spent.keys()]) if (!keys.includes(k)) this.spent.delete(k);
        keys.forEach((k, i) => this.spent.set(k, Math.max(values[i] ?? 0, 0)));
        this.readAt = now;
      } catch (err) {
        this.readAt = now; // try again after the interval, not on every request
        this.options.onError?.(err);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Add what a call to the deployment cost (nothing to do without a budget). */
  async record(d: Budgeted, costUsd: number): Promise<void> {
    const nano = Math.round(costUsd * NANO_PER_USD);
    if (!d.budget || !(nano > 0)) return;
    const now = this.options.clock.now();
    const lines = this.lines(d, now);
    const seeding = this.seeding.whenSeeded(lines);
    if (seeding) await seeding;
    // Counted here at once, so this replica stops before its next refresh.
    for (const l of lines) this.spent.set(l.key, (this.spent.get(l.key) ?? 0) + nano);
    const values = await this.options.state.incrementCounters(
      lines.map((l) => ({ key: l.key, by: nano, ttlMs: counterTtlMs(l.resetsAt, now) })),
    );
    lines.forEach((l, i) => {
      const v = values[i];
      if (v !== undefined) this.spent.set(l.key, Math.max(v, this.spent.get(l.key) ?? 0));
    });
  }
}
