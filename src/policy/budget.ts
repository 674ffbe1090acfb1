// USD budgets per API key and per tenant, per UTC day and month. Spend comes from real usage and
// prices after each request and is added as integer nano-dollars (INCRBY in Redis), so sums across
// replicas are exact and never drift. Before a request: the state of every budget that applies,
// with what the requests in flight reserved (beside each spend counter, a pool of reservations:
// admission makes the request's entry of its expected cost there, the request's end releases it
// as its real cost goes to the spend, and an entry nobody releases lapses after
// `budgets.reservationTtlSeconds`); near the end (`budgets.shiftToCostAt`) we advise Cost mode, at
// the end we refuse.
import { RESERVATION_TTL_SECONDS } from '../config/governance-schema.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type {
  CounterIncrement,
  ReservationChange,
  ReservationEntry,
  SharedState,
} from '../store/shared-state.js';
import { BudgetSeeding, type SpendHistory } from './budget-seeding.js';
import { NANO_PER_USD, counterTtlMs, periodOf, type BudgetPeriod } from './budget-period.js';

export { NANO_PER_USD, periodOf, type BudgetPeriod } from './budget-period.js';

export interface BudgetLimits {
  dailyUsd?: number;
  monthlyUsd?: number;
}

/** Who spends: the key (with its own budget, if any), its tenant and the end user it names. */
export interface BudgetSubject {
  keyId?: string;
  tenant: string;
  keyBudget?: BudgetLimits;
  /** The end user the client named (attribution); limited by `budgets.endUser`. */
  endUser?: string;
  /** The request's tags (attribution); those named in `budgets.tags` are limited. */
  tags?: readonly string[];
}

export type BudgetScope = 'key' | 'tenant' | 'user' | 'tag' | 'deployment';

export interface BudgetCounter {
  scope: BudgetScope;
  /** The key id, the tenant, or the end user or tag (of `tenant`). */
  id: string;
  /** An end user's or tag's tenant. */
  tenant?: string;
  period: BudgetPeriod;
  /** Shared-state counter key (nano-dollars). */
  key: string;
  /** Undefined when no budget is configured (spend is still counted). */
  limitUsd?: number;
  /** Epoch ms when the period ends (UTC). */
  resetsAt: number;
}

export interface BudgetLine extends BudgetCounter {
  limitUsd: number;
  spentUsd: number;
  /** Held by requests in flight (their expected cost until they end); absent or 0: none. */
  reservedUsd?: number;
  /** (spent + reserved) / limit. */
  fraction: number;
}

export interface BudgetState {
  /** Highest spent/limit over every budget that applies (0 when none). */
  fraction: number;
  exhausted: boolean;
  /** Advice: route this tenant in Cost mode (fraction ≥ budgets.shiftToCostAt). */
  shiftToCost: boolean;
  lines: BudgetLine[];
  /** The budget that ran out (the one resetting last, when several did). */
  exhaustedLine?: BudgetLine;
}

/** The `budgets` section; `reservationTtlSeconds` left out is its default. */
export type BudgetSettings = Omit<Config['budgets'], 'reservationTtlSeconds'> &
  Partial<Pick<Config['budgets'], 'reservationTtlSeconds'>>;

export interface BudgetTrackerOptions {
  state: SharedState;
  clock: Clock;
  /** The live `budgets` section (read on every call, so reloads apply at once). */
  budgets: () => BudgetSettings;
  /** A budget's spend history could not be read: it counts from now (logged by the caller). */
  onHistoryError?: (
    err: unknown,
  ) => void; /** Which budget config is live (budget-seeding.ts budgetGeneration). */
  generation?: () => string;
}

export class BudgetTracker {
  /** Where each counter's count starts: the request log's spend for its period so far. */
  private readonly seeding: BudgetSeeding;
  /** This process's part of its reservations' ids, and their sequence. */
  private readonly nonce = newId('', 6);
  private sequence = 0;

  constructor(private readonly options: BudgetTrackerOptions) {
    this.seeding = new BudgetSeeding({ ...options, onError: options.onHistoryError });
  }

