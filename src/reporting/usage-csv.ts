// A usage summary as CSV (`report --csv`, `GET /admin/v1/usage?format=csv`): one row per group
// and a last `(total)` row, amounts in USD at full precision, for a finance team's spreadsheet or
// a chargeback job. By tag a request counts in each of its tags' rows and once in the total.
// `usage_estimated` counts the requests whose tokens are in part the router's estimate (no usage
// from the upstream), `usage_estimated_cost_usd` the part of `cost_usd` that rests on them;
// `invalid_requests` those the router refused as invalid, which `errors` leaves out. By deployment
// or model, `cost_usd` is what was spent at the row's (a timed-out first try's too), `attempts` the
// calls made there, `requests` those it served.
// Read from a request log, it ends with each group's feedback count and mean score.
import type { GroupSummary, RequestSummary } from '../store/request-summary.js';
import { csvLine } from './csv.js';

/** Each column after the group's name: what a group row holds, and what the total row does. */
const COLUMNS: [string, (g: GroupSummary) => unknown, (s: RequestSummary) => unknown][] = [
  ['requests', (g) => g.requests, (s) => s.requests],
  ['share', (g) => g.share, () => 1],
  ['cost_usd', (g) => g.costUsd, (s) => s.costUsd],
  ['baseline_cost_usd', (g) => g.baselineCostUsd, (s) => s.baselineCostUsd],
  ['savings_usd', (g) => g.savingsUsd, (s) => s.savingsUsd],
  ['cache_hits', (g) => g.cacheHits, (s) => s.cacheHits],
  ['errors', (g) => g.errors, (s) => Math.round(s.errorRate * s.requests)],
  ['failovers', (g) => g.failovers, (s) => Math.round(s.failoverRate * s.requests)],
  ['latency_p50_ms', (g) => g.latencyP50Ms, () => ''],
  ['latency_p95_ms', (g) => g.latencyP95Ms, () => ''],
  ['ttft_p50_ms', (g) => g.ttftP50Ms, () => ''],
  ['ttft_p95_ms', (g) => g.ttftP95Ms, () => ''],
  // Requests whose tokens are in part the router's estimate, and how much of cost_usd is theirs.
  ['usage_estimated', (g) => g.usageEstimated, (s) => s.usageEstimated],
  ['usage_estimated_cost_usd', (g) => g.usageEstimatedCostUsd, (s) => s.usageEstimatedCostUsd],
  // Refused by the router as invalid (malformed, an unknown model, too large): not in `errors`.
  ['invalid_requests', (g) => g.invalidRequests, (s) => s.invalidRequests],
  // Upstream calls; by deployment or model, those made there (a row may have calls and cost but
  // no request: a deployment that timed out before another answered). Last, so columns keep places.
  ['attempts', (g) => g.attempts, (s) => s.attempts],
];

/** Feedback (`POST /v1/feedback`), in summaries read from a request log: its count and mean. */
const FEEDBACK_COLUMNS: typeof COLUMNS = [
  ['feedback', (g) => g.feedback, (s) => s.feedback],
  ['mean_score', (g) => g.meanScore ?? '', (s) => s.meanScore ?? ''],
];

export function usageCsv(s: RequestSummary): string {
  const columns = s.feedback === undefined ? COLUMNS : [...COLUMNS, ...FEEDBACK_COLUMNS];
  const lines = [
    csvLine([s.by, ...columns.map(([name]) => name)]),
    ...s.groups.map((g) => csvLine([g.key, ...columns.map(([, of]) => of(g))])),
    csvLine(['(total)', ...columns.map(([, , total]) => total(s))]),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
