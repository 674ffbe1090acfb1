// The last step of every usage summary, in memory (request-summary.ts) or in SQL
// (sql/summary-from-rows.ts): from the totals and the groups as aggregated to shares, savings,
// rates and the groups' order, so the two paths cannot drift apart; and a summary cut to its
// busiest groups.
import type { GroupSummary, RequestSummary, SummaryBy } from './request-summary.js';
import { compareCodePoints } from './summary-rules.js';

/**
 * The order of a summary's groups: most requests first, then by key in code point order (UTF-8
 * byte order), the order the SQL stores pick the busiest `limit` groups in (SQLite's BINARY,
 * PostgreSQL's "C" collation), so a cut through tied groups keeps the same ones everywhere.
 */
export function compareGroups(
  a: Pick<GroupSummary, 'requests' | 'key'>,
  b: Pick<GroupSummary, 'requests' | 'key'>,
): number {
  return b.requests - a.requests || compareCodePoints(a.key, b.key);
}

/** What a summary counts once per request, whatever the grouping. */
export interface SummaryTotals {
  requests: number;
  costUsd: number;
  baselineCostUsd: number;
  attempts: number;
  errors: number;
  invalidRequests: number;
  failovers: number;
  cacheHits: number;
  usageEstimated: number;
  usageEstimatedCostUsd: number;
  tokens: RequestSummary['tokens'];
}

/** One group as aggregated (in JavaScript or in SQL), before shares and savings. */
export type GroupAggregate = Omit<GroupSummary, 'share' | 'savingsUsd'>;

/**
 * Shares, savings, rates and the order of the groups (most requests first, then by key): one
 * function for the in-memory and the SQL summaries, so they cannot drift apart.
 */
export function assembleSummary(
  by: SummaryBy,
  since: number,
  until: number,
  totals: SummaryTotals,
  aggregates: readonly GroupAggregate[],
): RequestSummary {
  const n = totals.requests;
  const groups: GroupSummary[] = aggregates.map((g) => ({
    key: g.key,
    requests: g.requests,
    share: n ? g.requests / n : 0,
    costUsd: g.costUsd,
    attempts: g.attempts,
    baselineCostUsd: g.baselineCostUsd,
    savingsUsd: g.baselineCostUsd - g.costUsd,
    latencyP50Ms: g.latencyP50Ms,
    latencyP95Ms: g.latencyP95Ms,
    ttftP50Ms: g.ttftP50Ms,
    ttftP95Ms: g.ttftP95Ms,
    errors: g.errors,
    invalidRequests: g.invalidRequests,
    failovers: g.failovers,
    cacheHits: g.cacheHits,
    usageEstimated: g.usageEstimated,
    usageEstimatedCostUsd: g.usageEstimatedCostUsd,
  }));
  groups.sort(compareGroups);
  const { costUsd: cost, baselineCostUsd: baseline } = totals;
  return {
    since,
    until,
    by,
    requests: n,
    costUsd: cost,
    baselineCostUsd: baseline,
    savingsUsd: baseline - cost,
    savingsRatio: baseline > 0 ? (baseline - cost) / baseline : 0,
    attempts: totals.attempts,
    errorRate: n ? totals.errors / n : 0,
    invalidRequests: totals.invalidRequests,
    invalidRequestRate: n ? totals.invalidRequests / n : 0,
    failoverRate: n ? totals.failovers / n : 0,
    cacheHits: totals.cacheHits,
    cacheHitRate: n ? totals.cacheHits / n : 0,
    tokens: totals.tokens,
    usageEstimated: totals.usageEstimated,
    usageEstimatedRate: n ? totals.usageEstimated / n : 0,
    usageEstimatedCostUsd: totals.usageEstimatedCostUsd,
    groups,
  };
}

/** The first `limit` groups of a summary made with all of them, and how many there were. */
export function limitGroups(summary: RequestSummary, limit: number | undefined): RequestSummary {
  if (limit === undefined) return summary;
  return { ...summary, groups: summary.groups.slice(0, limit), groupsTotal: summary.groups.length };
}