  /** See BudgetSeeding.useHistory. */
  useHistory(history: SpendHistory | undefined): void {
    this.seeding.useHistory(history);
  }

  /** See BudgetSeeding.whenSeeded. */
  whenSeeded(counters: readonly BudgetCounter[]): Promise<unknown> | undefined {
    return this.seeding.whenSeeded(counters);
  }

  /** Every counter the subject's spend goes to, with the configured limits. */
  counters(subject: BudgetSubject, now = this.options.clock.now()): BudgetCounter[] {
    const budgets = this.options.budgets();
    const tenantBudget = budgets.tenants[subject.tenant];
    const out: BudgetCounter[] = [];
    const add = (
      scope: BudgetScope,
      id: string,
      limits: BudgetLimits | undefined,
      keyPart = id,
      tenant?: string,
    ) => {
      for (const period of ['day', 'month'] as const) {
        const { label, resetsAt } = periodOf(period, now);
        out.push({
          scope,
          id,
          ...(tenant !== undefined ? { tenant } : {}),
          period,
          key: `budget:${scope}:${keyPart}:${label}`,
          limitUsd: period === 'day' ? limits?.dailyUsd : limits?.monthlyUsd,
          resetsAt,
        });
      }
    };
    if (subject.keyId) add('key', subject.keyId, subject.keyBudget);
    add('tenant', subject.tenant, tenantBudget);
    // End users are counted only where a limit applies (their number is unbounded), per tenant:
    // the same name under two tenants is two people. Encoded, so no name can pose as another's.
    const userLimits = tenantBudget?.endUser ?? budgets.endUser;
    if (subject.endUser !== undefined && userLimits)
      add(
        'user',
        subject.endUser,
        userLimits,
        `${encodeURIComponent(subject.tenant)}/${encodeURIComponent(subject.endUser)}`,
        subject.tenant,
      );
    for (const tag of subject.tags ?? []) {
      const limits = budgets.tags?.[tag];
      if (limits)
        add(
          'tag',
          tag,
          limits,
          `${encodeURIComponent(subject.tenant)}/${encodeURIComponent(tag)}`,
          subject.tenant,
        );
    }
    return out;
  }

  /** Counters with a limit, to read in the same round trip as the rate limits. */
  limitedCounters(subject: BudgetSubject, now = this.options.clock.now()): BudgetCounter[] {
    return this.counters(subject, now).filter((c) => c.limitUsd !== undefined);
  }

  /**
   * Evaluate counter values (nano-dollars, in the order of `limited`): the spend, and what the
   * requests in flight reserved (none: spend only).
   */
  evaluate(
    limited: readonly BudgetCounter[],
    values: readonly number[],
    reserved: readonly number[] = [],
  ): BudgetState {
    const shiftAt = this.options.budgets().shiftToCostAt;
    const lines: BudgetLine[] = limited.map((c, i) => {
      const spentUsd = (values[i] ?? 0) / NANO_PER_USD;
      // Never below 0: a release that outlived its counter (expired) must not credit the budget.
      const reservedUsd = Math.max(0, reserved[i] ?? 0) / NANO_PER_USD;
      const limitUsd = c.limitUsd ?? Infinity;
      return {
        ...c,
        limitUsd,
        spentUsd,
        reservedUsd,
        fraction: (spentUsd + reservedUsd) / limitUsd,
      };
    });
    let exhaustedLine: BudgetLine | undefined;
    for (const l of lines) {
      if (l.fraction >= 1 && (!exhaustedLine || outranks(l, exhaustedLine))) exhaustedLine = l;
    }
    const fraction = lines.reduce((m, l) => Math.max(m, l.fraction), 0);
    return {
      fraction,
      exhausted: exhaustedLine !== undefined,
      shiftToCost: lines.length > 0 && fraction >= shiftAt,
      lines,
      exhaustedLine,
    };
  }

