// Budget periods: the UTC day and month a spend falls in, their counter labels and bounds, and
// the unit budget counters count in.

/** Budget counters hold integer nano-dollars: exact sums, and a 1-token request still counts. */
export const NANO_PER_USD = 1e9;
const DAY_MS = 86_400_000;

export type BudgetPeriod = 'day' | 'month';

/** How long a budget counter is kept: a day past its period's end, so late reads still see it. */
export function counterTtlMs(resetsAt: number, now: number): number {
  return resetsAt - now + DAY_MS;
}

/** UTC period label and when it ends. */
const periodCache = new Map<string, { label: string; resetsAt: number; from: number }>();

/** When the UTC day or month holding `now` began (periodOf's own reckoning, from its cache). */
export function periodStart(period: BudgetPeriod, now: number): number {
  periodOf(period, now);
  return periodCache.get(period)!.from;
}

export function periodOf(period: BudgetPeriod, now: number): { label: string; resetsAt: number } {
  const hit = periodCache.get(period);
  if (hit && now >= hit.from && now < hit.resetsAt)
    return { label: hit.label, resetsAt: hit.resetsAt };
  const computed = computePeriod(period, now);
  const from =
    period === 'day'
      ? computed.resetsAt - DAY_MS
      : Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  periodCache.set(period, { ...computed, from });
  return computed;
}

function computePeriod(period: BudgetPeriod, now: number): { label: string; resetsAt: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'day') {
    const day = d.getUTCDate();
    return { label: `d:${d.toISOString().slice(0, 10)}`, resetsAt: Date.UTC(y, m, day + 1) };
  }
  return { label: `m:${d.toISOString().slice(0, 7)}`, resetsAt: Date.UTC(y, m + 1, 1) };
}
