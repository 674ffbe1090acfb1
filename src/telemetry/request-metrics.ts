// The metrics of each finished request, from its record: counts, tokens, money, latency, failed
// attempts, by router (or pool), served model and deployment. `router` and `deployment` are config
// names; the served model and error codes are bounded label values (metric-labels.ts).
import { Counter, Histogram } from 'prom-client';
import type { StoredFeedback } from '../store/feedback-store.js';
import { answeredFromCache, type RequestRecord } from '../store/request-record.js';
import { errorLabel, servedModelLabel, statusLabel } from './metric-labels.js';
import { registry } from './metrics-registry.js';

const LABELS = ['router', 'model', 'deployment', 'status'] as const;
const MODEL_LABELS = ['router', 'model', 'deployment'] as const;
type ModelLabels = { router: string; model: string; deployment: string };

const requests = new Counter({
  name: 'model_router_requests_total',
  help: 'Requests by router, served model, deployment and HTTP status; requests refused before routing (invalid JSON, a missing field, a bad key) with router, model and deployment empty',
  labelNames: LABELS,
  registers: [registry],
});
const tokens = new Counter({
  name: 'model_router_tokens_total',
  help: 'Tokens by kind: prompt, completion, and of those cached (of prompt) and reasoning (of completion); sum prompt and completion for the total',
  labelNames: [...MODEL_LABELS, 'kind'],
  registers: [registry],
});
const estimatedRequests = new Counter({
  name: 'model_router_usage_estimated_requests_total',
  help: "Requests whose token counts (and so cost) are in part the router's estimate, the upstream having reported no usage (the request log's usage_estimated)",
  labelNames: MODEL_LABELS,
  registers: [registry],
});
const estimatedTokens = new Counter({
  name: 'model_router_usage_estimated_tokens_total',
  help: "Of model_router_tokens_total, the tokens of requests whose usage is in part the router's estimate, by kind",
  labelNames: [...MODEL_LABELS, 'kind'],
  registers: [registry],
});
const cost = new Counter({
  name: 'model_router_cost_usd_total',
  help: "Spend in USD at the deployments' prices, by router, served model and deployment",
  labelNames: MODEL_LABELS,
  registers: [registry],
});
const estimatedCost = new Counter({
  name: 'model_router_usage_estimated_cost_usd_total',
  help: "Of model_router_cost_usd_total, the USD of requests whose usage is in part the router's estimate (the request log's usage_estimated)",
  labelNames: MODEL_LABELS,
  registers: [registry],
});
const webSearches = new Counter({
  name: 'model_router_web_searches_total',
  help: 'Web searches run for answers (web_search_options, Anthropic web search tool): Claude as its usage counts them, an OpenAI-format search model one a request; each priced by prices.perWebSearch inside model_router_cost_usd_total',
  labelNames: MODEL_LABELS,
  registers: [registry],
});
const savings = new Counter({
  name: 'model_router_savings_usd_total',
  help: 'USD saved against sending the same requests to the router top model, by the requests that cost less than it (gross: a counter cannot go down; net savings = model_router_baseline_cost_usd_total - model_router_cost_usd_total)',
  labelNames: MODEL_LABELS,
  registers: [registry],
});
const baseline = new Counter({
  name: 'model_router_baseline_cost_usd_total',
  help: 'USD the same requests would have cost at the router top model; minus model_router_cost_usd_total, the net savings the usage summary and the dashboard show',
  labelNames: MODEL_LABELS,
  registers: [registry],
});
// Up to 5 min: a long stream or a reasoning model's answer takes minutes.
const latency = new Histogram({
  name: 'model_router_request_duration_seconds',
  help: "Time from the router taking up a request (its body read) to its end (a stream's last chunk), failed attempts and waits included",
  labelNames: MODEL_LABELS,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});
// Up to 1 min: a reasoning model thinks before its first token.
const ttft = new Histogram({
  name: 'model_router_time_to_first_token_seconds',
  help: 'Streams: time from the router taking up a request (its body read) to the first chunk of the upstream that served',
  labelNames: MODEL_LABELS,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});
