// OpenAI's Files API, for the Batch API's input and output files and for files used as model input
// (`user_data`, `assistants`, `vision`: named by `file_id` in a request, made inline before routing,
// router-files.ts): `POST /v1/files` (multipart: `file`, `purpose`, optional
// `expires_after[anchor|seconds]`), `GET /v1/files`, `GET` and `DELETE /v1/files/{id}`,
// `GET /v1/files/{id}/content`; also on Azure's `/openai/v1/files` and dated
// `/openai/files?api-version=…`. An Anthropic client (`anthropic-version`) gets Anthropic's Files
// API on `/v1/files` instead (anthropic-files.ts): its upload has no purpose (kept as `user_data`),
// its shapes and errors are Anthropic's. A tenant sees only its own files. The multipart parser
// (@fastify/multipart) is registered for these routes only.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { systemClock, type Clock } from '../../core/clock.js';
import {
  GatewayError,
  invalidRequest,
  notFound,
  queryLimit,
  queryOrder,
} from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { BatchStore, StoredFile } from '../../store/batch-store.js';
import { filteredPage } from '../../store/filtered-page.js';
import { openAiList } from './openai-list.js';
import { checkApiVersion } from './chat-routes.js';
import { formFieldValue, uploadFilename } from './form-field.js';
import { IMAGE_TYPES, detectMimeType, isModelInputType } from '../../files/file-type.js';
import { MODEL_INPUT_PURPOSES, isModelInputFile, mimeTypeOf } from '../../files/router-files.js';
import type { ErrorShaper } from '../error-handler.js';
import { anthropicErrorBody } from '../anthropic/anthropic-error-body.js';
import {
  anthropicExpiry,
  anthropicFileObject,
  anthropicFilePage,
  fromAnthropic,
} from './anthropic-files.js';
import { formParts, isMalformedForm } from '../malformed-form.js';
import { KEY_REQUEST } from '../key-request.js';
import { checkStorageQuota } from '../../files/storage-quota.js';

/**
 * The most one text field of an upload may hold. Its fields are short (a purpose, an anchor, a
 * number of seconds: ten characters at most), so 1 KB is ample and, with at most 8 fields, keeps
 * what the parser buffers small; a longer one is a 400 naming it (form-field.ts), never cut.
 */
export const MAX_FILES_FIELD_BYTES = 1_024;

/** OpenAI's bounds on `expires_after.seconds` (one hour to 30 days). */
const MIN_EXPIRY_S = 3_600;
const MAX_EXPIRY_S = 2_592_000;

/**
 * The files the Files API shows: its own purposes (another API's files, a Message Batch's, belong
 * to their batch), not expired (gone at once, whether or not the sweep has deleted them yet).
 */
const LISTED_PURPOSES = new Set(['batch', 'batch_output', ...MODEL_INPUT_PURPOSES]);

/** The purposes an upload may name: the Batch API's, and model input's. */
const UPLOAD_PURPOSES = ['batch', ...MODEL_INPUT_PURPOSES];

/**
 * The largest file used as model input: it goes upstream inline (base64, a third larger), and
 * Anthropic takes requests up to 32 MB (https://docs.claude.com/en/docs/build-with-claude/pdf-support),
 * OpenAI images up to 20 MB.
 */
export const MAX_INPUT_FILE_BYTES = 20_000_000;

