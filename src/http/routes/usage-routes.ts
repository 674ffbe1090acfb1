// Usage from the request log, the same summary as `model-router report --json` (or its CSV with
// `format=csv`, as `report --csv` writes it):
// - GET /admin/v1/usage (admin keys): grouped by model, key, router, tenant, end user or tag and
//   optionally narrowed to one of them, for chargeback scripts and billing jobs (`limit`: only the
//   busiest groups, as the dashboard asks; the totals still count every request);
// - GET /v1/router/usage (any caller): the caller's own requests, those of its key (or, without a
//   key, of its tenant), so a team can see what it spent without an admin key;
// - GET /v1/router/key (any caller): who the router takes the caller for (key, tenant, scopes, mode
//   ceiling, subset, limits, whether the answer cache serves it) and how much of each of its
//   budgets is left.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAuthContext } from '../../auth/authenticate.js';
import type { KeyStore } from '../../auth/key-store.js';
import { GatewayError, invalidRequest, notFound, queryNumber } from '../../core/errors.js';
import { roundRatio, roundUsd } from '../../core/round-figures.js';
import { parseTimeBound } from '../../core/time-range.js';
import type { BudgetTracker } from '../../policy/budget.js';
import { budgetSubject } from '../../policy/governance-subject.js';
import type { RequestLog } from '../../store/request-log.js';
import { roundSummary } from '../../store/round-summary.js';
import {
  SUMMARY_BYS,
  type RequestSummary,
  type SummaryBy,
  type UsageFilter,
} from '../../store/request-summary.js';
import { usageSummary } from '../../store/usage-summary.js';
import { usageCsv } from '../../reporting/usage-csv.js';
import { requireAdmin } from './admin-routes.js';

interface UsageQuery {
  since?: string;
  until?: string;
  by?: string;
  tenant?: string;
  key?: string;
  user?: string;
  tag?: string;
  /** Only requests this deployment served. */
  deployment?: string;
  /** `json` (the default) or `csv`. */
  format?: string;
  /** Only the first n groups (the busiest); the totals still count every request. */
  limit?: string;
}

/** The most groups `limit` may ask for (a larger number is read as this). */
const MAX_GROUPS = 100_000;

/**
 * How many groups the caller asked for (`limit`), undefined for all. The SQL stores aggregate only
 * those; `groupsTotal` says how many there were.
 */
function groupLimit(limit: string | undefined): number | undefined {
  if (limit === undefined || limit === '') return undefined;
  return Math.floor(queryNumber(limit, 'limit', MAX_GROUPS, 1, MAX_GROUPS));
}

function bound(text: string | undefined, fallback: number, now: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  try {
    return parseTimeBound(text, now, name);
  } catch (err) {
    throw invalidRequest((err as Error).message, name, 'invalid_value');
  }
}

/** The window and grouping of a usage query, checked (a 400 naming the parameter otherwise). */
function usageWindow(q: UsageQuery): { since: number; until: number; by: SummaryBy } {
  const by = (q.by ?? 'model') as SummaryBy;
  if (!SUMMARY_BYS.includes(by))
    throw invalidRequest(
      `'by' must be one of ${SUMMARY_BYS.join(', ')} (got "${String(q.by).slice(0, 40)}").`,
      'by',
      'invalid_value',
    );
  const now = Date.now();
  const until = bound(q.until, now, now, 'until');
  const since = bound(q.since, now - 7 * 86_400_000, now, 'since');
  if (since >= until)
    throw invalidRequest(
      `'since' (${new Date(since).toISOString()}) must be before 'until' (${new Date(until).toISOString()}).`,
      'since',
      'invalid_value',
    );
  return { since, until, by };
}

/** The summary as JSON (`usage.summary`), or as CSV with `format=csv` (a file to download). */
async function answerUsage(
  reply: FastifyReply,
  log: RequestLog | undefined,
  maxRecords: number,
  q: UsageQuery,
  filter: UsageFilter,
): Promise<unknown> {
  const format = q.format ?? 'json';
  if (format !== 'json' && format !== 'csv')
    throw invalidRequest(
      `'format' must be json or csv (got "${String(q.format).slice(0, 40)}").`,
      'format',
      'invalid_value',
    );
  const summary = await readUsage(log, maxRecords, q, filter);
  if (format === 'json') return { object: 'usage.summary', ...summary };
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return reply
    .type('text/csv; charset=utf-8')
    .header(
      'content-disposition',
      `attachment; filename="usage-by-${summary.by}-${day(summary.since)}-${day(summary.until)}.csv"`,
    )
    .send(usageCsv(summary));
}

