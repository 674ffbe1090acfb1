// Gauges of the deployments as this replica sees them (circuits, calls in flight, recent latency)
// and of the rate-limit queue; labels are config names.
import { Gauge, Histogram } from 'prom-client';
import type { CircuitState } from '../gateway/circuit-breaker.js';
import type { LoadSnapshot } from '../gateway/deployment-load.js';
import type { QueueMetrics } from '../policy/admission-queue.js';
import { registry } from './metrics-registry.js';

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
const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export function setCircuitState(deployment: string, state: CircuitState): void {
  circuit.set({ deployment }, CIRCUIT_VALUE[state]);
}

/** A deployment the config no longer has: its state series goes (an `open` one kept alerting). */
export function forgetCircuitState(deployment: string): void {
  circuit.remove({ deployment });
}

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

/** Reads the deployments' load for the gauges above when /metrics is scraped. */
export function watchDeploymentLoad(source: () => Record<string, LoadSnapshot>): void {
  loadSource = source;
}
