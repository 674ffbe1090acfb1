// Anthropic's Message Batches API (anthropic_openapi_curated.yaml `/messages/batches`) on the Batch
// API's machinery: a batch's requests become an input file of `/v1/messages` lines owned by the
// tenant (purpose `anthropic_batch`, not shown by the Files API), the runner runs them as the
// creator like any batch, and the MessageBatch object and its results are read from the stored
// batch and its output and error files. Anthropic's error envelope throughout; a tenant sees only
// its own batches, and only its Message Batches here (`msgbatch_…`; `batch_…` are OpenAI's).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MESSAGES_ENDPOINT } from '../../batch/batch-input.js';
import { emptyUsage, readDoc, type BatchDoc } from '../../batch/batch-object.js';
import type { BatchRunner } from '../../batch/batch-runner.js';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { lineControls } from '../../batch/line-controls.js';
import { invalidRequest, notFound, queryLimit } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { BatchStore, StoredBatch } from '../../store/batch-store.js';
import { filteredPage, filteredPageBefore } from '../../store/filtered-page.js';
import type { ErrorShaper } from '../error-handler.js';
import { messageBatchObject, needsErrorTally, processingStatus } from './message-batch-object.js';
import { parseMessageBatchRequest } from './message-batch-request.js';
import { messageBatchResults, tallyErrorFile, type ResultTally } from './message-batch-results.js';
import { anthropicVersionHook } from './anthropic-version.js';
import { anthropicErrorBody } from './anthropic-error-body.js';
import { KEY_REQUEST } from '../key-request.js';
import { checkStorageQuota } from '../../files/storage-quota.js';

/** The input file's purpose, and the output and error files'. */
export const MESSAGE_BATCH_PURPOSE = 'anthropic_batch';
export const MESSAGE_BATCH_OUTPUT_PURPOSE = 'anthropic_batch_output';

/** Anthropic: a batch ends processing 24 hours after creation at the latest. */
const WINDOW_MS = 86_400_000;

const errorShape: ErrorShaper = (e, requestId) => anthropicErrorBody(e, requestId);

/** Anthropic's batches (`msgbatch_…`); `batch_…` are OpenAI's. */
export const isMessageBatch = (b: StoredBatch) => b.id.startsWith('msgbatch_');

/**
 * The MessageBatch object as this API shows it (its results under `origin`), the error file read
 * when the counts need it.
 */
export async function messageBatchView(
  store: BatchStore,
  b: StoredBatch,
  origin: string,
): Promise<Record<string, unknown>> {
  let tally: ResultTally | undefined;
  if (needsErrorTally(b)) {
    const fileId = readDoc(b).errorFileId;
    tally = tallyErrorFile(
      fileId === undefined ? undefined : await store.getFileContent(fileId, b.owner),
    );
  }
  return messageBatchObject(b, `${origin}/v1/messages/batches/${b.id}/results`, tally);
}

type Params = { Params: { id: string } };

