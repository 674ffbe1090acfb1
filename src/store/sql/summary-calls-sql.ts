// attempt-attribution.ts in SQL, for the usage summary's statements (summary-sql.ts): how many
// upstream calls a request made, which of them were made at another deployment than the one its
// row names, and the group each of those moves its cost to, by deployment and by model. The
// attempts are read where they are kept, the row's JSON array (`SummaryDialect.calls`).
import type { SummaryDialect } from './summary-dialect.js';

type Dialect = Omit<SummaryDialect, 'table'>;

/** isCall: an attempt not passed over (`skipped`), over `d.calls`. */
export const isCallSql = (d: Dialect) => d.distinctFrom(d.callField('outcome'), `'skipped'`);

/** callsElsewhere: a call at another deployment than the row's (any, when it names none). */
export const isCallElsewhereSql = (d: Dialect) =>
  `${isCallSql(d)} AND ${d.distinctFrom(d.callField('deployment'), 'r.deployment')}`;

/**
 * countCalls: the row's upstream calls. Only a row with an attempt passed over (`d.maySkip`, rare)
 * has its attempts unnested; the others' count is the array's length.
 */
export const countCallsSql = (d: Dialect) =>
  `CASE WHEN ${d.maySkip} THEN (SELECT COUNT(*) FROM ${d.calls} WHERE ${isCallSql(d)}) ELSE ${d.callsLength} END`;

/** callGroup: the group a call made elsewhere counts in, by deployment or by model. */
export function callGroupSql(d: Dialect, by: 'deployment' | 'model'): string {
  return by === 'deployment'
    ? `COALESCE(${d.callField('deployment')}, '(none)')`
    : `COALESCE(${d.callField('model')}, ${d.callField('deployment')}, '(none)')`;
}

/**
 * A FROM item of two rows, `s.sign` 1 and -1: joined to a call made elsewhere, it adds the call's
 * cost and count to the call's group (1) and takes them off the request's (-1), so the request's
 * own row keeps its whole cost and every call, and needs no look at its attempts but the count.
 */
export const MOVED = `(SELECT 1 AS sign UNION ALL SELECT -1 AS sign) s`;

/** The group a moved row counts in: the call's (`s.sign` 1), else the request's (`requestGroup`). */
export const movedGroupSql = (d: Dialect, by: 'deployment' | 'model', requestGroup: string) =>
  `CASE WHEN s.sign = 1 THEN ${callGroupSql(d, by)} ELSE ${requestGroup} END`;
