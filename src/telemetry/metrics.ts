// Every Prometheus metric of the router, declared in this one file (prom-client, own registry),
// split by router, served model, deployment and status. Label values come from config and the
// upstream's model names, so cardinality stays bounded.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CircuitState } from '../gateway/circuit-breaker.js';
import type { PdfTextMetrics } from '../files/pdf-text.js';
import type { QueueMetrics } from '../policy/admission-queue.js';
import type { LoadSnapshot } from '../gateway/deployment-load.js';
import type { StoredFeedback } from '../store/feedback-store.js';
import { WEBHOOK_DELIVERY_STATES, type WebhookDeliveryCounts } from '../store/webhook-outbox.js';
import {
  answeredFromCache,
  type RequestRecord,
  type RequestRecorder,
} from '../store/request-record.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'model_router_process_' });

const LABELS = ['router', 'model', 'deployment', 'status'] as const;
const MODEL_LABELS = ['router', 'model', 'deployment'] as const;

const requests = new Counter({
  name: 'model_router_requests_total',
  help: 'Requests by router, served model, deployment and HTTP status; requests refused before routing (invalid JSON, a missing field, a bad key) with router, model and deployment empty',
  labelNames: LABELS,
  registers: [registry],
});
const tokens = new Counter({
  name: 'model_router_tokens_total',
  help: 'Tokens by kind (prompt, cached, completion, reasoning)',
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
  help: 'Spend in USD at the deployments prices',
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
const latency = new Histogram({
  name: 'model_router_request_duration_seconds',
  help: 'Whole-request latency',
  labelNames: MODEL_LABELS,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});
const ttft = new Histogram({
  name: 'model_router_time_to_first_token_seconds',
  help: 'Time to the first streamed chunk',
  labelNames: MODEL_LABELS,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
  help: 'Requests refused by a rate limit or budget',
  labelNames: ['router', 'code'],
  registers: [registry],
});
const queueWaiting = new Gauge({
  name: 'model_router_rate_limit_queue_waiting',
  help: 'Requests waiting on this replica for a rate limit to free up (rateLimits.queue)',
  labelNames: ['router'],
  registers: [registry],
});
const queueWait = new Histogram({
  name: 'model_router_rate_limit_queue_wait_seconds',
  help: 'How long requests waited for a rate limit to free up, whether admitted, refused or gone',
  labelNames: ['router'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

/** The rate-limit queue's gauge and histogram (labels: the router or pool, '' for a deployment). */
export const queueMetrics: QueueMetrics = {
  waiting: (router, delta) => queueWaiting.inc({ router }, delta),
  waited: (router, ms) => queueWait.observe({ router }, ms / 1000),
};
const circuit = new Gauge({
  name: 'model_router_circuit_state',
  help: 'Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open',
  labelNames: ['deployment'],
  registers: [registry],
});
/** Where the load gauges read from: the runtime's DeploymentLoad (the last one started). */
let loadSource: (() => Record<string, LoadSnapshot>) | undefined;

new Gauge({
  name: 'model_router_deployment_in_flight',
  help: 'Calls this replica has in flight per deployment',
  labelNames: ['deployment'],
  registers: [registry],
  collect() {
    this.reset();
    for (const [deployment, s] of Object.entries(loadSource?.() ?? {}))
      this.set({ deployment }, s.inFlight);
  },
});
new Gauge({
  name: 'model_router_deployment_latency_seconds',
  help: "Moving average of a deployment's recent latency as this replica sees it (kind: first_token of streams, answer of JSON calls), what `latency` pools order by",
  labelNames: ['deployment', 'kind'],
  registers: [registry],
  collect() {
    this.reset();
    for (const [deployment, s] of Object.entries(loadSource?.() ?? {})) {
      if (s.firstTokenMs !== undefined)
        this.set({ deployment, kind: 'first_token' }, s.firstTokenMs / 1000);
      if (s.answerMs !== undefined) this.set({ deployment, kind: 'answer' }, s.answerMs / 1000);
    }
  },
});

let webSocketSource: (() => number) | undefined;
new Gauge({
  name: 'model_router_websocket_connections',
  help: "WebSocket connections open on this replica (the Responses API's WebSocket mode and realtime sessions)",
  registers: [registry],
  collect() {
    if (webSocketSource) this.set(webSocketSource());
  },
});

/** Reads the open WebSocket connections (the last app started) when /metrics is scraped. */
export function watchWebSocketConnections(source: () => number): void {
  webSocketSource = source;
}

/** Reads the deployments' load for the gauges above when /metrics is scraped. */
export function watchDeploymentLoad(source: () => Record<string, LoadSnapshot>): void {
  loadSource = source;
}

const decision = new Histogram({
  name: 'model_router_routing_decision_seconds',
  help: 'Time to decide a route (features, prediction, pick)',
  labelNames: ['router'],
  buckets: [1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3],
  registers: [registry],
});

const cacheLookups = new Counter({
  name: 'model_router_cache_requests_total',
  help: 'Requests by what the answer cache did for them (hit, semantic, miss, partial, bypass)',
  labelNames: ['router', 'result'],
  registers: [registry],
});

const alerts = new Counter({
  name: 'model_router_alerts_total',
  help: 'Alerts sent to webhooks, by event and result (sent, failed)',
  labelNames: ['event', 'result'],
  registers: [registry],
});

export function countAlert(event: string, ok: boolean): void {
  alerts.inc({ event, result: ok ? 'sent' : 'failed' });
}

const realtimePauses = new Counter({
  name: 'model_router_realtime_backpressure_pauses_total',
  help: 'Times a realtime session stopped reading one side because the other was not keeping up (realtime.maxBufferedBytes), by deployment and the side paused (upstream: the client was slow; client: the upstream was slow)',
  labelNames: ['deployment', 'paused'],
  registers: [registry],
});

/** A realtime session paused reading `paused` (backpressure). */
export function countRealtimePause(deployment: string, paused: 'client' | 'upstream'): void {
  realtimePauses.inc({ deployment, paused });
}

const batchLines = new Counter({
  name: 'model_router_batch_lines_total',
  help: 'Batch lines run by this replica, by outcome (completed, failed, retried: another try later, not_run: left by a cancel or expiry)',
  labelNames: ['outcome'],
  registers: [registry],
});
let batchSource: (() => { active: number; lines_in_flight: number }) | undefined;
new Gauge({
  name: 'model_router_batches_active',
  help: 'Batches this replica is running now (it holds their lease)',
  registers: [registry],
  collect() {
    if (batchSource) this.set(batchSource().active);
  },
});

let forwardSource: (() => { deployment: string; state: string; lines: number }[]) | undefined;
new Gauge({
  name: 'model_router_batch_forward_lines',
  help: "Lines of this replica's forwarding batches sent to (or held for) a deployment's own Batch API, by deployment and state (collected: held, not yet submitted; submitting: in a submit, or being looked up after a submit with an unknown outcome; upstream: in an upstream batch, waiting at the provider)",
  labelNames: ['deployment', 'state'],
  registers: [registry],
  collect() {
    if (!forwardSource) return;
    this.reset();
    for (const w of forwardSource())
      this.set({ deployment: w.deployment, state: w.state }, w.lines);
  },
});

const batchWebhooks = new Counter({
  name: 'model_router_batch_webhooks_total',
  help: 'Batch webhook deliveries by this replica, by event and outcome (delivered; retried: an attempt failed, another follows; failed: given up)',
  labelNames: ['event', 'outcome'],
  registers: [registry],
});

let outboxCounts: WebhookDeliveryCounts | undefined;
new Gauge({
  name: 'model_router_batch_webhook_deliveries',
  help: "Batch webhook deliveries in the outbox by state (pending: waiting for an attempt; delivering: an attempt under way; delivered; failed: given up), counted every 15 s; with PostgreSQL the fleet's outbox, the same on every replica",
  labelNames: ['state'],
  registers: [registry],
  collect() {
    this.reset();
    if (!outboxCounts) return;
    for (const state of WEBHOOK_DELIVERY_STATES) this.set({ state }, outboxCounts[state]);
  },
});

/** Counts a batch line's outcome; the sources are read for the batch gauges on scrape. */
export const batchMetrics = {
  line: (outcome: 'completed' | 'failed' | 'retried' | 'not_run') => batchLines.inc({ outcome }),
  webhook: (event: string, outcome: 'delivered' | 'retried' | 'failed') =>
    batchWebhooks.inc({ event, outcome }),
  watch: (source: () => { active: number; lines_in_flight: number }) => (batchSource = source),
  watchForward: (source: () => { deployment: string; state: string; lines: number }[]) =>
    (forwardSource = source),
  /** The outbox's latest counts (batch/outbox-counts.ts); undefined: unknown, no series. */
  outbox: (counts: WebhookDeliveryCounts | undefined) => (outboxCounts = counts),
};

const pdfTexts = new Counter({
  name: 'model_router_pdf_text_extractions_total',
  help: "Attached PDFs whose text the content filter asked for, by outcome (ok; too_many_pages: past contentFilter.files.maxPdfPages, the first pages read; unreadable: pdf.js could not parse it; timeout: past pdfTimeoutMs while read, its thread terminated; timeout_waiting: past it while waiting for a thread; crashed; out_of_memory: past the thread's heap cap; too_large: its streams decompress past the thread's buffer cap; not_started: the thread failed to start; shutdown)",
  labelNames: ['outcome'],
  registers: [registry],
});
const pdfTextDuration = new Histogram({
  name: 'model_router_pdf_text_duration_seconds',
  help: "Time from asking for an attached PDF's text to its outcome (waiting for a free thread included), by outcome",
  labelNames: ['outcome'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** The PDF reader threads' outcomes (files/pdf-text.ts). */
export const pdfTextMetrics: PdfTextMetrics = {
  extracted: (outcome, seconds) => {
    pdfTexts.inc({ outcome });
    pdfTextDuration.observe({ outcome }, seconds);
  },
};

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
  feedbackScore.observe(
    { router: r.router ?? '', model: r.servedModel ?? r.deployment ?? '' },
    f.score,
  );
}

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export function recordRequestMetrics(r: RequestRecord): void {
  const router = r.router ?? '';
  // A realtime session's own record is no request: its responses are (and its connect's attempts
  // are in the first one's record); open sessions are model_router_websocket_connections. What it
  // cost, the content filter's calls on items no response read, counts where they were made.
  if (r.endpoint === 'realtime.session') {
    for (const a of r.attempts)
      if (a.costUsd) {
        const at = { router, model: a.model, deployment: a.deployment };
        cost.inc(at, a.costUsd);
        if (r.usageEstimated) estimatedCost.inc(at, a.costUsd);
      }
    return;
  }
  const model = r.servedModel ?? '';
  const deployment = r.deployment ?? '';
  const m = { router, model, deployment };
  requests.inc({ ...m, status: String(r.status) });
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
      const at = { router, model: a.model, deployment: a.deployment };
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
function countSavings(m: Record<string, string>, r: RequestRecord): void {
  if (r.baselineCostUsd > 0) baseline.inc(m, r.baselineCostUsd);
  if (r.baselineCostUsd > r.costUsd) savings.inc(m, r.baselineCostUsd - r.costUsd);
}

/** Distinct error codes a label takes, beyond which any new one is `other`. */
const MAX_ERROR_LABELS = 64;
const ERROR_LABEL = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const errorLabels = new Set<string>();

/**
 * An error code as a label value: the router's own codes and an upstream's are bounded so that
 * an upstream that puts per-request text in `error.code` cannot grow the series without end
 * (observability audit F3, 2026-12-06): a code past 64 characters or with other characters, or
 * any new one once 64 are in use, is `other`.
 */
export function errorLabel(code: string): string {
  if (errorLabels.has(code)) return code;
  if (!ERROR_LABEL.test(code) || errorLabels.size >= MAX_ERROR_LABELS) return 'other';
  errorLabels.add(code);
  return code;
}

/** A record's tokens into `counter` by kind (cached and reasoning only when there are some). */
function countTokens(
  counter: Counter<'router' | 'model' | 'deployment' | 'kind'>,
  m: { router: string; model: string; deployment: string },
  r: RequestRecord,
): void {
  counter.inc({ ...m, kind: 'prompt' }, r.promptTokens);
  if (r.cachedTokens) counter.inc({ ...m, kind: 'cached' }, r.cachedTokens);
  counter.inc({ ...m, kind: 'completion' }, r.completionTokens);
  if (r.reasoningTokens) counter.inc({ ...m, kind: 'reasoning' }, r.reasoningTokens);
}

/**
 * A request answered with an error before a record was opened for it (invalid JSON, a missing
 * field, a bad key, an unknown path): counted in requests_total by status alone, its router, model
 * and deployment empty (never the client's `model`, which would let clients grow the series).
 */
export function recordRefusedRequest(status: number): void {
  requests.inc({ router: '', model: '', deployment: '', status: String(status) });
}

export function setCircuitState(deployment: string, state: CircuitState): void {
  circuit.set({ deployment }, CIRCUIT_VALUE[state]);
}

export const metricsRecorder: RequestRecorder = { record: recordRequestMetrics };

export function metricsText(): Promise<string> {
  return registry.metrics();
}
