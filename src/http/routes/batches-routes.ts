// OpenAI's Batch API: `POST /v1/batches` over an uploaded file, `GET /v1/batches[/{id}]`, `POST
// /v1/batches/{id}/cancel`; also on Azure's `/openai/v1/batches` and dated `/openai/batches`. A
// batch is created `validating` and run by whichever replica's BatchRunner leases it; its lines
// run as the key that created it. A tenant sees only its own batches.
import type { FastifyInstance } from 'fastify';
import type { BatchRunner } from '../../batch/batch-runner.js';
import {
  BATCH_ENDPOINTS,
  OPENAI_BATCH_ENDPOINTS,
  endpointRoute,
  unrunEndpointMessage,
} from '../../batch/batch-input.js';
import { cutName, describeValue } from '../../core/describe-value.js';
import { tagsFromMetadata } from '../../gateway/attribution.js';
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
        if (!isObject(body))
          throw invalidRequest(
            `The request body must be a JSON object: {"input_file_id": …, "endpoint": …, "completion_window": "24h"}; got ${describeValue(body)}.`,
            null,
            'invalid_type',
          );
        const fileId = requiredString(body, 'input_file_id');
        const endpoint = requiredString(body, 'endpoint');
        if (!endpointRoute(BATCH_ENDPOINTS, endpoint))
          throw invalidRequest(unrunEndpointMessage(endpoint), 'endpoint', 'invalid_value');
        const window = requiredString(body, 'completion_window');
        if (window !== '24h')
          throw invalidRequest(
            `Invalid value for 'completion_window': ${describeValue(window)}. Supported values are: '24h'.`,
            'completion_window',
            'invalid_value',
          );
        const controls = lineControls(request.headers);
        const owner = request.auth.tenant;
        const file = await store.getFile(fileId, owner);
        if (!file || !isListedFile(file, clock.now()))
          throw notFound(
            `No such File object: ${cutName(fileId)}`,
            'file_not_found',
            'input_file_id',
          );
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

/** What each required field of `POST /v1/batches` is (openapi.yaml `createBatch`), for its 400s. */
const REQUIRED: Readonly<Record<string, string>> = {
  input_file_id:
    'the id of a JSONL file uploaded with purpose "batch" (POST /v1/files), such as "file-abc123"',
  endpoint: `the route every line of the batch is sent to, one of ${OPENAI_BATCH_ENDPOINTS.join(', ')}`,
  completion_window: '"24h"',
};

/**
 * `body[key]`, a required non-empty string: else a 400 in OpenAI's words naming the field, what
 * came and what to send (a numeric `input_file_id` was "required" though it was there).
 */
function requiredString(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  const wants = REQUIRED[key]!;
  if (v === undefined || v === null)
    throw invalidRequest(
      `Missing required parameter: '${key}': send ${wants}.`,
      key,
      'missing_required_parameter',
    );
  if (typeof v !== 'string')
    throw invalidRequest(
      `Invalid type for '${key}': expected a string, but got ${jsonType(v)} (${describeValue(v)}) instead: send ${wants}.`,
      key,
      'invalid_type',
    );
  if (!v)
    throw invalidRequest(`Invalid '${key}': empty string. Send ${wants}.`, key, 'empty_string');
  return v;
}

/** A JSON value's type, as OpenAI's 400s name it ("an integer", "an array"). */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** OpenAI's `metadata` (16 pairs, keys ≤ 64, string values ≤ 512), checked as every route checks it. */
function checkMetadata(metadata: unknown): Record<string, string> | null {
  tagsFromMetadata(metadata);
  return (metadata ?? null) as Record<string, string> | null;
}
