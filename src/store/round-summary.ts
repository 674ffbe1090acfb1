// A usage summary as GET /admin/v1/usage, `report --json` and the dashboard show it: costs to 6
// significant digits, shares and rates to 4 decimals, latencies to 0.1 ms (core/round-figures.ts).
// The stores compute it unrounded, so memory and SQL summaries still agree to the last bit.
import { roundMaybe, roundMs, roundRatio, roundUsd } from '../core/round-figures.js';
import type { GroupSummary, RequestSummary } from './request-summary.js';

type Totals = Pick<
  RequestSummary,
  | 'costUsd'
  | 'baselineCostUsd'
  | 'savingsUsd'
  | 'savingsRatio'
  | 'errorRate'
  | 'invalidRequestRate'
  | 'failoverRate'
  | 'cacheHitRate'
  | 'usageEstimatedRate'
  | 'usageEstimatedCostUsd'
  | 'meanScore'
>;

/** The totals and each group of a summary (or of the dashboard's overview), rounded. */
export function roundSummary<
  T extends Totals & { groups?: GroupSummary[]; models?: GroupSummary[] },
>(s: T): T {
  return {
    ...s,
    costUsd: roundUsd(s.costUsd),
    baselineCostUsd: roundUsd(s.baselineCostUsd),
    savingsUsd: roundUsd(s.savingsUsd),
    savingsRatio: roundRatio(s.savingsRatio),
    errorRate: roundRatio(s.errorRate),
    invalidRequestRate: roundRatio(s.invalidRequestRate),
    failoverRate: roundRatio(s.failoverRate),
    cacheHitRate: roundRatio(s.cacheHitRate),
    usageEstimatedRate: roundRatio(s.usageEstimatedRate),
    usageEstimatedCostUsd: roundUsd(s.usageEstimatedCostUsd),
    ...(s.meanScore !== undefined ? { meanScore: roundMaybe(s.meanScore, roundRatio) } : {}),
    ...(s.groups ? { groups: s.groups.map(roundGroup) } : {}),
    ...(s.models ? { models: s.models.map(roundGroup) } : {}),
  };
}

function roundGroup(g: GroupSummary): GroupSummary {
  return {
    ...g,
    share: roundRatio(g.share),
    costUsd: roundUsd(g.costUsd),
    baselineCostUsd: roundUsd(g.baselineCostUsd),
    savingsUsd: roundUsd(g.savingsUsd),
    usageEstimatedCostUsd: roundUsd(g.usageEstimatedCostUsd),
    latencyP50Ms: roundMs(g.latencyP50Ms),
    latencyP95Ms: roundMs(g.latencyP95Ms),
    ttftP50Ms: roundMaybe(g.ttftP50Ms, roundMs),
    ttftP95Ms: roundMaybe(g.ttftP95Ms, roundMs),
    ...(g.meanScore !== undefined ? { meanScore: roundMaybe(g.meanScore, roundRatio) } : {}),
  };
}
