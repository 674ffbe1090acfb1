// What a usage summary reads of one request (`SummaryRow`), and the tests on its attempts that
// the summary counts by: whether an upstream call failed, whether the request failed over, how
// many calls it made and which were made at other deployments (attempt-attribution.ts). The SQL
// stores read the same from their columns (sql/summary-sql.ts); the dashboard's compact ring
// keeps only these fields.
import { callsElsewhere, countCalls, type CallElsewhere } from './attempt-attribution.js';
import { answeredFromCache, type RequestRecord } from './request-record.js';

/**
 * What a summary reads of one request. A RequestRecord maps onto it (`summaryRow`); the dashboard's
 * compact ring stores only these fields.
 */
export interface SummaryRow {
  endpoint?: string;
  keyId?: string;
  tenant?: string;
  endUser?: string;
  tags?: readonly string[];
  router?: string;
  servedModel?: string;
  deployment?: string;
  costUsd: number;
  baselineCostUsd: number;
  status: number;
  latencyMs: number;
  ttftMs?: number;
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** An upstream call failed (`upstreamErrored`): an error of the router's, not the client's. */
  upstreamErrored: boolean;
  /** Another deployment was tried after one failed (`failedOver`). */
  failedOver: boolean;
  /** Upstream calls made (`countCalls`). */
  calls: number;
  /** Those of them made at other deployments than `deployment` (`callsElsewhere`). */
  callsElsewhere?: readonly CallElsewhere[];
  cacheHit?: boolean;
  usageEstimated?: boolean;
}

export function summaryRow(r: RequestRecord): SummaryRow {
  return {
    endpoint: r.endpoint,
    keyId: r.keyId,
    tenant: r.tenant,
    endUser: r.endUser,
    tags: r.tags,
    router: r.router,
    servedModel: r.servedModel,
    deployment: r.deployment,
    costUsd: r.costUsd,
    baselineCostUsd: r.baselineCostUsd,
    status: r.status,
    latencyMs: r.latencyMs,
    ttftMs: r.ttftMs,
    promptTokens: r.promptTokens,
    cachedTokens: r.cachedTokens,
    completionTokens: r.completionTokens,
    reasoningTokens: r.reasoningTokens,
    upstreamErrored: upstreamErrored(r),
    failedOver: failedOver(r),
    calls: countCalls(r.attempts),
    callsElsewhere: callsElsewhere(r),
    cacheHit: answeredFromCache(r),
    usageEstimated: r.usageEstimated === true,
  };
}

/** Any of the request's upstream calls failed. */
export function upstreamErrored(r: RequestRecord): boolean {
  return r.attempts.some((a) => a.outcome === 'error');
}

/**
 * A request failed over when an attempt errored and another deployment was called after it
 * (one passed over, `skipped`, was not called). A lone failed call is an error, not a failover:
 * counted as one, an outage read as "100% failovers" (ops audit F3, 2026-12-06).
 */
export function failedOver(r: RequestRecord): boolean {
  const firstError = r.attempts.findIndex((a) => a.outcome === 'error');
  return firstError !== -1 && r.attempts.slice(firstError + 1).some((a) => a.outcome !== 'skipped');
}
