// Spend, savings against the top-model baseline, routing distribution, latency and error rates
// over a set of request records, grouped by served model, key, router, tenant, end user or tag.
// By deployment and by model a request's calls at other deployments count where they were made
// (attempt-attribution.ts): each deployment's cost is what was spent there, requests stay with the
// one that served.
// One definition serves the `report` CLI, `GET /admin/v1/usage`, the dashboard and both stores, so
// their numbers agree: the SQL stores compute the same summary in the database (sql/summary-sql.ts
// mirrors `groupsOf`, `countsAsError`, `isInvalidRequest`, `upstreamErrored`, `failedOver`,
// `answeredFromCache` and `percentile`), the rest here in memory. What is read of each request:
// summary-row.ts; shares, rates and order: assemble-summary.ts. A log's summary with its
// feedback, whichever computes it: usage-summary.ts.
import { assembleSummary, type GroupAggregate, type SummaryTotals } from './assemble-summary.js';
import { callGroup, splitsCalls } from './attempt-attribution.js';
import type { RequestRecord } from './request-record.js';
import { summaryRow, type SummaryRow } from './summary-row.js';
import { countsAsError, isInvalidRequest, percentile } from './summary-rules.js';

export const SUMMARY_BYS = [
  'model',
  'deployment',
  'endpoint',
  'key',
  'router',
  'tenant',
  'user',
  'tag',
] as const;
export type SummaryBy = (typeof SUMMARY_BYS)[number];

/** Which records a summary reads: all of them, or those of one tenant, key, end user or tag. */
export interface UsageFilter {
  tenant?: string;
  keyId?: string;
  endUser?: string;
  tag?: string;
  /** The deployment that served (a request failed over counts for the one that answered). */
  deployment?: string;
}

export function filterRecords(
  records: readonly RequestRecord[],
  f: UsageFilter,
): readonly RequestRecord[] {
  if (!f.tenant && !f.keyId && !f.endUser && !f.tag && !f.deployment) return records;
  return records.filter(
    (r) =>
      (!f.tenant || r.tenant === f.tenant) &&
      (!f.keyId || r.keyId === f.keyId) &&
      (!f.endUser || r.endUser === f.endUser) &&
      (!f.tag || (r.tags?.includes(f.tag) ?? false)) &&
      (!f.deployment || r.deployment === f.deployment),
  );
}

export interface GroupSummary {
  key: string;
  /**
   * The requests of the group; by deployment or model, those its deployment served (or, failed,
   * last called). `share`, latency, errors, failovers, the cache, the baseline: theirs.
   */
  requests: number;
  share: number;
  /**
   * What the group spent. By deployment or model this includes the estimated cost of calls made
   * there for requests another deployment then served (a timed-out first try) and leaves out that
   * of its own requests' calls made elsewhere: the groups add up to the total.
   */
  costUsd: number;
  /**
   * Upstream calls made (attempts not passed over); by deployment or model, those made at the
   * group's, whichever deployment served the request. A group can have calls and cost but no
   * request: a deployment that only ever timed out before another answered.
   */
  attempts: number;
  baselineCostUsd: number;
  savingsUsd: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  errors: number;
  /** Refused by the router as invalid (`isInvalidRequest`): not in `errors`. */
  invalidRequests: number;
  failovers: number;
  /** Answered from the answer cache (no upstream call). */
  cacheHits: number;
  /**
   * Requests whose token counts are in part the router's estimate (RequestRecord.usageEstimated),
   * and what they cost: how much of `costUsd` rests on estimates.
   */
  usageEstimated: number;
  usageEstimatedCostUsd: number;
  /**
   * Feedback on the group's requests (`POST /v1/feedback`): how many, and their mean score weighted
   * by each one's `weight` (null with none). Only in summaries read from a request log store.
   */
  feedback?: number;
  meanScore?: number | null;
}

export interface RequestSummary {
  since: number;
  until: number;
  /**
   * The grouping. By `tag`, a request with several tags is in each of their groups (so shares
   * can add up to more than 1) and one with none in `(untagged)`; the totals count it once.
   */
  by: SummaryBy;
  /** The records read, when narrowed to a tenant, key, end user or tag. */
  filter?: UsageFilter;
  requests: number;
  costUsd: number;
  baselineCostUsd: number;
  savingsUsd: number;
  savingsRatio: number;
  /** Upstream calls the requests made (attempts not passed over). */
  attempts: number;
  /**
   * Requests answered with an error of the router or an upstream (`countsAsError`), and those the
   * router refused as invalid (malformed, an unknown model, too large: `isInvalidRequest`), apart.
   */
  errorRate: number;
  invalidRequests: number;
  invalidRequestRate: number;
  failoverRate: number;
  /** Requests answered from the answer cache, and their share. */
  cacheHits: number;
  cacheHitRate: number;
  /** Tokens the upstreams processed (answers from the cache used none). */
  tokens: { prompt: number; cached: number; completion: number; reasoning: number };
  /**
   * Requests whose token counts are in part the router's estimate, not the upstream's usage (a
   * stream that broke off or ignored `include_usage`, an answer without `usage`, moderations, a
   * failed request's prompt), their share, and their cost: how much of `costUsd` is estimated.
   * Records logged before migration 19 count as reported.
   */
  usageEstimated: number;
  usageEstimatedRate: number;
  usageEstimatedCostUsd: number;
  /** Feedback on the window's requests, as in each group (by tag, each feedback counted once). */
  feedback?: number;
  meanScore?: number | null;
  groups: GroupSummary[];
  /**
   * With `limit`: how many groups the window has (`groups` holds the first `limit` of them). The
   * SQL stores count them in the database without aggregating the ones left out.
   */
  groupsTotal?: number;
}

