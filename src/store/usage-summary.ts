// A request log's usage summary over a window (`report`, `GET /admin/v1/usage`): computed in the
// database by the SQL stores, else in memory (request-summary.ts), with each group's feedback.
import { limitGroups } from './assemble-summary.js';
import { meanScore, type FeedbackStore } from './feedback-store.js';
import type { RequestLogStore } from './request-log.js';
import {
  filterRecords,
  summarizeRecords,
  type RequestSummary,
  type UsageFilter,
  type UsageQuery,
} from './request-summary.js';

/**
 * The summary of a request log's records in [since, until), narrowed by `filter`: aggregated in
 * the database when the store can (nothing read into this process, whatever the window holds),
 * otherwise from its records in memory.
 */
export async function usageSummary(
  store: Pick<RequestLogStore, 'query' | 'summarize'> &
    Partial<Pick<FeedbackStore, 'summarizeFeedback'>>,
  q: UsageQuery,
): Promise<RequestSummary> {
  const filter = Object.fromEntries(
    Object.entries(q.filter ?? {}).filter(([, v]) => v !== undefined && v !== ''),
  ) as UsageFilter;
  const limit = q.limit;
  // The SQL stores cut to `limit` in the database; in memory every group is made, then cut.
  const summary = store.summarize
    ? await store.summarize({ since: q.since, until: q.until, by: q.by, filter, limit })
    : limitGroups(
        summarizeRecords(
          filterRecords(await store.query(q.since, q.until, { text: false }), filter),
          q.by,
          q.since,
          q.until,
        ),
        limit,
      );
  // With a limit, only the groups kept are given their feedback.
  const kept = limit === undefined ? undefined : summary.groups.map((g) => g.key);
  const withFeedback = store.summarizeFeedback
    ? addFeedback(
        summary,
        await store.summarizeFeedback({ since: q.since, until: q.until, by: q.by, filter }, kept),
      )
    : summary;
  return Object.keys(filter).length ? { ...withFeedback, filter } : withFeedback;
}

/** The summary with each group's feedback count and mean score (0 and null where it has none). */
function addFeedback(
  s: RequestSummary,
  f: Awaited<ReturnType<FeedbackStore['summarizeFeedback']>>,
): RequestSummary {
  const byKey = new Map(f.groups.map((g) => [g.key, g]));
  return {
    ...s,
    feedback: f.totals.feedback,
    meanScore: meanScore(f.totals),
    groups: s.groups.map((g) => {
      const fg = byKey.get(g.key);
      return { ...g, feedback: fg?.feedback ?? 0, meanScore: fg ? meanScore(fg) : null };
    }),
  };
}