export async function registerMessageBatchesRoutes(
  app: FastifyInstance,
  store: BatchStore,
  runner: Pick<BatchRunner, 'wake' | 'noticeCancel'>,
  config: ConfigHolder,
  clock: Clock = systemClock,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async () => {
      if (!config.current.config.batches.enabled)
        throw notFound(
          'Message Batches are turned off on this router (batches.enabled: false).',
          'not_found',
          null,
        );
    });
    scope.addHook('onRequest', anthropicVersionHook);
    const opts = { config: { errorShape } };
    const found = async (id: string, owner: string) => {
      const b = await store.getBatch(id, owner);
      if (!b || !isMessageBatch(b))
        throw notFound(`No such message batch: ${id}`, 'batch_not_found', 'message_batch_id');
      return b;
    };
    const content = async (fileId: string | undefined, owner: string) =>
      fileId === undefined ? undefined : await store.getFileContent(fileId, owner);
    const view = (request: FastifyRequest, b: StoredBatch) =>
      messageBatchView(store, b, `${request.protocol}://${request.host}`);

    scope.post(
      '/v1/messages/batches',
      { config: { errorShape, ...KEY_REQUEST.config } },
      async (request) => {
        const input = parseMessageBatchRequest(
          request.body,
          config.current.config.batches.maxRequests,
        );
        const controls = lineControls(request.headers);
        const owner = request.auth.tenant;
        const now = clock.now();
        const id = newId('msgbatch_');
        const fileId = newId('file-');
        await checkStorageQuota(
          store,
          owner,
          input.content.length,
          config.current.config.batches.maxStoredMegabytesPerTenant,
          "This Message Batch's requests",
        );
        await store.putFile(
          {
            id: fileId,
            owner,
            purpose: MESSAGE_BATCH_PURPOSE,
            filename: `${id}_input.jsonl`,
            bytes: input.content.length,
            createdAt: now,
          },
          input.content,
        );
        const doc: BatchDoc = {
          endpoint: MESSAGES_ENDPOINT,
          inputFileId: fileId,
          completionWindow: '24h',
          ...(request.auth.keyId ? { keyId: request.auth.keyId } : {}),
          metadata: null,
          ...(Object.keys(controls).length ? { controls } : {}),
          outputPurpose: MESSAGE_BATCH_OUTPUT_PURPOSE,
          expiresAt: now + WINDOW_MS,
          // Known now (the body was checked whole), so the first read shows them processing.
          requestCounts: { total: input.count, completed: 0, failed: 0 },
          usage: emptyUsage(),
        };
        const batch: StoredBatch = {
          id,
          owner,
          createdAt: now,
          status: 'validating',
          doc: JSON.stringify(doc),
        };
        await store.createBatch(batch);
        runner.wake();
        return view(request, batch);
      },
    );

    scope.get<{ Querystring: Record<string, string | undefined> }>(
      '/v1/messages/batches',
      opts,
      async (request) => {
        const { before_id: before, after_id: after } = request.query;
        if (before && after)
          throw invalidRequest('Give before_id or after_id, not both.', 'before_id');
        const limit = queryLimit(request.query.limit, 1000, 20);
        const read = (cursor: string | undefined, n: number) =>
          store.listBatches(request.auth.tenant, cursor, n);
        let rows: StoredBatch[];
        let more: boolean;
        if (before) {
          ({ rows, more } = await filteredPageBefore(read, isMessageBatch, before, limit));
        } else {
          const page = await filteredPage(read, isMessageBatch, after || undefined, limit + 1);
          rows = page.slice(0, limit);
          more = page.length > limit;
        }
        const data = await Promise.all(rows.map((b) => view(request, b)));
        return {
          data,
          has_more: more,
          first_id: rows[0]?.id ?? null,
          last_id: rows.at(-1)?.id ?? null,
        };
      },
    );

    scope.get<Params>('/v1/messages/batches/:id', opts, async (request) =>
      view(request, await found(request.params.id, request.auth.tenant)),
    );

    // Cancelling a batch that has ended changes nothing and answers it as it is.
    scope.post<Params>('/v1/messages/batches/:id/cancel', opts, async (request) => {
      const { id } = request.params;
      const before = await found(id, request.auth.tenant);
      if (processingStatus(before) === 'ended') return view(request, before);
      const after = (await store.requestCancel(id, request.auth.tenant, clock.now())) ?? before;
      if (processingStatus(after) === 'canceling') runner.noticeCancel(id);
      return view(request, after);
    });

    // Only an ended batch can be deleted (Anthropic: cancel an in-progress batch first). Its files
    // go first, so a delete that fails part way can be sent again.
    scope.delete<Params>('/v1/messages/batches/:id', opts, async (request) => {
      const { id } = request.params;
      const owner = request.auth.tenant;
      const b = await found(id, owner);
      const status = processingStatus(b);
      if (status !== 'ended')
        throw invalidRequest(
          `Message batch ${id} is ${status}; only an ended batch can be deleted (cancel it, then delete it once it has ended).`,
          'message_batch_id',
        );
      const doc = readDoc(b);
      for (const fileId of [doc.inputFileId, doc.outputFileId, doc.errorFileId])
        if (fileId !== undefined) await store.deleteFile(fileId, owner);
      if (!(await store.deleteBatch(id, owner)))
        throw notFound(`No such message batch: ${id}`, 'batch_not_found', 'message_batch_id');
      return { id, type: 'message_batch_deleted' };
    });

    scope.get<Params>('/v1/messages/batches/:id/results', opts, async (request, reply) => {
      const { id } = request.params;
      const owner = request.auth.tenant;
      const b = await found(id, owner);
      if (processingStatus(b) !== 'ended')
        throw notFound(
          `Message batch ${id} has not ended yet; its results can be read once processing_status is "ended".`,
          'batch_not_ended',
          'message_batch_id',
        );
      const doc = readDoc(b);
      const missing = doc.errors?.[0]?.message;
      const lines = messageBatchResults(
        {
          input: await content(doc.inputFileId, owner),
          output: await content(doc.outputFileId, owner),
          errors: await content(doc.errorFileId, owner),
        },
        ...(missing ? [missing] : []),
      );
      return reply
        .header('content-type', 'application/x-jsonl')
        .send(lines.length ? lines.join('\n') + '\n' : '');
    });
  });
}