/** Errors in OpenAI's envelope, or Anthropic's for an Anthropic client. */
const errorShape: ErrorShaper = (e, requestId, request) =>
  request && fromAnthropic(request) ? anthropicErrorBody(e, requestId) : e.toEnvelope();

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
      limits: {
        fileSize: maxBytes,
        files: 1,
        fields: 8,
        fieldSize: MAX_FILES_FIELD_BYTES,
        parts: 9,
      },
    });
    scope.addHook('onRequest', batchApiGuard(config));
    const prefixes = ['/v1', '/openai/v1', '/openai'];
    const opts = { config: { errorShape } };
    // An Anthropic client sees the model-input files only (its API has no batch files).
    const found = async (request: FastifyRequest, id: string) => {
      const owner = request.auth.tenant;
      const f = await store.getFile(id, owner);
      const now = clock.now();
      if (!f || !(fromAnthropic(request) ? isModelInputFile(f, now) : isListedFile(f, now)))
        throw notFound(`No such File object: ${id}`, 'file_not_found', 'file_id');
      return f;
    };
    for (const p of prefixes) {
      scope.post(
        `${p}/files`,
        { config: { errorShape, ...KEY_REQUEST.config } },
        async (request, reply) => {
          const anthropic = fromAnthropic(request);
          if (!request.isMultipart())
            throw invalidRequest(
              anthropic
                ? 'Upload a file as multipart/form-data with the field "file".'
                : 'Upload a file as multipart/form-data with the fields "file" and "purpose".',
              'file',
            );
          const fields: Record<string, string> = {};
          let upload: { filename: string; content: Buffer; declared: string } | undefined;
          try {
            for await (const part of formParts(request.parts(), request.raw)) {
              if (part.type === 'file') {
                if (part.fieldname !== 'file' || upload)
                  throw invalidRequest('Send one file, in the field "file".', 'file');
                upload = {
                  filename: uploadFilename(part, anthropic ? 'unnamed' : 'upload.jsonl'),
                  content: await readUpload(part.file, maxBytes),
                  declared: part.mimetype,
                };
              } else {
                // A field sent twice (two `purpose` parts) was read as its last: refused instead.
                if (Object.hasOwn(fields, part.fieldname))
                  throw invalidRequest(
                    `'${part.fieldname.slice(0, 64)}' is in the form twice; send it once.`,
                    part.fieldname.slice(0, 64),
                    'invalid_value',
                  );
                fields[part.fieldname] = formFieldValue(part, MAX_FILES_FIELD_BYTES);
              }
            }
          } catch (err) {
            const e = uploadError(err, maxBytes);
            // Close the connection after the answer: else Node reads (and drops) the rest of a body
            // that may be gigabytes (a file after a refused field, or past the limit), to keep the
            // connection alive.
            if (e instanceof GatewayError) reply.header('connection', 'close');
            throw e;
          }
          if (!upload) throw invalidRequest('The form has no "file" field.', 'file');
          // An Anthropic upload has no purpose: it is model input.
          const purpose = anthropic ? 'user_data' : fields.purpose;
          if (!purpose || !UPLOAD_PURPOSES.includes(purpose))
            throw invalidRequest(
              `purpose must be one of ${UPLOAD_PURPOSES.map((x) => `"${x}"`).join(', ')}: this router keeps files for the Batch API (batch) and as model input (user_data, assistants, vision)${purpose ? ` (got "${purpose.slice(0, 40)}")` : ''}.`,
              'purpose',
            );
          const mimeType = detectMimeType(upload.content, upload.filename, upload.declared);
          if (purpose !== 'batch') checkModelInput(purpose, mimeType, upload.content.length);
          const seconds = anthropic
            ? anthropicExpiry(fields.expires_in_seconds)
            : expiryFrom(
                fields['expires_after[anchor]'],
                fields['expires_after[seconds]'],
                'expires_after',
              );
          await checkStorageQuota(
            store,
            request.auth.tenant,
            upload.content.length,
            config.current.config.batches.maxStoredMegabytesPerTenant,
            'This upload',
          );
          const now = clock.now();
          const file: StoredFile = {
            id: newId('file-'),
            owner: request.auth.tenant,
            purpose,
            filename: upload.filename,
            bytes: upload.content.length,
            createdAt: now,
            ...(seconds !== undefined ? { expiresAt: now + seconds * 1000 } : {}),
            mimeType,
          };
          await store.putFile(file, upload.content);
          return anthropic ? anthropicFileObject(file) : fileObject(file);
        },
      );
      scope.get<{ Querystring: Record<string, string | undefined> }>(
        `${p}/files`,
        opts,
        async (request) => {
          const q = request.query;
          if (fromAnthropic(request))
            return anthropicFilePage(store, request.auth.tenant, q, (f) =>
              isModelInputFile(f, clock.now()),
            );
          const limit = queryLimit(q.limit, 10_000, 10_000);
          const order = queryOrder(q.order, 'desc');
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
      scope.get<{ Params: { id: string } }>(`${p}/files/:id`, opts, async (request) => {
        const f = await found(request, request.params.id);
        return fromAnthropic(request) ? anthropicFileObject(f) : fileObject(f);
      });
      scope.get<{ Params: { id: string } }>(
        `${p}/files/:id/content`,
        opts,
        async (request, reply) => {
          const { id } = request.params;
          const f = await found(request, id);
          const content = await store.getFileContent(id, request.auth.tenant);
          if (!content) throw notFound(`No such File object: ${id}`, 'file_not_found', 'file_id');
          // A batch file's bytes as OpenAI sends them; a model-input file with its own type.
          const type =
            f.purpose === 'batch' || f.purpose === 'batch_output'
              ? undefined
              : mimeTypeOf(f, content);
          return reply.header('content-type', type ?? 'application/octet-stream').send(content);
        },
      );
      scope.delete<{ Params: { id: string } }>(`${p}/files/:id`, opts, async (request) => {
        const { id } = request.params;
        await found(request, id);
        if (!(await store.deleteFile(id, request.auth.tenant)))
          throw notFound(`No such File object: ${id}`, 'file_not_found', 'file_id');
        return fromAnthropic(request)
          ? { id, type: 'file_deleted' }
          : { id, object: 'file', deleted: true };
      });
    }
  });
}

/** A model-input upload's type and size, checked (a 400 or 413 that says what is taken). */
function checkModelInput(purpose: string, mimeType: string, bytes: number): void {
  if (purpose === 'vision' ? !IMAGE_TYPES.has(mimeType) : !isModelInputType(mimeType))
    throw invalidRequest(
      `A ${purpose} file must be ${purpose === 'vision' ? 'an image' : 'a PDF, an image or text'} (${
        purpose === 'vision' ? '' : 'application/pdf, text/*, application/json, '
      }image/png, image/jpeg, image/gif, image/webp) that a model can read; this one is ${mimeType}.`,
      'file',
      'unsupported_file',
    );
  // A 400, not the 413 of the router's own limit: the upload was read whole, and the limit is
  // the purpose's.
  if (bytes > MAX_INPUT_FILE_BYTES)
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'file_too_large',
      param: 'file',
      message: `A file used as model input may be up to ${MAX_INPUT_FILE_BYTES} bytes (it goes to the model inline); this one is ${bytes}.`,
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
  if (isMalformedForm(err))
    return invalidRequest(
      `The multipart form could not be read: ${(err as Error).message}. Send the fields "purpose" and "file" (one file).`,
      null,
    );
  return err;
}
