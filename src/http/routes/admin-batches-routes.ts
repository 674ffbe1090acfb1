// Every tenant's batches for operators (admin keys only): `GET /admin/v1/batches` (filtered by
// status and tenant, paged like OpenAI's lists), `GET /admin/v1/batches/{id}` and `POST
// /admin/v1/batches/{id}/cancel`, to find and stop a runaway batch whoever created it. Each batch
// is shown as its own API shows it (OpenAI's Batch, Anthropic's MessageBatch) plus whose it is.
// Served whatever `batches.enabled` says: batches left from before it was turned off stay visible.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { batchObject, readDoc } from '../../batch/batch-object.js';
import type { BatchRunner } from '../../batch/batch-runner.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { invalidRequest, notFound, queryNumber } from '../../core/errors.js';
import type { AllBatchesQuery, BatchStore, StoredBatch } from '../../store/batch-store.js';
import { isMessageBatch, messageBatchView } from '../anthropic/message-batches-routes.js';
import { requireAdmin } from './admin-routes.js';
import { cancelBatch } from './batches-routes.js';
import { openAiList } from './openai-list.js';

/** Which API a batch belongs to, by its id. */
export function batchApi(b: StoredBatch): 'openai' | 'anthropic' {
  return isMessageBatch(b) ? 'anthropic' : 'openai';
}

/** The batch as its own API shows it, plus `tenant`, `key_id` (its creator) and `api`. */
export async function adminBatchView(
  store: BatchStore,
  b: StoredBatch,
  origin: string,
): Promise<Record<string, unknown>> {
  const api = batchApi(b);
  const shown = api === 'anthropic' ? await messageBatchView(store, b, origin) : batchObject(b);
  return { ...shown, tenant: b.owner, key_id: readDoc(b).keyId ?? null, api };
}

const STATUS_FILTERS = ['all', 'unfinished', 'finished'] as const;

type ListQuery = { Querystring: Record<string, string | undefined> };
type Params = { Params: { id: string } };

export function registerAdminBatchesRoutes(
  app: FastifyInstance,
  store: BatchStore,
  runner: Pick<BatchRunner, 'noticeCancel'>,
  clock: Clock = systemClock,
): void {
  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;
  const found = async (id: string) => {
    const b = await store.findBatch(id);
    if (!b) throw notFound(`No batch ${id} (of any tenant).`, 'batch_not_found', 'batch_id');
    return b;
  };

  app.get<ListQuery>('/admin/v1/batches', async (request) => {
    requireAdmin(request);
    const { status = 'all', tenant, after } = request.query;
    if (!(STATUS_FILTERS as readonly string[]).includes(status))
      throw invalidRequest(`status must be one of ${STATUS_FILTERS.join(', ')}.`, 'status');
    const limit = Math.floor(queryNumber(request.query.limit, 'limit', 20, 1, 100));
    const q: AllBatchesQuery = {
      limit: limit + 1,
      ...(status === 'all' ? {} : { status: status as AllBatchesQuery['status'] }),
      ...(tenant ? { owner: tenant } : {}),
      ...(after ? { after } : {}),
    };
    const rows = await store.listAllBatches(q);
    const shown = new Map<StoredBatch, Record<string, unknown>>();
    for (const b of rows.slice(0, limit))
      shown.set(b, await adminBatchView(store, b, origin(request)));
    return openAiList(rows, limit, (b) => shown.get(b)!);
  });

  app.get<Params>('/admin/v1/batches/:id', async (request) => {
    requireAdmin(request);
    return adminBatchView(store, await found(request.params.id), origin(request));
  });

  // As a tenant's own cancel: lines in flight finish, the rest are not run; this replica's runner
  // stops at once, another replica's at its next lease renewal.
  app.post<Params>('/admin/v1/batches/:id/cancel', async (request) => {
    const actor = requireAdmin(request);
    const { id } = request.params;
    const before = await found(id);
    const after = await cancelBatch(store, runner, clock, before);
    request.log.info(
      { batch: id, tenant: before.owner, by: actor },
      'admin: batch cancel requested',
    );
    return adminBatchView(store, after, origin(request));
  });
}
