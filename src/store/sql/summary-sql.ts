// The usage summary in SQL, for the SQLite and PostgreSQL request-log stores: the numbers
// `summarizeRows` (request-summary.ts) gives for the same records, aggregated in the database so
// that a month of requests never enters the process. Its group keys, error, invalid-request and
// failover tests, group order and nearest-rank percentiles are mirrored here; the shares, rates
// and order come from the same `assembleSummary` (summary-from-rows.ts). Tests compare both on
// the real databases (summary-sql.test.ts). What the dialects spell differently:
// summary-dialect.ts.
// By deployment and by model, a request's calls made at other deployments count there, with their
// cost (summary-calls-sql.ts): one row per request, and two per such call that move its cost and
// count from the request's group to the call's, summed together.
import { splitsCalls } from '../attempt-attribution.js';
import type { SummaryBy, UsageQuery } from '../request-summary.js';
import { INVALID_REQUEST_STATUSES } from '../summary-rules.js';
import { countCallsSql, isCallElsewhereSql, MOVED, movedGroupSql } from './summary-calls-sql.js';
import type { SummaryDialect } from './summary-dialect.js';

/** A statement's text and its parameters, in placeholder order. */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/** The group a row counts in, as `groupsOf` names it; by tag, one row per tag (`t.value`). */
function groupExpression(by: SummaryBy): string {
  switch (by) {
    case 'deployment':
      return `COALESCE(r.deployment, '(none)')`;
    case 'endpoint':
      return `COALESCE(r.endpoint, '(none)')`;
    case 'key':
      return `COALESCE(r.key_id, '(tenant ' || COALESCE(r.tenant, 'default') || ')')`;
    case 'router':
      return `COALESCE(r.router, '(direct)')`;
    case 'tenant':
      return `COALESCE(r.tenant, 'default')`;
    case 'user':
      return `COALESCE(r.end_user, '(no user)')`;
    case 'tag':
      return `COALESCE(t.value, '(untagged)')`;
    default:
      return `COALESCE(r.served_model, r.deployment, '(none)')`;
  }
}

/** isInvalidRequest: an invalid-request status, no upstream call failed (`upstreamErrored`). */
const isInvalid = (d: Omit<SummaryDialect, 'table'>) =>
  `(r.status IN (${INVALID_REQUEST_STATUSES.join(', ')}) AND NOT ${d.upstreamErrored})`;
/** countsAsError: a 4xx/5xx but 499, and not refused as invalid. */
const isError = (d: Omit<SummaryDialect, 'table'>) =>
  `(r.status >= 400 AND r.status <> 499 AND NOT ${isInvalid(d)})`;
// answeredFromCache: an exact or a semantic hit (no upstream call for the answer).
const IS_HIT = `r.cache IN ('hit', 'semantic')`;
// RequestRecord.usageEstimated: BOOLEAN in PostgreSQL, 0/1 in SQLite; NULL (before migration
// 19) is not estimated. `IS TRUE` reads all three alike in both.
const IS_ESTIMATED = 'r.usage_estimated IS TRUE';
const flag = (condition: string) => `CASE WHEN ${condition} THEN 1 ELSE 0 END`;
/** The percentiles a group reports, as fractions computed as `percentile` computes them. */
const P50 = 50 / 100;
const P95 = 95 / 100;

/** Collects parameters and hands out their placeholders. */
export class Params {
  readonly values: unknown[] = [];
  constructor(private readonly d: Omit<SummaryDialect, 'table'>) {}
  add(value: unknown): string {
    this.values.push(value);
    return this.d.placeholder(this.values.length);
  }
}

/**
 * The FROM and WHERE of every statement: the window and the filter (`filterRecords`); with
 * `groups`, only the rows of those groups (a summary cut to its busiest, `topGroupsStatement`).
 * `join`: a row per tag (`perTag`), or two per call the request made elsewhere (`elsewhere`: the
 * `MOVED` rows, whose group is `movedGroupSql`'s).
 */
export function fromWhere(
  d: SummaryDialect,
  q: UsageQuery,
  params: Params,
  join: 'perTag' | 'elsewhere' | undefined,
  groups?: readonly string[],
): string {
  const f = q.filter ?? {};
  const where = [`r.time >= ${params.add(q.since)}`, `r.time < ${params.add(q.until)}`];
  if (f.tenant) where.push(`r.tenant = ${params.add(f.tenant)}`);
  if (f.keyId) where.push(`r.key_id = ${params.add(f.keyId)}`);
  if (f.endUser) where.push(`r.end_user = ${params.add(f.endUser)}`);
  if (f.deployment) where.push(`r.deployment = ${params.add(f.deployment)}`);
  if (f.tag)
    where.push(
      `EXISTS (SELECT 1 FROM ${d.jsonStrings('r.tags', 'f')} WHERE f.value = ${params.add(f.tag)})`,
    );
  const elsewhere = join === 'elsewhere' && splitsCalls(q.by);
  if (elsewhere) where.push(d.mayCallElsewhere, isCallElsewhereSql(d));
  const group = elsewhere
    ? movedGroupSql(d, q.by as 'deployment' | 'model', groupExpression(q.by))
    : groupExpression(q.by);
  if (groups) where.push(d.inList(group, groups, (v) => params.add(v)));
  // By tag, a row per tag (a request in each of its tags' groups), one with NULL when it has none.
  const from =
    join === 'perTag'
      ? ` LEFT JOIN ${d.jsonStrings('r.tags', 't')} ON TRUE`
      : elsewhere
        ? `, ${d.calls}, ${MOVED}`
        : '';
  return `FROM ${d.table} r${from} WHERE ${where.join(' AND ')}`;
}

