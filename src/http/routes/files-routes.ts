// OpenAI's Files API, for the Batch API's input and output files: `POST /v1/files` (multipart:
// `file`, `purpose: batch`, optional `expires_after[anchor|seconds]`), `GET /v1/files`, `GET` and
// `DELETE /v1/files/{id}`, `GET /v1/files/{id}/content`; also on Azure's `/openai/v1/files` and
// dated `/openai/files?api-version=…`. A tenant sees only its own files. The multipart parser
// (@fastify/multipart) is registered for these routes only.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { GatewayError, invalidRequest, notFound, queryNumber } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { BatchStore, StoredFile } from '../../store/batch-store.js';
import { filteredPage } from '../../store/filtered-page.js';
import { openAiList } from './openai-list.js';
import { checkApiVersion } from './chat-routes.js';

/** OpenAI's bounds on `expires_after.seconds` (one hour to 30 days). */
const MIN_EXPIRY_S = 3_600;
const MAX_EXPIRY_S = 2_592_000;

/**
 * The files the Files API shows: its own purposes (another API's files, a Message Batch's, belong
 * to their batch), not expired (gone at once, whether or not the sweep has deleted them yet).
 */
const LISTED_PURPOSES = new Set(['batch', 'batch_output']);

export function isListedFile(f: StoredFile, now: number): boolean {
  return LISTED_PURPOSES.has(f.purpose) && (f.expiresAt === undefined || f.expiresAt > now);
}

/** OpenAI's File object. */
export function fileObject(f: StoredFile): Record<string, unknown> {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: Math.floor(f.createdAt / 1000),
    expires_at: f.expiresAt === undefined ? null : Math.floor(f.expiresAt / 1000),
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
  };
}

/** 404 unless `batches.enabled`; the Azure dated paths' `api-version` is checked too. */
export function batchApiGuard(config: ConfigHolder) {
  return async (request: FastifyRequest) => {
    if (!config.current.config.batches.enabled)
      throw notFound(
        'The Files and Batch APIs are turned off on this router (batches.enabled: false).',
        'not_found',
        null,
      );
    if (request.url.startsWith('/openai/') && !request.url.startsWith('/openai/v1/'))
      checkApiVersion((request.query as Record<string, string | undefined>)['api-version']);
  };
}

export function expiryFrom(anchor: unknown, seconds: unknown, param: string): number | undefined {
  if (anchor === undefined && seconds === undefined) return undefined;
  const s = Number(seconds);
  if (anchor !== 'created_at' || !Number.isInteger(s) || s < MIN_EXPIRY_S || s > MAX_EXPIRY_S)
    throw invalidRequest(
      `${param} must be {"anchor": "created_at", "seconds": n} with n a whole number from ${MIN_EXPIRY_S} (one hour) to ${MAX_EXPIRY_S} (30 days).`,
      param,
    );
  return s;
}

