// The Batch APIs' metrics: lines run, batches held, lines forwarded to upstream Batch APIs, and
// the batch webhooks' deliveries. Labels are fixed sets and config names.
import { Counter, Gauge } from 'prom-client';
import { WEBHOOK_DELIVERY_STATES, type WebhookDeliveryCounts } from '../store/webhook-outbox.js';
import { registry } from './metrics-registry.js';

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
