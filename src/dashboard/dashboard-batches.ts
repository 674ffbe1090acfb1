// `/dashboard/api/batches` (admin key): the dashboard's Batches table, every tenant's unfinished
// batches and the few finished most recently created, OpenAI's and Anthropic's alike, in one
// shape: status in the store's terms (OpenAI's, `cancelling` while a cancel waits) and its counts.
import type { FastifyInstance } from 'fastify';
import { isCancelling, readDoc } from '../batch/batch-object.js';
import { batchApi } from '../http/routes/admin-batches-routes.js';
import { requireAdmin } from '../http/routes/admin-routes.js';
import type { BatchStore, StoredBatch } from '../store/batch-store.js';

/** A row of the dashboard's Batches table. */
export interface DashboardBatch {
  id: string;
  tenant: string;
  api: 'openai' | 'anthropic';
  status: string;
  endpoint: string;
  /** Epoch milliseconds. */
  createdAt: number;
  requestCounts: { total: number; completed: number; failed: number };
}

/** Unfinished batches shown at most (the admin API lists them all). */
const MAX_UNFINISHED = 50;

/** Finished batches shown: the most recently created. */
const FINISHED_SHOWN = 5;

function dashboardBatch(b: StoredBatch): DashboardBatch {
  const doc = readDoc(b);
  return {
    id: b.id,
    tenant: b.owner,
    api: batchApi(b),
    status: isCancelling(b) ? 'cancelling' : b.status,
    endpoint: doc.endpoint,
    createdAt: b.createdAt,
    requestCounts: doc.requestCounts,
  };
}

export function registerDashboardBatchesRoutes(app: FastifyInstance, store: BatchStore): void {
  app.get('/dashboard/api/batches', async (request) => {
    requireAdmin(request);
    const unfinished = await store.listAllBatches({
      status: 'unfinished',
      limit: MAX_UNFINISHED + 1,
    });
    const finished = await store.listAllBatches({ status: 'finished', limit: FINISHED_SHOWN });
    return {
      unfinished: unfinished.slice(0, MAX_UNFINISHED).map(dashboardBatch),
      // More unfinished batches than shown: the admin API lists them all.
      moreUnfinished: unfinished.length > MAX_UNFINISHED,
      finished: finished.map(dashboardBatch),
    };
  });
}