/** The join a grouping's request rows need: by tag, a row per tag. */
const perTagIf = (q: UsageQuery) => (q.by === 'tag' ? 'perTag' : undefined);

/** Counted once per request, whatever the grouping. */
export function totalsStatement(d: SummaryDialect, q: UsageQuery): SqlStatement {
  const params = new Params(d);
  const unlessHit = (column: string) => `SUM(CASE WHEN ${IS_HIT} THEN 0 ELSE r.${column} END)`;
  const sql = `SELECT COUNT(*) AS requests, SUM(r.cost_usd) AS cost, SUM(r.baseline_cost_usd) AS baseline,
    SUM(${countCallsSql(d)}) AS attempts, SUM(${flag(isError(d))}) AS errors, SUM(${flag(isInvalid(d))}) AS invalid,
    SUM(${flag(d.failedOver)}) AS failovers,
    SUM(${flag(IS_HIT)}) AS hits, ${unlessHit('prompt_tokens')} AS prompt,
    ${unlessHit('cached_tokens')} AS cached, ${unlessHit('completion_tokens')} AS completion,
    ${unlessHit('reasoning_tokens')} AS reasoning, SUM(${flag(IS_ESTIMATED)}) AS estimated,
    SUM(CASE WHEN ${IS_ESTIMATED} THEN r.cost_usd ELSE 0 END) AS estimated_cost
    ${fromWhere(d, q, params, undefined)}`;
  return { sql, params: params.values };
}

/**
 * The busiest `q.limit` groups (most requests, then by key in code point order: compareGroups)
 * and how many groups there are, counted in one pass without aggregating anything else, so the
 * statements after it aggregate only the groups kept (by deployment or model, groups with calls
 * made there but no request count too). Rows: g, requests, groups_total.
 */
export function topGroupsStatement(d: SummaryDialect, q: UsageQuery): SqlStatement {
  const params = new Params(d);
  const own = `SELECT ${groupExpression(q.by)} AS g, 1 AS req ${fromWhere(d, q, params, perTagIf(q))}`;
  const rows = splitsCalls(q.by)
    ? `${own} UNION ALL SELECT ${movedGroupSql(d, q.by, groupExpression(q.by))} AS g, 0 AS req
      ${fromWhere(d, q, params, 'elsewhere')}`
    : own;
  const sql = `SELECT g, SUM(req) AS requests, COUNT(*) OVER () AS groups_total FROM (${rows}) b
    GROUP BY g ORDER BY requests DESC, ${d.byCodePoint('g')} LIMIT ${params.add(q.limit ?? 0)}`;
  return { sql, params: params.values };
}

/**
 * The rows each group is aggregated over: its key and what the aggregates read. A request's row
 * counts it (`req`), its whole cost and all its calls; by deployment or model, each call it made
 * elsewhere adds two rows that move that call's cost and count to the call's group (`MOVED`), as
 * `summarizeRows` splits them. `est` marks the cost of a request whose usage is estimated.
 */
function groupedRows(
  d: SummaryDialect,
  q: UsageQuery,
  params: Params,
  groups?: readonly string[],
  moveCalls = true,
): string {
  // Latency of requests refused as invalid is NULL, left out of the percentiles as in memory.
  const own = `SELECT ${groupExpression(q.by)} AS g, 1 AS req, r.cost_usd,
    r.baseline_cost_usd, CASE WHEN ${isInvalid(d)} THEN NULL ELSE r.latency_ms END AS latency_ms,
    r.ttft_ms, ${flag(isError(d))} AS error, ${flag(isInvalid(d))} AS invalid,
    ${flag(d.failedOver)} AS failed, ${flag(IS_HIT)} AS hit,
    ${flag(IS_ESTIMATED)} AS estimated, ${flag(IS_ESTIMATED)} AS est, ${countCallsSql(d)} AS calls
    ${fromWhere(d, q, params, perTagIf(q), groups)}`;
  if (!moveCalls || !splitsCalls(q.by)) return own;
  const moved = `SELECT ${movedGroupSql(d, q.by, groupExpression(q.by))} AS g, 0 AS req,
    s.sign * ${d.callCost} AS cost_usd, 0 AS baseline_cost_usd, NULL AS latency_ms,
    NULL AS ttft_ms, 0 AS error, 0 AS invalid, 0 AS failed, 0 AS hit, 0 AS estimated,
    ${flag(IS_ESTIMATED)} AS est, s.sign AS calls
    ${fromWhere(d, q, params, 'elsewhere', groups)}`;
  return `${own} UNION ALL ${moved}`;
}