/** The groups a request counts in: one, except by tag (`groupExpression` in sql/summary-sql.ts). */
function groupsOf(r: SummaryRow, by: SummaryBy): readonly string[] {
  switch (by) {
    case 'deployment':
      return [r.deployment ?? '(none)'];
    case 'endpoint':
      return [r.endpoint ?? '(none)'];
    case 'key':
      return [r.keyId ?? `(tenant ${r.tenant ?? 'default'})`];
    case 'router':
      return [r.router ?? '(direct)'];
    case 'tenant':
      return [r.tenant ?? 'default'];
    case 'user':
      return [r.endUser ?? '(no user)'];
    case 'tag':
      return r.tags?.length ? r.tags : ['(untagged)'];
    default:
      return [r.servedModel ?? r.deployment ?? '(none)'];
  }
}

export function summarizeRecords(
  records: readonly RequestRecord[],
  by: SummaryBy,
  since: number,
  until: number,
): RequestSummary {
  return summarizeRows(records.map(summaryRow), by, since, until);
}

export function summarizeRows(
  records: readonly SummaryRow[],
  by: SummaryBy,
  since: number,
  until: number,
): RequestSummary {
  const groups = new Map<string, GroupParts>();
  const part = (k: string): GroupParts => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { rows: [], costUsd: 0, estimatedCostUsd: 0, attempts: 0 }));
    return g;
  };
  const split = splitsCalls(by);
  const totals: SummaryTotals = {
    requests: records.length,
    costUsd: 0,
    baselineCostUsd: 0,
    attempts: 0,
    errors: 0,
    invalidRequests: 0,
    failovers: 0,
    cacheHits: 0,
    usageEstimated: 0,
    usageEstimatedCostUsd: 0,
    tokens: { prompt: 0, cached: 0, completion: 0, reasoning: 0 },
  };
  for (const r of records) {
    // Split, the calls made elsewhere take their cost to their own group; the rest is the request's.
    let ownCost = r.costUsd;
    let ownCalls = r.calls;
    if (split)
      for (const c of r.callsElsewhere ?? []) {
        const g = part(callGroup(c, by));
        g.costUsd += c.costUsd;
        if (r.usageEstimated) g.estimatedCostUsd += c.costUsd;
        g.attempts++;
        ownCost -= c.costUsd;
        ownCalls--;
      }
    for (const k of groupsOf(r, by)) {
      const g = part(k);
      g.rows.push(r);
      g.costUsd += ownCost;
      if (r.usageEstimated) g.estimatedCostUsd += ownCost;
      g.attempts += ownCalls;
    }
    totals.costUsd += r.costUsd;
    totals.baselineCostUsd += r.baselineCostUsd;
    totals.attempts += r.calls;
    if (countsAsError(r.status, r.upstreamErrored)) totals.errors++;
    if (isInvalidRequest(r.status, r.upstreamErrored)) totals.invalidRequests++;
    if (r.failedOver) totals.failovers++;
    if (r.usageEstimated) {
      totals.usageEstimated++;
      totals.usageEstimatedCostUsd += r.costUsd;
    }
    if (r.cacheHit) {
      totals.cacheHits++;
      continue;
    }
    totals.tokens.prompt += r.promptTokens;
    totals.tokens.cached += r.cachedTokens;
    totals.tokens.completion += r.completionTokens;
    totals.tokens.reasoning += r.reasoningTokens;
  }
  const aggregates: GroupAggregate[] = [...groups].map(([key, { rows: list, ...sums }]) => {
    // Requests refused as invalid answer in a millisecond and say nothing of the latency clients
    // get: left out, as they are from the errors.
    const lat = list
      .filter((r) => !isInvalidRequest(r.status, r.upstreamErrored))
      .map((r) => r.latencyMs)
      .sort((a, b) => a - b);
    const ttft = list
      .filter((r) => r.ttftMs !== undefined)
      .map((r) => r.ttftMs as number)
      .sort((a, b) => a - b);
    return {
      key,
      requests: list.length,
      costUsd: sums.costUsd,
      attempts: sums.attempts,
      baselineCostUsd: list.reduce((s, r) => s + r.baselineCostUsd, 0),
      latencyP50Ms: percentile(lat, 50),
      latencyP95Ms: percentile(lat, 95),
      ttftP50Ms: ttft.length ? percentile(ttft, 50) : null,
      ttftP95Ms: ttft.length ? percentile(ttft, 95) : null,
      errors: list.filter((r) => countsAsError(r.status, r.upstreamErrored)).length,
      invalidRequests: list.filter((r) => isInvalidRequest(r.status, r.upstreamErrored)).length,
      failovers: list.filter((r) => r.failedOver).length,
      cacheHits: list.filter((r) => r.cacheHit).length,
      usageEstimated: list.filter((r) => r.usageEstimated).length,
      usageEstimatedCostUsd: sums.estimatedCostUsd,
    };
  });
  return assembleSummary(by, since, until, totals, aggregates);
}

/** A group as it is summed: the requests in it, and what it spent and called, split or not. */
interface GroupParts {
  rows: SummaryRow[];
  costUsd: number;
  estimatedCostUsd: number;
  attempts: number;
}

/** The window, grouping and narrowing of one summary. */
export interface UsageQuery {
  since: number;
  until: number;
  by: SummaryBy;
  filter?: UsageFilter;
  /** Only the first `limit` groups (compareGroups' order); the totals still count every request. */
  limit?: number;
}
