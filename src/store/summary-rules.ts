// The rules every request summary counts by, in memory (request-summary.ts, the dashboard) and
// mirrored in SQL (sql/summary-sql.ts): which requests are invalid or errors, the percentile
// definition, and the code point order that breaks ties between groups.

/**
 * Code point order of two strings. UTF-16 code units compare in that order except for surrogates
 * (U+D800–DFFF, which encode code points above U+FFFF): moved above U+E000–FFFF here.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/**
 * The statuses of a request the router found invalid: malformed, an unknown model, too large, or
 * a key that may not do it (401, 403: since 2026-12-06 an upstream's own 401/403 is the
 * deployment's 502, so these are always the client's; tour audit F11: a key using a model outside
 * its scopes read as the router's errors), a method the path is not served for (405, a 404 until
 * 2026-12-07).
 */
export const INVALID_REQUEST_STATUSES: readonly number[] = [400, 401, 403, 404, 405, 413, 415, 422];

/**
 * Whether the router refused a request as invalid (the client's to fix): an invalid-request status
 * with no upstream call that failed. An upstream's own 400 is not one: the router cannot tell the
 * client's mistake from what it sent wrong, and an operator must see upstreams refusing requests.
 */
export function isInvalidRequest(status: number, upstreamErrored: boolean): boolean {
  return !upstreamErrored && INVALID_REQUEST_STATUSES.includes(status);
}

/**
 * Whether a request counts as an error in the summaries: any 4xx/5xx answer except 499, a client
 * that left before its answer was complete (a user stopping a stream is not a failure of the
 * router or of the deployment that was serving it), and except a request the router refused as
 * invalid (`isInvalidRequest`), counted apart as `invalidRequests`.
 */
export function countsAsError(status: number, upstreamErrored: boolean): boolean {
  return status >= 400 && status !== 499 && !isInvalidRequest(status, upstreamErrored);
}

/**
 * The nearest-rank percentile: the smallest value with at least p% of the values at or below it,
 * computed as PostgreSQL's `percentile_disc(p / 100)` computes it (same float arithmetic), so the
 * SQL summaries give the very same value.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
