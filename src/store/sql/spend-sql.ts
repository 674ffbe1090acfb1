// A budget's spend history in SQL (store/spend-history.ts): what a window's requests cost, or
// what was spent at one deployment, summed in the database, where a budget the process meets for
// the first time starts counting.
import type { SpendQuery } from '../spend-history.js';
import { isCallElsewhereSql } from './summary-calls-sql.js';
import type { SummaryDialect } from './summary-dialect.js';
import { Params, fromWhere, type SqlStatement } from './summary-sql.js';

/**
 * What the filtered requests of the window cost, and nothing else: one indexed sum; the whole
 * summary it replaced (four statements, percentiles among them) over every request of the period
 * made a new end user's first request wait seconds on a large log (soak audit F1, 2026-12-06).
 * With `spentAt`, what was spent at that deployment (`spentAtSql`). Row: cost.
 */
export function spendStatement(d: SummaryDialect, q: SpendQuery): SqlStatement {
  const params = new Params(d);
  const window = { since: q.since, until: q.until, by: 'tenant' as const, filter: q.filter };
  const where = () => fromWhere(d, window, params, undefined);
  const sql =
    q.spentAt === undefined
      ? `SELECT COALESCE(SUM(r.cost_usd), 0) AS cost ${where()}`
      : spentAtSql(d, q.spentAt, params, where);
  return { sql, params: params.values };
}

/**
 * Each upstream call's cost where it was made, as live counting charges a deployment's budget
 * (policy/governance-policies.ts settle) and the usage summary by deployment counts it
 * (attempt-attribution.ts): the requests it served, less what their calls at other deployments
 * were charged (`AttemptRecord.costUsd`: timed out, stopped in flight), plus what other requests'
 * calls were charged here. Two reads, each through an index: the requests it served, whole, by
 * `requests_deployment_time` (the sum a budget read before); the requests with a charged call,
 * rare, by the partial `requests_charged_time` (`SummaryDialect.charged`), each moving its
 * charged calls' cost to or from this deployment. A request with no charged call moves none.
 */
function spentAtSql(d: SummaryDialect, deployment: string, params: Params, where: () => string) {
  const at = params.add(deployment);
  const served = `SELECT r.cost_usd AS c ${where()} AND r.deployment = ${at}`;
  const callAt = `${d.callField('deployment')} = ${at}`;
  // Of the requests with a charged call, only those served here or with a call here move cost.
  const concerned = `(r.deployment = ${at} OR ${d.mayCallAt('r.attempts', deployment, (v) => params.add(v))})`;
  const moved = `SELECT (SELECT COALESCE(SUM(CASE WHEN ${callAt} THEN ${d.callCost} ELSE -${d.callCost} END), 0)
    FROM ${d.calls} WHERE ${isCallElsewhereSql(d)} AND (${callAt} OR r.deployment = ${at})) AS c
    ${where()} AND ${d.charged('r.attempts')} AND ${concerned}`;
  return `SELECT COALESCE(SUM(c), 0) AS cost FROM (${served} UNION ALL ${moved}) s`;
}
