// The usage summary from the rows its statements return (summary-sql.ts): drivers give counts
// and sums as numbers or, PostgreSQL's bigint, strings, and SQLite's percentiles come as rows of
// their own. Shares, rates and order come from `assembleSummary`, as in memory.
import { assembleSummary, type GroupAggregate, type SummaryTotals } from '../assemble-summary.js';
import type { FeedbackGroup } from '../feedback-store.js';
import type { RequestSummary, UsageQuery } from '../request-summary.js';

/** A row of `feedbackStatements` as a FeedbackGroup (sums of no rows are NULL). */
export function feedbackGroupFromRow(row: Record<string, unknown>, key: string): FeedbackGroup {
  return {
    key,
    feedback: num(row.feedback),
    weight: num(row.weight),
    weightedScore: num(row.weighted),
  };
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type TotalsRow = Record<
  | 'requests'
  | 'cost'
  | 'baseline'
  | 'attempts'
  | 'errors'
  | 'invalid'
  | 'failovers'
  | 'hits'
  | 'prompt'
  | 'cached'
  | 'completion'
  | 'reasoning'
  | 'estimated'
  | 'estimated_cost',
  unknown
>;
export type GroupRow = Record<
  | 'g'
  | 'requests'
  | 'cost'
  | 'baseline'
  | 'attempts'
  | 'errors'
  | 'invalid'
  | 'failovers'
  | 'hits'
  | 'estimated'
  | 'estimated_cost',
  unknown
> &
  Partial<Record<'latency_p50' | 'latency_p95' | 'ttft_p50' | 'ttft_p95', unknown>>;
export interface PercentileRow {
  metric: 'latency' | 'ttft';
  g: string;
  v: number;
  is_p50: unknown;
  is_p95: unknown;
}

export interface TopGroupRow {
  g: unknown;
  requests: unknown;
  groups_total: unknown;
}

/** The keys `topGroupsStatement` kept, and how many groups there are (0 when it found none). */
export function topGroupsFromRows(rows: readonly TopGroupRow[]): {
  keys: string[];
  groupsTotal: number;
} {
  return { keys: rows.map((r) => String(r.g)), groupsTotal: num(rows[0]?.groups_total) };
}

/**
 * The summary from the statements' rows (drivers give counts and sums as numbers or, PostgreSQL's
 * bigint, strings). `percentiles`, SQLite's, fills in the groups' percentiles; `groupsTotal`, of a
 * summary cut to `q.limit` groups, says how many there are.
 */
export function summaryFromRows(
  q: UsageQuery,
  totals: TotalsRow,
  groups: readonly GroupRow[],
  percentiles: readonly PercentileRow[] = [],
  groupsTotal?: number,
): RequestSummary {
  const t: SummaryTotals = {
    requests: num(totals.requests),
    costUsd: num(totals.cost),
    baselineCostUsd: num(totals.baseline),
    attempts: num(totals.attempts),
    errors: num(totals.errors),
    invalidRequests: num(totals.invalid),
    failovers: num(totals.failovers),
    cacheHits: num(totals.hits),
    usageEstimated: num(totals.estimated),
    usageEstimatedCostUsd: num(totals.estimated_cost),
    tokens: {
      prompt: num(totals.prompt),
      cached: num(totals.cached),
      completion: num(totals.completion),
      reasoning: num(totals.reasoning),
    },
  };
  const aggregates = new Map<string, GroupAggregate>();
  for (const g of groups) {
    const key = String(g.g);
    aggregates.set(key, {
      key,
      requests: num(g.requests),
      costUsd: num(g.cost),
      attempts: num(g.attempts),
      baselineCostUsd: num(g.baseline),
      latencyP50Ms: num(g.latency_p50),
      latencyP95Ms: num(g.latency_p95),
      ttftP50Ms: numOrNull(g.ttft_p50),
      ttftP95Ms: numOrNull(g.ttft_p95),
      errors: num(g.errors),
      invalidRequests: num(g.invalid),
      failovers: num(g.failovers),
      cacheHits: num(g.hits),
      usageEstimated: num(g.estimated),
      usageEstimatedCostUsd: num(g.estimated_cost),
    });
  }
  for (const p of percentiles) {
    const a = aggregates.get(String(p.g));
    if (!a) continue;
    const v = Number(p.v);
    if (p.metric === 'latency') {
      if (num(p.is_p50)) a.latencyP50Ms = v;
      if (num(p.is_p95)) a.latencyP95Ms = v;
    } else {
      if (num(p.is_p50)) a.ttftP50Ms = v;
      if (num(p.is_p95)) a.ttftP95Ms = v;
    }
  }
  const summary = assembleSummary(q.by, q.since, q.until, t, [...aggregates.values()]);
  return groupsTotal === undefined ? summary : { ...summary, groupsTotal };
}