  /** One round trip: read the subject's limited budgets, with what requests in flight reserved. */
  async budgetState(subject: BudgetSubject): Promise<BudgetState> {
    const limited = this.limitedCounters(subject);
    if (limited.length === 0) return this.evaluate([], []);
    const seeding = this.whenSeeded(limited);
    if (seeding) await seeding;
    // A consume with no bucket: the counters and the pools (their lapsed entries dropped).
    const read = await this.options.state.consume(
      [],
      this.options.clock.now(),
      limited.map((c) => c.key),
      { read: limited.map(reservationPool) },
    );
    return this.evaluate(limited, read.counters, read.pools);
  }

  /**
   * The entries admission makes in each limited counter's reservation pool for a request expected
   * to cost `costUsd` (none when it rounds to 0 nano-dollars): one id for the request, unique
   * across replicas even when clients reuse a request id, so a retried call holds it once. Kept
   * with the request, and released by recordSpend (or refund) when it ends.
   */
  reservation(
    limited: readonly BudgetCounter[],
    costUsd: number,
    requestId = '',
  ): ReservationEntry[] {
    const nano = Math.round(costUsd * NANO_PER_USD);
    if (!(nano > 0) || !Number.isSafeInteger(nano)) return [];
    const id = `${this.nonce}.${(this.sequence++).toString(36)}:${requestId.slice(0, 64)}`;
    const ttlMs = (this.options.budgets().reservationTtlSeconds ?? RESERVATION_TTL_SECONDS) * 1000;
    return limited.map((c) => ({ pool: reservationPool(c), id, amount: nano, ttlMs }));
  }

  /**
   * Lowers the request's entries to `costUsd` where they hold more (the pick's expected cost;
   * never raised): the entries as they are now, and the change on its way to the shared state.
   * Undefined when none holds more. An entry released or lapsed meanwhile stays so.
   */
  narrow(
    entries: readonly ReservationEntry[],
    costUsd: number,
  ): { kept: ReservationEntry[]; sent: Promise<void> } | undefined {
    const nano = Math.max(0, Math.round(costUsd * NANO_PER_USD));
    if (!Number.isSafeInteger(nano) || entries.every((e) => e.amount <= nano)) return undefined;
    const kept = entries.map((e) => (e.amount <= nano ? e : { ...e, amount: nano }));
    const sent = this.options.state.changeReservations(kept, this.options.clock.now());
    return { kept: kept.filter((e) => e.amount > 0), sent };
  }

  /** Throws the budget_exceeded error when a budget has run out. */
  assertWithinBudget(state: BudgetState): void {
    if (state.exhaustedLine) throw budgetExceeded(state.exhaustedLine, this.options.clock.now());
  }

  /**
   * Add real spend to every counter of the subject and release what the request reserved at
   * admission (`reserved`, from reservation()), in one atomic round trip. Released twice, or
   * after it lapsed, an entry credits nothing.
   */
  async recordSpend(
    subject: BudgetSubject,
    costUsd: number,
    reserved: readonly ReservationEntry[] = [],
  ): Promise<void> {
    const nano = Math.round(costUsd * NANO_PER_USD);
    const spent = nano > 0;
    if (!spent && reserved.length === 0) return;
    const now = this.options.clock.now();
    // Only budgets that exist are counted: no shared-state write for callers without one.
    const limited = spent ? this.limitedCounters(subject, now) : [];
    const seeding = this.whenSeeded(limited);
    if (seeding) await seeding;
    const increments: CounterIncrement[] = limited.map((c) => ({
      key: c.key,
      by: nano,
      ttlMs: counterTtlMs(c.resetsAt, now),
    }));
    // Released from the pools it was made in (the same ones, unless the day or the budgets
    // changed while the request ran).
    if (reserved.length > 0)
      await this.options.state.changeReservations(releaseOf(reserved), now, increments);
    else if (increments.length > 0) await this.options.state.incrementCounters(increments);
  }
}

/**
 * Where the reservations of a spend counter's requests in flight are held: beside it, apart from
 * the spend, so the request log's seeding (budget-seeding.ts), which raises a spend counter to
 * the log's sum, never meets (and never drops) a reservation.
 */
export function reservationPool(counter: Pick<BudgetCounter, 'key'>): string {
  return `${counter.key}:reservations`;
}

/** The changes that release `entries`. */
export function releaseOf(entries: readonly ReservationEntry[]): ReservationChange[] {
  return entries.map(({ pool, id }) => ({ pool, id, amount: 0 }));
}