export async function registerFilesRoutes(
  app: FastifyInstance,
  store: BatchStore,
  config: ConfigHolder,
  clock: Clock = systemClock,
): Promise<void> {
  const maxBytes = Math.floor(config.current.config.batches.maxFileMegabytes * 1_000_000);
  await app.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: maxBytes, files: 1, fields: 8, fieldSize: 1_024, parts: 9 },
    });
    scope.addHook('onRequest', batchApiGuard(config));
    const prefixes = ['/v1', '/openai/v1', '/openai'];
    const found = async (id: string, owner: string) => {
      const f = await store.getFile(id, owner);
      if (!f || !isListedFile(f, clock.now()))
        throw notFound(`No such File object: ${id}`, 'file_not_found', 'file_id');
      return f;
    };
    for (const p of prefixes) {
      scope.post(`${p}/files`, async (request, reply) => {
        if (!request.isMultipart())
          throw invalidRequest(
            'Upload a file as multipart/form-data with the fields "file" and "purpose".',
            'file',
          );
        const fields: Record<string, string> = {};
        let upload: { filename: string; content: Buffer } | undefined;
        try {
          for await (const part of request.parts()) {
            if (part.type === 'file') {
              if (part.fieldname !== 'file' || upload)
                throw invalidRequest('Send one file, in the field "file".', 'file');
              upload = {
                filename: part.filename || 'upload.jsonl',
                content: await readUpload(part.file, maxBytes),
              };
            } else fields[part.fieldname] = String(part.value);
          }
        } catch (err) {
          const e = uploadError(err, maxBytes);
          // Close the connection after the answer: else Node reads (and drops) the rest of a body
          // that may be gigabytes, to keep the connection alive.
          if (e instanceof GatewayError && e.status === 413) reply.header('connection', 'close');
          throw e;
        }
        if (!upload) throw invalidRequest('The form has no "file" field.', 'file');
        if (fields.purpose !== 'batch')
          throw invalidRequest(
            `purpose must be "batch": this router keeps files for the Batch API only${fields.purpose ? ` (got "${fields.purpose.slice(0, 40)}")` : ''}.`,
            'purpose',
          );
        const seconds = expiryFrom(
          fields['expires_after[anchor]'],
          fields['expires_after[seconds]'],
          'expires_after',
        );
        const now = clock.now();
        const file: StoredFile = {
          id: newId('file-'),
          owner: request.auth.tenant,
          purpose: 'batch',
          filename: upload.filename,
          bytes: upload.content.length,
          createdAt: now,
          ...(seconds !== undefined ? { expiresAt: now + seconds * 1000 } : {}),
        };
        await store.putFile(file, upload.content);
        return fileObject(file);
      });
      scope.get<{ Querystring: Record<string, string | undefined> }>(
        `${p}/files`,
        async (request) => {
          const q = request.query;
          const limit = queryNumber(q.limit, 'limit', 10_000, 1, 10_000);
          if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc')
            throw invalidRequest('order must be "asc" or "desc".', 'order');
          const order = q.order ?? 'desc';
          const read = (after: string | undefined, n: number) =>
            store.listFiles({
              owner: request.auth.tenant,
              limit: n,
              order,
              ...(q.purpose ? { purpose: q.purpose } : {}),
              ...(after ? { after } : {}),
            });
          const rows =
            q.purpose && !LISTED_PURPOSES.has(q.purpose)
              ? []
              : await filteredPage(
                  read,
                  (f) => isListedFile(f, clock.now()),
                  q.after || undefined,
                  limit + 1,
                );
          return openAiList(rows, limit, fileObject);
        },
      );
      scope.get<{ Params: { id: string } }>(`${p}/files/:id`, async (request) =>
        fileObject(await found(request.params.id, request.auth.tenant)),
      );
      scope.get<{ Params: { id: string } }>(`${p}/files/:id/content`, async (request, reply) => {
        const { id } = request.params;
        await found(id, request.auth.tenant);
        const content = await store.getFileContent(id, request.auth.tenant);
        if (!content) throw notFound(`No such File object: ${id}`, 'file_not_found', 'file_id');
        return reply.header('content-type', 'application/octet-stream').send(content);
      });
      scope.delete<{ Params: { id: string } }>(`${p}/files/:id`, async (request) => {
        const { id } = request.params;
        await found(id, request.auth.tenant);
        if (!(await store.deleteFile(id, request.auth.tenant)))
          throw notFound(`No such File object: ${id}`, 'file_not_found', 'file_id');
        return { id, object: 'file', deleted: true };
      });
    }
  });
}

/**
 * The uploaded file's bytes; a 413 as soon as it passes `maxBytes` (the parser's own toBuffer reads
 * the rest of the part, however large, before it says so).
 */
async function readUpload(
  file: AsyncIterable<Buffer> & { truncated: boolean },
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of file) {
    if (file.truncated) throw fileTooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (file.truncated) throw fileTooLarge(maxBytes);
  return Buffer.concat(chunks);
}

function fileTooLarge(maxBytes: number): GatewayError {
  return new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'file_too_large',
    param: 'file',
    message: `The file is larger than this router takes (${maxBytes} bytes, batches.maxFileMegabytes).`,
  });
}

/** The multipart parser's errors (too large, too many parts) in the API's own words. */
function uploadError(err: unknown, maxBytes: number): unknown {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge(maxBytes);
  if (code.startsWith('FST_'))
    return invalidRequest(
      `The multipart form could not be read: ${(err as Error).message}. Send the fields "purpose" and "file" (one file).`,
      null,
    );
  return err;
}