async function readUsage(
  log: RequestLog | undefined,
  maxRecords: number,
  q: UsageQuery,
  filter: UsageFilter,
): Promise<RequestSummary> {
  const window = usageWindow(q);
  const limit = groupLimit(q.limit);
  if (!log)
    throw notFound(
      'The request log is off (requestLog.kind: none), so there is no usage to report; set requestLog.kind to sqlite or postgres.',
      'request_log_off',
      null,
    );
  try {
    // What finished a moment ago is still queued for the next batch write: write it first.
    await log.flush();
    // The SQL stores aggregate in the database, whatever the window holds. A store without that
    // is summarized from its records in this process: a window too big for it is refused with
    // what to do, rather than taking the server's memory.
    if (!log.store.summarize) {
      const rows = await log.store.count(window.since, window.until);
      if (rows > maxRecords)
        throw invalidRequest(
          `The window holds ${rows} requests, more than the ${maxRecords} a summary reads in the server (requestLog.usageMaxRecords): narrow it with since/until (and sum the parts), or run \`model-router report\` against the log.`,
          'since',
          'window_too_large',
        );
    }
    return roundSummary(await usageSummary(log.store, { ...window, filter, limit }));
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'request_log_unavailable',
      message: `The request log could not be read (${(err as Error).message}); try again when its store is back.`,
    });
  }
}

export function registerUsageRoutes(
  app: FastifyInstance,
  deps: {
    log?: RequestLog;
    keys?: KeyStore;
    budgets?: BudgetTracker;
    /**
     * `requestLog.usageMaxRecords`, read per request (a reload applies at once): the guard of a
     * store that cannot aggregate in SQL.
     */
    maxRecords: () => number;
  },
): void {
  app.get<{ Querystring: UsageQuery }>('/admin/v1/usage', (request, reply) => {
    requireAdmin(request);
    const q = request.query;
    return answerUsage(reply, deps.log, deps.maxRecords(), q, {
      tenant: q.tenant,
      keyId: q.key,
      endUser: q.user,
      tag: q.tag,
      deployment: q.deployment,
    });
  });

  // The caller's own: narrowed to its key (a tenant's other keys are not its business), or to its
  // tenant when it has no key (auth.mode: none). It may narrow further by end user or tag.
  app.get<{ Querystring: UsageQuery }>('/v1/router/usage', (request, reply) => {
    const auth = request.auth;
    const q = request.query;
    for (const param of ['tenant', 'key'] as const)
      if (q[param] !== undefined)
        throw invalidRequest(
          `'${param}' is not a parameter here: this is your own usage (your key's, or your tenant's without one). Admin keys read any with GET /admin/v1/usage.`,
          param,
          'invalid_parameter',
        );
    const own: UsageFilter = auth.keyId ? { keyId: auth.keyId } : { tenant: auth.tenant };
    return answerUsage(reply, deps.log, deps.maxRecords(), q, {
      ...own,
      endUser: q.user,
      tag: q.tag,
      deployment: q.deployment,
    });
  });

  app.get('/v1/router/key', async (request: FastifyRequest) => {
    const auth = request.auth as Partial<KeyAuthContext> & typeof request.auth;
    const record = auth.keyId ? deps.keys?.get(auth.keyId) : undefined;
    const subject = budgetSubject(auth, deps.keys);
    const state = deps.budgets ? await deps.budgets.budgetState(subject) : undefined;
    const rateLimit = auth.overrides?.rateLimit ?? record?.rateLimit;
    return {
      object: 'router.key',
      id: auth.keyId ?? null,
      tenant: auth.tenant,
      admin: auth.admin,
      scopes: auth.scopes,
      max_routing_mode: auth.maxRoutingMode ?? null,
      model_subset: auth.modelSubset ?? null,
      rate_limit: rateLimit ?? null,
      answer_cache: auth.noCache !== true,
      budgets: (state?.lines ?? []).map((l) => ({
        scope: l.scope,
        id: l.id,
        period: l.period,
        limit_usd: l.limitUsd,
        spent_usd: roundUsd(l.spentUsd),
        // What requests in flight hold until they end (their expected cost), counted as used.
        reserved_usd: roundUsd(l.reservedUsd ?? 0),
        remaining_usd: roundUsd(Math.max(0, l.limitUsd - l.spentUsd)),
        resets_at: new Date(l.resetsAt).toISOString(),
      })),
      budget_used: state && state.lines.length ? roundRatio(state.fraction) : null,
    };
  });
}