/**
 * Whose budget a line is, in words: "API key k1", "tenant acme", "end user alice (tenant acme)",
 * "tag nightly-batch (tenant acme)".
 */
export function budgetOwner(line: BudgetCounter): string {
  if (line.scope === 'key') return `API key ${line.id}`;
  if (line.scope === 'user') return `end user ${line.id} (tenant ${line.tenant})`;
  if (line.scope === 'tag') return `tag ${line.id} (tenant ${line.tenant})`;
  if (line.scope === 'deployment') return `deployment ${line.id}`;
  return `tenant ${line.id}`;
}

/**
 * A spent budget is no failure a retry in seconds clears: `x-should-retry: false` stops the
 * openai and Anthropic SDKs, which retry any 429 (twice by default, past a `retry-after` beyond
 * 60 s after their own short backoff), from sending it again to no purpose.
 */
export const NOT_RETRYABLE = { 'x-should-retry': 'false' } as const;

/** A budget in dollars, in cents at least and to the digit it was set (a $0.004 budget is not $0.00). */
function dollars(usd: number): string {
  const exact = String(Number(usd.toFixed(6)));
  return /\.\d{2,}$/.test(exact) ? exact : usd.toFixed(2);
}

/** The budget to refuse by: one spent before one full only of reservations, then the later reset. */
function outranks(l: BudgetLine, than: BudgetLine): boolean {
  const spent = l.spentUsd >= l.limitUsd;
  if (spent !== than.spentUsd >= than.limitUsd) return spent;
  return l.resetsAt > than.resetsAt;
}

/**
 * Seconds a client refused only for what requests in flight hold is told to wait: they end in
 * seconds, and what they do not spend is free again.
 */
const IN_FLIGHT_RETRY_AFTER_S = 1;

/**
 * 429 `insufficient_quota` / `budget_exceeded`: which budget, how much, and when it resets. A
 * budget full only with what requests in flight reserved is refused for now, not until the reset:
 * `retry-after: 1` and no `x-should-retry: false`, so the SDKs retry it.
 */
export function budgetExceeded(line: BudgetLine, now: number): GatewayError {
  const who = budgetOwner(line);
  const period = line.period === 'day' ? 'daily' : 'monthly';
  const resetsAt = new Date(line.resetsAt).toISOString();
  const reserved = line.reservedUsd ?? 0;
  const held =
    reserved > 0
      ? ` and $${reserved.toFixed(4)} held for requests in flight (their expected cost until they end)`
      : '';
  const figures = `$${line.spentUsd.toFixed(4)} spent${held} of $${dollars(line.limitUsd)}`;
  const details = { budget: budgetDetails(line) };
  if (line.spentUsd < line.limitUsd)
    return new GatewayError({
      status: 429,
      type: 'insufficient_quota',
      code: 'budget_exceeded',
      message: `The ${period} budget of ${who} has no room while its requests in flight run: ${figures}. Retry when they end; what they do not spend is free again.`,
      headers: { 'retry-after': String(IN_FLIGHT_RETRY_AFTER_S) },
      details,
    });
  return new GatewayError({
    status: 429,
    type: 'insufficient_quota',
    code: 'budget_exceeded',
    message: `The ${period} budget of ${who} is used up: ${figures}. It resets at ${resetsAt}.`,
    headers: {
      'retry-after': String(Math.max(1, Math.ceil((line.resetsAt - now) / 1000))),
      ...NOT_RETRYABLE,
    },
    details,
  });
}

/** A budget line as the API shows it (the 429's `budget`, an alert's `details`). */
export function budgetDetails(line: BudgetLine): Record<string, unknown> {
  return {
    scope: line.scope,
    id: line.id,
    ...(line.tenant !== undefined ? { tenant: line.tenant } : {}),
    period: line.period,
    limit_usd: line.limitUsd,
    spent_usd: line.spentUsd,
    ...(line.reservedUsd ? { reserved_usd: line.reservedUsd } : {}),
    resets_at: new Date(line.resetsAt).toISOString(),
  };
}