const GROUP_SUMS = `g, SUM(req) AS requests, SUM(cost_usd) AS cost, SUM(baseline_cost_usd) AS baseline,
    SUM(calls) AS attempts, SUM(error) AS errors, SUM(invalid) AS invalid, SUM(failed) AS failovers,
    SUM(hit) AS hits, SUM(estimated) AS estimated, SUM(est * cost_usd) AS estimated_cost`;

/**
 * PostgreSQL: the groups with their percentiles in one pass. `percentile_disc(f)` is the first value
 * whose position reaches ceil(f × n), as `percentile` picks it; it skips NULLs, as the TTFT of JSON
 * calls is skipped, and is NULL when a group has no TTFT at all.
 */
export function postgresGroupsStatement(
  d: SummaryDialect,
  q: UsageQuery,
  groups?: readonly string[],
): SqlStatement {
  const params = new Params(d);
  const rows = groupedRows(d, q, params, groups);
  const p50 = `${params.add(P50)}::float8`;
  const p95 = `${params.add(P95)}::float8`;
  const sql = `SELECT ${GROUP_SUMS},
    percentile_disc(${p50}) WITHIN GROUP (ORDER BY latency_ms) AS latency_p50,
    percentile_disc(${p95}) WITHIN GROUP (ORDER BY latency_ms) AS latency_p95,
    percentile_disc(${p50}) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p50,
    percentile_disc(${p95}) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p95
    FROM (${rows}) b GROUP BY g`;
  return { sql, params: params.values };
}

/**
 * SQLite: the groups' sums and counts (its percentiles come from `sqlitePercentilesStatement`);
 * with `groups`, those groups only (as in the statements below).
 */
export function sqliteGroupsStatement(
  d: SummaryDialect,
  q: UsageQuery,
  groups?: readonly string[],
): SqlStatement {
  const params = new Params(d);
  const sql = `SELECT ${GROUP_SUMS} FROM (${groupedRows(d, q, params, groups)}) b GROUP BY g`;
  return { sql, params: params.values };
}

/**
 * SQLite has no ordered-set aggregates (its `percentile` extension is a build option, and its
 * `percentile()` interpolates), so each group's values are ranked with a window function and only
 * the rows at the nearest ranks are returned:
 * rank = max(1, ceil(f × n)), the float arithmetic of `percentile`. Rows: metric ('latency' or
 * 'ttft'), g, v, and whether v is the group's p50 and/or p95.
 */
export function sqlitePercentilesStatement(
  d: SummaryDialect,
  q: UsageQuery,
  groups?: readonly string[],
): SqlStatement {
  const params = new Params(d);
  // The rows that move calls' costs have no latency: the percentiles need only the requests'.
  const rows = groupedRows(d, q, params, groups, false);
  const p50 = params.add(P50);
  const p95 = params.add(P95);
  const ranked = (column: string) =>
    `SELECT g, ${column} AS v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY ${column}) AS rn,
      COUNT(*) OVER (PARTITION BY g) AS n FROM b WHERE ${column} IS NOT NULL`;
  const at = (p: string) => `rn = MAX(1, CAST(ceil(${p} * n) AS INTEGER))`;
  const picked = (metric: string, cte: string) =>
    `SELECT '${metric}' AS metric, g, v, ${at(p50)} AS is_p50, ${at(p95)} AS is_p95 FROM ${cte}
      WHERE ${at(p50)} OR ${at(p95)}`;
  const sql = `WITH b AS (${rows}), l AS (${ranked('latency_ms')}), f AS (${ranked('ttft_ms')})
    ${picked('latency', 'l')} UNION ALL ${picked('ttft', 'f')}`;
  return { sql, params: params.values };
}

/**
 * Feedback on the window's requests (the `feedback` table, in `d.table`, whose columns copy the
 * requests' grouping fields under their names): its totals, and per group as `q.by` groups requests.
 */
export function feedbackStatements(
  d: SummaryDialect,
  q: UsageQuery,
  groups?: readonly string[],
): { totals: SqlStatement; groups: SqlStatement } {
  const sums = 'COUNT(*) AS feedback, SUM(weight) AS weight, SUM(score * weight) AS weighted';
  const t = new Params(d);
  const totals = `SELECT ${sums} FROM (SELECT r.weight, r.score ${fromWhere(d, q, t, undefined)}) b`;
  const g = new Params(d);
  const rows = `SELECT ${groupExpression(q.by)} AS g, r.weight, r.score ${fromWhere(d, q, g, perTagIf(q), groups)}`;
  return {
    totals: { sql: totals, params: t.values },
    groups: { sql: `SELECT g, ${sums} FROM (${rows}) b GROUP BY g`, params: g.values },
  };
}
