// GET /admin/v1/usage: spend, savings, tokens, latency and errors from the request log, grouped by
// model, key, router, tenant, end user or tag and optionally narrowed to one of them — the same
// summary as `model-router report --json`, for chargeback scripts and billing jobs. Admin keys only.
import type { FastifyInstance } from 'fastify';
import { GatewayError, invalidRequest, notFound } from '../../core/errors.js';
import { parseTimeBound } from '../../core/time-range.js';
import type { RequestLog } from '../../store/request-log.js';
import { SUMMARY_BYS, usageSummary, type SummaryBy } from '../../store/request-summary.js';
import { requireAdmin } from './admin-routes.js';

interface UsageQuery {
  since?: string;
  until?: string;
  by?: string;
  tenant?: string;
  key?: string;
  user?: string;
  tag?: string;
}

function bound(text: string | undefined, fallback: number, now: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  try {
    return parseTimeBound(text, now, name);
  } catch (err) {
    throw invalidRequest((err as Error).message, name, 'invalid_value');
  }
}

export function registerUsageRoutes(app: FastifyInstance, log: RequestLog | undefined): void {
  app.get<{ Querystring: UsageQuery }>('/admin/v1/usage', async (request) => {
    requireAdmin(request);
    const q = request.query;
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
    if (!log)
      throw notFound(
        'The request log is off (requestLog.kind: none), so there is no usage to report; set requestLog.kind to sqlite or postgres.',
        'request_log_off',
        null,
      );
    try {
      // What finished a moment ago is still queued for the next batch write: write it first.
      await log.flush();
      return {
        object: 'usage.summary',
        ...(await usageSummary(log.store, {
          since,
          until,
          by,
          filter: { tenant: q.tenant, keyId: q.key, endUser: q.user, tag: q.tag },
        })),
      };
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new GatewayError({
        status: 503,
        type: 'server_error',
        code: 'request_log_unavailable',
        message: `The request log could not be read (${(err as Error).message}); try again when its store is back.`,
      });
    }
  });
}
