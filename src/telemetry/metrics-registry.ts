// The router's one Prometheus registry (prom-client, not the library's global one), with Node's
// process metrics under `model_router_process_`. Every metric file registers here.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'model_router_process_' });

/**
 * prom-client's gauges named like counters (`…_total`, which Prometheus keeps for counters:
 * `promtool check metrics` fails on them). Each is the sum of the gauge of the same name without
 * `_total`, split by `type`: `sum(model_router_process_nodejs_active_handles)` gives it.
 */
export const DROPPED_PROCESS_GAUGES = [
  'model_router_process_nodejs_active_handles_total',
  'model_router_process_nodejs_active_requests_total',
  'model_router_process_nodejs_active_resources_total',
];
for (const name of DROPPED_PROCESS_GAUGES) registry.removeSingleMetric(name);
