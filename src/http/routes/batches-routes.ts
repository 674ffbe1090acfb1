// OpenAI's Batch API: `POST /v1/batches` over an uploaded file, `GET /v1/batches[/{id}]`, `POST
// /v1/batches/{id}/cancel`; also on Azure's `/openai/v1/batches` and dated `/openai/batches`. A
// batch is created `validating` and run by whichever replica's BatchRunner leases it; its lines
// run as the key that created it. A tenant sees only its own batches.
import type { FastifyInstance } from 'fastify';
import type { BatchRunner } from '../../batch/batch-runner.js';
import { BATCH_ENDPOINTS, endpointRoute, unrunEndpointMessage } from '../../batch/batch-input.js';
import { batchObject, emptyUsage, isCancelling, type BatchDoc } from '../../batch/batch-object.js';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { lineControls } from '../../batch/line-controls.js';
import { GatewayError, invalidRequest, notFound, queryLimit } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import {
  FINISHED_BATCH_STATUSES,
  type BatchStore,
  type StoredBatch,
} from '../../store/batch-store.js';
import { filteredPage } from '../../store/filtered-page.js';
import { openAiList } from './openai-list.js';
import { batchApiGuard, expiryFrom, isListedFile } from './files-routes.js';
import { KEY_REQUEST } from '../key-request.js';

const WINDOW_MS = 86_400_000;

/** This API's batches (`batch_…`); a tenant's Message Batches (`msgbatch_…`) are Anthropic's. */
const isOpenAiBatch = (b: StoredBatch) => b.id.startsWith('batch_');

/**
 * Asks `before` (its owner's) to stop, as its owner or an operator would: 409 once it has finished;
 * this replica's runner stops at once, another replica's at its next lease renewal. The batch as
 * it is after.
 */
export async function cancelBatch(
  store: BatchStore,
  runner: Pick<BatchRunner, 'noticeCancel'>,
  clock: Clock,
  before: StoredBatch,
): Promise<StoredBatch> {
  if (FINISHED_BATCH_STATUSES.includes(before.status))
    throw new GatewayError({
      status: 409,
      type: 'invalid_request_error',
      code: 'batch_not_cancellable',
      param: 'batch_id',
      message: `Batch ${before.id} is ${before.status}; only a batch that has not finished can be cancelled.`,
    });
  const after = await store.requestCancel(before.id, before.owner, clock.now());
  if (after && isCancelling(after)) runner.noticeCancel(before.id);
  return after ?? before;
}

export async function registerBatchesRoutes(
  app: FastifyInstance,
  store: BatchStore,
  runner: Pick<BatchRunner, 'wake' | 'noticeCancel'>,
  config: ConfigHolder,
  clock: Clock = systemClock,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', batchApiGuard(config));
    const found = async (id: string, owner: string) => {
      const b = await store.getBatch(id, owner);
      if (!b || !isOpenAiBatch(b))
        throw notFound(`No such Batch object: ${id}`, 'batch_not_found', 'batch_id');
      return b;
    };
    for (const p of ['/v1', '/openai/v1', '/openai']) {
      scope.post(`${p}/batches`, KEY_REQUEST, async (request) => {
        const body = request.body;
        if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
        const { input_file_id: fileId, endpoint, completion_window: window } = body;
        if (typeof endpoint !== 'string' || !endpointRoute(BATCH_ENDPOINTS, endpoint))
          throw invalidRequest(unrunEndpointMessage(endpoint), 'endpoint');
        if (window !== '24h')
          throw invalidRequest('completion_window must be "24h".', 'completion_window');
        if (typeof fileId !== 'string' || !fileId)
          throw invalidRequest(
            'input_file_id is required: the id of an uploaded file.',
            'input_file_id',
          );
        const controls = lineControls(request.headers);
        const owner = request.auth.tenant;
        const file = await store.getFile(fileId, owner);
        if (!file || !isListedFile(file, clock.now()))
          throw notFound(`No such File object: ${fileId}`, 'file_not_found', 'input_file_id');
        if (file.purpose !== 'batch')
          throw invalidRequest(
            `File ${fileId} has purpose "${file.purpose}"; a batch reads a file uploaded with purpose "batch".`,
            'input_file_id',
          );
        // null is no expiry, as absent; anything else must be {anchor, seconds}.
        const expiry = body.output_expires_after ?? undefined;
        const seconds =
          expiry === undefined
            ? undefined
            : expiryFrom(
                isObject(expiry) ? (expiry.anchor ?? null) : null,
                isObject(expiry) ? (expiry.seconds ?? null) : null,
                'output_expires_after',
              );
        const now = clock.now();
        const doc: BatchDoc = {
          endpoint,
          inputFileId: fileId,
          completionWindow: window,
          ...(request.auth.keyId ? { keyId: request.auth.keyId } : {}),
          metadata: checkMetadata(body.metadata),
          ...(Object.keys(controls).length ? { controls } : {}),
          ...(seconds !== undefined ? { outputExpiresAfterSeconds: seconds } : {}),
          expiresAt: now + WINDOW_MS,
          requestCounts: { total: 0, completed: 0, failed: 0 },
          usage: emptyUsage(),
        };
        const batch = {
          id: newId('batch_'),
          owner,
          createdAt: now,
          status: 'validating' as const,
          doc: JSON.stringify(doc),
        };
        await store.createBatch(batch);
        runner.wake();
        return batchObject(batch);
      });
      scope.get<{ Querystring: Record<string, string | undefined> }>(
        `${p}/batches`,
        async (request) => {
          const limit = queryLimit(request.query.limit, 100, 20);
          const rows = await filteredPage(
            (after, n) => store.listBatches(request.auth.tenant, after, n),
            isOpenAiBatch,
            request.query.after || undefined,
            limit + 1,
          );
          return openAiList(rows, limit, batchObject);
        },
      );
      scope.get<{ Params: { id: string } }>(`${p}/batches/:id`, async (request) =>
        batchObject(await found(request.params.id, request.auth.tenant)),
      );
      scope.post<{ Params: { id: string } }>(`${p}/batches/:id/cancel`, async (request) => {
        const { id } = request.params;
        const before = await found(id, request.auth.tenant);
        return batchObject(await cancelBatch(store, runner, clock, before));
      });
    }
  });
}

/** OpenAI's `metadata`: up to 16 string pairs, keys up to 64 characters, values up to 512. */
function checkMetadata(metadata: unknown): Record<string, string> | null {
  if (metadata === undefined || metadata === null) return null;
  const ok =
    isObject(metadata) &&
    Object.keys(metadata).length <= 16 &&
    Object.entries(metadata).every(
      ([k, v]) => k.length <= 64 && typeof v === 'string' && v.length <= 512,
    );
  if (!ok)
    throw invalidRequest(
      'metadata must be an object of up to 16 string values, keys up to 64 characters and values up to 512.',
      'metadata',
    );
  return metadata as Record<string, string>;
}
