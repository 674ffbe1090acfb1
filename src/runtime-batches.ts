// The Batch APIs' service and the files uploaded as model input, as the composition root
// (runtime.ts) builds them: stored beside the request log (else in memory), with the batch
// metrics watched when metrics are on.
import type { Logger } from 'pino';
import type { KeyStore } from './auth/key-store.js';
import { BatchService, type BatchServiceOptions } from './batch/batch-service.js';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Clock } from './core/clock.js';
import { RouterFiles } from './files/router-files.js';
import { createMemoryBatchStore } from './store/memory/memory-batch-store.js';
import type { RequestLog } from './store/request-log.js';
import type * as Metrics from './telemetry/metrics.js';

export interface BatchParts {
  requestLog: RequestLog | undefined;
  holder: ConfigHolder;
  keys: KeyStore;
  clock: Clock;
  logger: Logger;
  metrics: typeof Metrics | undefined;
  /** What forwarding lines to upstream Batch APIs uses (`batches.forward`). */
  forward: NonNullable<BatchServiceOptions['forward']>;
}

/** The batch service (not started: runtime.ts starts it with the app) and the router's files. */
export function createBatches({
  requestLog,
  holder,
  keys,
  clock,
  logger,
  metrics,
  forward,
}: BatchParts): { batches: BatchService; routerFiles: RouterFiles } {
  const batchStore = requestLog?.store ?? createMemoryBatchStore();
  // Files uploaded as model input, which requests name by id (made inline before routing).
  const routerFiles = new RouterFiles(batchStore, clock);
  const batches = new BatchService({
    store: batchStore,
    config: holder,
    keys,
    clock,
    log: { warn: (m) => logger.warn(m), info: (m) => logger.info(m) },
    ...(metrics
      ? {
          onLine: metrics.batchMetrics.line,
          onWebhook: metrics.batchMetrics.webhook,
          onOutboxCounts: metrics.batchMetrics.outbox,
        }
      : {}),
    forward,
  });
  if (metrics) {
    metrics.batchMetrics.watch(() => batches.runner.status());
    const forwarder = batches.forwarder;
    if (forwarder) metrics.batchMetrics.watchForward(() => forwarder.waiting());
  }
  return { batches, routerFiles };
}
