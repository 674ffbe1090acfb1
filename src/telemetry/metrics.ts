// The router's Prometheus metrics, the module the runtime loads when `telemetry.metrics` is on:
// importing it declares every metric (one file per concept, all in metrics-registry.ts's
// registry). Label values are config names, fixed sets, or bounded (metric-labels.ts), so no
// client can grow the series; docs/operations.md "Metrics" lists them.
import type { RequestRecorder } from '../store/request-record.js';
import { registry } from './metrics-registry.js';
import { recordRequestMetrics } from './request-metrics.js';

export { registry } from './metrics-registry.js';
export { metricsExposition, type MetricsExposition } from './metrics-exposition.js';
export { errorLabel, servedModelLabel } from './metric-labels.js';
export {
  recordFeedbackMetrics,
  recordRefusedRequest,
  recordRequestMetrics,
} from './request-metrics.js';
export {
  forgetCircuitState,
  queueMetrics,
  setCircuitState,
  watchDeploymentLoad,
} from './deployment-metrics.js';
export { batchMetrics } from './batch-metrics.js';
export {
  countAlert,
  countRealtimePause,
  pdfTextMetrics,
  watchWebSocketConnections,
} from './service-metrics.js';

export const metricsRecorder: RequestRecorder = { record: recordRequestMetrics };

/** The metrics as Prometheus text (0.0.4). */
export function metricsText(): Promise<string> {
  return registry.metrics();
}
