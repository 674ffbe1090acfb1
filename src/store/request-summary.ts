// Spend, savings against the top-model baseline, routing distribution, latency and error rates
// over a set of request records, grouped by served model, key, router, tenant, end user or tag. One
// function serves the `report` CLI, `GET /admin/v1/usage`, the dashboard and both stores, so their
// numbers agree.
import { answeredFromCache, type RequestRecord } from './request-record.js';
import type { RequestLogStore } from './request-log.js';

export const SUMMARY_BYS = ['model', 'key', 'router', 'tenant', 'user', 'tag'] as const;
export type SummaryBy = (typeof SUMMARY_BYS)[number];

/** Which records a summary reads: all of them, or those of one tenant, key, end user or tag. */
export interface UsageFilter {
  tenant?: string;
  keyId?: string;
  endUser?: string;
  tag?: string;
}

export function filterRecords(
  records: readonly RequestRecord[],
  f: UsageFilter,
): readonly RequestRecord[] {
  if (!f.tenant && !f.keyId && !f.endUser && !f.tag) return records;
  return records.filter(
    (r) =>
      (!f.tenant || r.tenant === f.tenant) &&
      (!f.keyId || r.keyId === f.keyId) &&
      (!f.endUser || r.endUser === f.endUser) &&
      (!f.tag || (r.tags?.includes(f.tag) ?? false)),
  );
}

export interface GroupSummary {
  key: string;
  requests: number;
  share: number;
  costUsd: number;
  baselineCostUsd: number;
  savingsUsd: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  errors: number;
  failovers: number;
  /** Answered from the answer cache (no upstream call). */
  cacheHits: number;
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
  errorRate: number;
  failoverRate: number;
  /** Requests answered from the answer cache, and their share. */
  cacheHits: number;
  cacheHitRate: number;
  /** Tokens the upstreams processed (answers from the cache used none). */
  tokens: { prompt: number; cached: number; completion: number; reasoning: number };
  groups: GroupSummary[];
}

/**
 * Whether a request counts as an error in the summaries: any 4xx/5xx answer except 499, a client
 * that left before its answer was complete (a user stopping a stream is not a failure of the
 * router or of the deployment that was serving it).
 */
export function countsAsError(status: number): boolean {
  return status >= 400 && status !== 499;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * What a summary reads of one request. A RequestRecord maps onto it (`summaryRow`); the dashboard's
 * compact ring stores only these fields.
 */
export interface SummaryRow {
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
  failedOver: boolean;
  cacheHit?: boolean;
}

export function summaryRow(r: RequestRecord): SummaryRow {
  return {
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
    failedOver: failedOver(r),
    cacheHit: answeredFromCache(r),
  };
}

/** The groups a request counts in: one, except by tag. */
function groupsOf(r: SummaryRow, by: SummaryBy): readonly string[] {
  switch (by) {
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

/** A request failed over when any attempt before the last one errored. */
export function failedOver(r: RequestRecord): boolean {
  return r.attempts.some((a) => a.outcome === 'error');
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
  const groups = new Map<string, SummaryRow[]>();
  const tokens = { prompt: 0, cached: 0, completion: 0, reasoning: 0 };
  let cost = 0;
  let baseline = 0;
  let errors = 0;
  let failovers = 0;
  let hits = 0;
  for (const r of records) {
    for (const k of groupsOf(r, by)) {
      let list = groups.get(k);
      if (!list) groups.set(k, (list = []));
      list.push(r);
    }
    cost += r.costUsd;
    baseline += r.baselineCostUsd;
    if (countsAsError(r.status)) errors++;
    if (r.failedOver) failovers++;
    if (r.cacheHit) {
      hits++;
      continue;
    }
    tokens.prompt += r.promptTokens;
    tokens.cached += r.cachedTokens;
    tokens.completion += r.completionTokens;
    tokens.reasoning += r.reasoningTokens;
  }
  const n = records.length;
  const out: GroupSummary[] = [...groups].map(([key, list]) => {
    const lat = list.map((r) => r.latencyMs).sort((a, b) => a - b);
    const ttft = list
      .filter((r) => r.ttftMs !== undefined)
      .map((r) => r.ttftMs as number)
      .sort((a, b) => a - b);
    const c = list.reduce((s, r) => s + r.costUsd, 0);
    const b = list.reduce((s, r) => s + r.baselineCostUsd, 0);
    return {
      key,
      requests: list.length,
      share: n ? list.length / n : 0,
      costUsd: c,
      baselineCostUsd: b,
      savingsUsd: b - c,
      latencyP50Ms: percentile(lat, 50),
      latencyP95Ms: percentile(lat, 95),
      ttftP50Ms: ttft.length ? percentile(ttft, 50) : null,
      ttftP95Ms: ttft.length ? percentile(ttft, 95) : null,
      errors: list.filter((r) => countsAsError(r.status)).length,
      failovers: list.filter((r) => r.failedOver).length,
      cacheHits: list.filter((r) => r.cacheHit).length,
    };
  });
  out.sort((a, b) => b.requests - a.requests || a.key.localeCompare(b.key));
  return {
    since,
    until,
    by,
    requests: n,
    costUsd: cost,
    baselineCostUsd: baseline,
    savingsUsd: baseline - cost,
    savingsRatio: baseline > 0 ? (baseline - cost) / baseline : 0,
    errorRate: n ? errors / n : 0,
    failoverRate: n ? failovers / n : 0,
    cacheHits: hits,
    cacheHitRate: n ? hits / n : 0,
    tokens,
    groups: out,
  };
}

/** The summary of a request log's records in [since, until), narrowed by `filter`. */
export async function usageSummary(
  store: Pick<RequestLogStore, 'query'>,
  q: { since: number; until: number; by: SummaryBy; filter?: UsageFilter },
): Promise<RequestSummary> {
  const records = await store.query(q.since, q.until, { text: false });
  const filter = Object.fromEntries(
    Object.entries(q.filter ?? {}).filter(([, v]) => v !== undefined && v !== ''),
  ) as UsageFilter;
  const summary = summarizeRecords(filterRecords(records, filter), q.by, q.since, q.until);
  return Object.keys(filter).length ? { ...summary, filter } : summary;
}