const failovers = new Counter({
  name: 'model_router_failovers_total',
  help: 'Failed upstream attempts by deployment and error, each counted once, whether or not another deployment was tried after it (a 400 is not failed over)',
  labelNames: ['router', 'deployment', 'error'],
  registers: [registry],
});
const rateLimited = new Counter({
  name: 'model_router_rate_limit_rejections_total',
  help: 'Requests refused with a 429 by a rate limit or budget, by router and error code',
  labelNames: ['router', 'code'],
  registers: [registry],
});
// Measured 2026-12-07 in a server on the default config, 200-character prompts: under steady
// traffic a mean of 83 us (78% under 0.1 ms); one request every 200 ms, 321 us (the caches cold);
// 600 sent by curl one at a time, most 0.25-0.5 ms, 4 past 5 ms, one up to 25 ms (the routing
// bench's warm loop: 40-90 us for a 2k-token prompt, docs/routing.md "Speed"); buckets from 10 us
// to 100 ms hold them all.
const decision = new Histogram({
  name: 'model_router_routing_decision_seconds',
  help: 'Time to decide a route (features, prediction, pick)',
  labelNames: ['router'],
  buckets: [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.1],
  registers: [registry],
});
// The router's own time in a request (gateway/request-timing.ts): the time it held the request
// less its waits on upstream chat calls, a stream's on its client and a queue wait the client asked
// for. By `stream`: a stream's includes its work on every chunk, a JSON answer's is one pass.
// Measured 2026-12-07 in process (simulated upstream): a JSON request 70 us on average called by
// name, 150-170 us routed, a 200-chunk stream about 0.9 ms; buckets 25 us to 250 ms hold those and
// the content filter's moderation calls, which count here.
const overhead = new Histogram({
  name: 'model_router_overhead_seconds',
  help: "The router's own time in a chat request (chat, completions, Responses, Messages): from taking it up to its end, less the waits on upstream chat calls (failed attempts' too), on a stream's client (backpressure) and in the rate-limit queue; by router and stream (true, false)",
  labelNames: ['router', 'stream'],
  buckets: [2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});
const cacheLookups = new Counter({
  name: 'model_router_cache_requests_total',
  help: 'Requests by what the answer cache did for them (hit, semantic, miss, partial, bypass)',
  labelNames: ['router', 'result'],
  registers: [registry],
});
const feedbackScore = new Histogram({
  name: 'model_router_feedback_score',
  help: 'Feedback scores (POST /v1/feedback, in [0, 1]) by router and the model that served the rated answer; _count is how many, _sum / _count the mean',
  labelNames: ['router', 'model'],
  buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  registers: [registry],
});

/** Counts a stored feedback under its request's router and served model. */
export function recordFeedbackMetrics(f: StoredFeedback): void {
  const r = f.request;
  const deployment = r.deployment ?? '';
  feedbackScore.observe(
    { router: r.router ?? '', model: servedModelLabel(deployment, r.servedModel ?? deployment) },
    f.score,
  );
}

/** An attempt's cost where it was made: its own deployment and the model it called there. */
function attemptLabels(router: string, a: RequestRecord['attempts'][number]): ModelLabels {
  return { router, model: servedModelLabel(a.deployment, a.model), deployment: a.deployment };
}

export function recordRequestMetrics(r: RequestRecord): void {
  const router = r.router ?? '';
  // A realtime session's own record is no request: its responses are (and its connect's attempts
  // are in the first one's record); open sessions are model_router_websocket_connections. What it
  // cost, the content filter's calls on items no response read, counts where they were made.
  if (r.endpoint === 'realtime.session') {
    for (const a of r.attempts)
      if (a.costUsd) {
        const at = attemptLabels(router, a);
        cost.inc(at, a.costUsd);
        if (r.usageEstimated) estimatedCost.inc(at, a.costUsd);
      }
    return;
  }
  const deployment = r.deployment ?? '';
  const model = servedModelLabel(deployment, r.servedModel ?? '');
  const m: ModelLabels = { router, model, deployment };
  // Label sets written out whole: a spread then a key makes a new hidden class per object on
  // Node 20, and prom-client's reads of them go megamorphic (docs/benchmarks.md, 2026-12-07).
  requests.inc({ router, model, deployment, status: statusLabel(r.status) });
  if (r.status === 429)
    rateLimited.inc({ router, code: errorLabel(r.errorCode ?? 'rate_limit_exceeded') });
  for (const a of r.attempts)
    if (a.outcome === 'error')
      failovers.inc({
        router,
        deployment: a.deployment,
        error: errorLabel(a.errorCode ?? String(a.httpStatus ?? '')),
      });
  if (r.routingMicros !== undefined) decision.observe({ router }, r.routingMicros / 1e6);
  if (r.overheadMicros !== undefined)
    overhead.observe({ router, stream: r.stream ? 'true' : 'false' }, r.overheadMicros / 1e6);
  if (r.cache) cacheLookups.inc({ router, result: r.cache });
  // As the usage summary counts them (usageEstimated): refused and failed requests too.
  if (r.usageEstimated) estimatedRequests.inc(m);
  // Attempts charged though they gave no answer (timed out, stopped in flight), and a semantic
  // lookup's embedding call, cost at their own deployment, served or not; the rest of the
  // request's cost is the one that served's.
  let elsewhere = 0;
  for (const a of r.attempts)
    if (a.costUsd) {
      elsewhere += a.costUsd;
      const at = attemptLabels(router, a);
      cost.inc(at, a.costUsd);
      if (r.usageEstimated) estimatedCost.inc(at, a.costUsd);
    }
  if (!deployment) return;
  const own = r.costUsd - elsewhere;
  // A hit used no upstream chat tokens: its savings count, its tokens do not.
  if (answeredFromCache(r)) {
    if (own > 0) cost.inc(m, own);
    if (own > 0 && r.usageEstimated) estimatedCost.inc(m, own);
    countSavings(m, r);
    latency.observe(m, r.latencyMs / 1000);
    return;
  }
  countTokens(tokens, m, r);
  if (r.usageEstimated) countTokens(estimatedTokens, m, r);
  if (own > 0) cost.inc(m, own);
  if (r.usageEstimated && own > 0) estimatedCost.inc(m, own);
  if (r.webSearches) webSearches.inc(m, r.webSearches);
  countSavings(m, r);
  latency.observe(m, r.latencyMs / 1000);
  if (r.ttftMs !== undefined) ttft.observe(m, r.ttftMs / 1000);
}

/**
 * What a request would have cost at the router's top model, and what it saved when it cost less
 * (a request that cost more, after a failover to a dearer model say, saved less than nothing: in
 * the baseline and the cost, not in the gross savings).
 */
function countSavings(m: ModelLabels, r: RequestRecord): void {
  if (r.baselineCostUsd > 0) baseline.inc(m, r.baselineCostUsd);
  if (r.baselineCostUsd > r.costUsd) savings.inc(m, r.baselineCostUsd - r.costUsd);
}

/** A record's tokens into `counter` by kind (cached and reasoning only when there are some). */
function countTokens(
  counter: Counter<'router' | 'model' | 'deployment' | 'kind'>,
  m: ModelLabels,
  r: RequestRecord,
): void {
  const { router, model, deployment } = m;
  counter.inc({ router, model, deployment, kind: 'prompt' }, r.promptTokens);
  if (r.cachedTokens) counter.inc({ router, model, deployment, kind: 'cached' }, r.cachedTokens);
  counter.inc({ router, model, deployment, kind: 'completion' }, r.completionTokens);
  if (r.reasoningTokens)
    counter.inc({ router, model, deployment, kind: 'reasoning' }, r.reasoningTokens);
}

/**
 * A request answered with an error before a record was opened for it (invalid JSON, a missing
 * field, a bad key, an unknown path): counted in requests_total by status alone, its router, model
 * and deployment empty (never the client's `model`, which would let clients grow the series).
 */
export function recordRefusedRequest(status: number): void {
  requests.inc({ router: '', model: '', deployment: '', status: statusLabel(status) });
}
