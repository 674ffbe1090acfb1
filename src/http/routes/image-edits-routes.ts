// Image edits and variations on the paths clients use: OpenAI `/v1/images/edits` and
// `/v1/images/variations`, Azure v1 `/openai/v1/images/…` and Azure dated
// `/openai/deployments/{name}/images/edits` (and `/openai/v1/deployments/…`, the AzureOpenAI
// client's with a v1 `baseURL`; Azure OpenAI has no variations: that path gets a 400
// in Azure's words). Both are multipart (openapi.yaml CreateImageEditRequest,
// CreateImageVariationRequest), read here with @fastify/multipart (registered for these routes only)
// and sent upstream as a form again, the files' bytes untouched; an edit may also be JSON, images
// by URL or file id (image-edit-json.ts). Checked on the fields and files the router reads; the
// rest passes through. Each file is at most `server.imageFileLimitBytes`, the whole form
// `server.imageFormLimitBytes` (413 past either; read per request), a text field 128 KB (400).
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import type { RouterFiles } from '../../files/router-files.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import type { FormFile, FormPart, ImageForm } from '../../core/wire-types.js';
import { sniffImageType } from '../../files/file-type.js';
import type { MediaGateway } from '../../gateway/media-gateway.js';
import { AZURE_DEPLOYMENT_PATHS, checkApiVersion } from './chat-routes.js';
import {
  imageJsonParser,
  inlineRouterFiles,
  namesFiles,
  parseImageEditJson,
} from './image-edit-json.js';
import {
  EDIT_TYPES,
  fileTooLarge,
  formTooLarge,
  imageLimits,
  MAX_EDIT_IMAGES,
  notImageOf,
  PNG_ONLY,
  type ImageFormLimits,
} from './image-limits.js';
import {
  checkFormBoolean,
  formFieldValue,
  MAX_FORM_FIELD_BYTES,
  uploadFilename,
} from './form-field.js';
import { namedCall } from './named-call.js';
import { checkQuality } from './images-routes.js';
import { EDIT_QUALITIES } from '../../gateway/image-options.js';
import { formParts, isMalformedForm } from '../malformed-form.js';

export type ImageOperation = 'edits' | 'variations';

function sendAs(operation: ImageOperation): string {
  return operation === 'edits'
    ? 'Send multipart/form-data with "image" (or "image[]" for several), "prompt" and "model"; "mask" optional.'
    : 'Send multipart/form-data with one "image" file and "model".';
}

/** The multipart parser's errors (a file too large, too many parts) in the API's own words. */
function formError(
  err: unknown,
  operation: ImageOperation,
  field: string,
  limits: ImageFormLimits,
): unknown {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge(limits, field);
  if (code === 'FST_FILES_LIMIT')
    return invalidRequest(
      `Too many files: at most ${MAX_EDIT_IMAGES} images and one mask for an edit, one image for a variation.`,
      'image',
    );
  if (isMalformedForm(err))
    return invalidRequest(
      `The multipart form could not be read: ${(err as Error).message}. ${sendAs(operation)}`,
      null,
    );
  return err;
}

/** A file's content type as sent upstream: the client's, or the sniffed one where it gave none. */
function fileType(declared: string | undefined, sniffed: string): string {
  const type = declared?.split(';', 1)[0]?.trim().toLowerCase();
  return !type || type === 'application/octet-stream' ? sniffed : declared!;
}

/**
 * Reads the form's parts in order; files whole, within the per-file and per-form limits. A form
 * that says it is larger than the form limit (`Content-Length`) is refused before it is read.
 */
async function readParts(
  request: FastifyRequest,
  operation: ImageOperation,
  limits: ImageFormLimits,
): Promise<FormPart[]> {
  if (Number(request.headers['content-length']) > limits.formBytes)
    throw formTooLarge(limits, null);
  const parts: FormPart[] = [];
  /** What was read: the files' bytes and the fields' (names and values). */
  let total = 0;
  let field = 'image';
  try {
    for await (const part of formParts(
      request.parts({ limits: { fileSize: limits.fileBytes } }),
      request.raw,
    )) {
      if (part.type !== 'file') {
        const value = formFieldValue(part, MAX_FORM_FIELD_BYTES);
        total += part.fieldname.length + value.length;
        if (total > limits.formBytes) throw formTooLarge(limits, part.fieldname);
        parts.push({ name: part.fieldname, value });
        continue;
      }
      field = part.fieldname;
      const allowed = operation === 'edits' ? EDIT_FILE_FIELDS : ['image'];
      if (!allowed.includes(field))
        throw invalidRequest(
          `Unexpected file field "${field}": ${operation === 'edits' ? 'files go in "image", "image[]", "mask" or "markup"' : 'the file goes in "image"'}.`,
          field,
        );
      const filename = uploadFilename(part, 'image');
      const chunks: Buffer[] = [];
      for await (const c of part.file) {
        total += (c as Buffer).length;
        if (total > limits.formBytes) throw formTooLarge(limits, field);
        chunks.push(c as Buffer);
      }
      if (part.file.truncated) throw fileTooLarge(limits, field);
      const file: FormFile = {
        filename,
        contentType: part.mimetype || 'application/octet-stream',
        data: Buffer.concat(chunks),
      };
      parts.push({ name: field, file });
    }
  } catch (err) {
    throw formError(err, operation, field, limits);
  }
  return parts;
}

/**
 * An edit's file fields: its images, a mask, and a markup overlay (openai-node 7.57
 * `ImageEditParams.markup`, GPT Image 2.5 and later; sent on as the client sent it).
 */
const EDIT_FILE_FIELDS = ['image', 'image[]', 'mask', 'markup'];

/** Checks one file is an image of the types allowed; its content type made explicit. */
function checkImage(file: FormFile, types: ReadonlySet<string>, param: string, what: string): void {
  if (file.data.length === 0) throw invalidRequest(`${param} is an empty file.`, param);
  const sniffed = sniffImageType(file.data);
  if (!sniffed || !types.has(sniffed))
    throw notImageOf(param, what, file.data, {
      filename: file.filename,
      declared: file.contentType,
    });
  file.contentType = fileType(file.contentType, sniffed);
}

/** The multipart form of an image edit or variation → what the gateway runs, or a 400/413. */
export async function readImageForm(
  request: FastifyRequest,
  operation: ImageOperation,
  limits: ImageFormLimits,
): Promise<ImageForm> {
  if (!request.isMultipart())
    throw invalidRequest(
      operation === 'edits'
        ? `${sendAs(operation)} Or send JSON (content-type: application/json) with "images": [{"image_url": …} or {"file_id": …}] and "prompt".`
        : `${sendAs(operation)} Variations take no JSON body.`,
      'image',
    );
  const parts = await readParts(request, operation, limits);
  const field = (name: string) => {
    for (const p of parts) if (p.name === name && 'value' in p) return p.value;
    return undefined;
  };
  const files = (names: string[]) =>
    parts.filter(
      (p): p is { name: string; file: FormFile } => 'file' in p && names.includes(p.name),
    );
  const images = files(['image', 'image[]']);
  const masks = files(['mask']);
  const markups = files(['markup']);
  // A mask sent as text (a file name, a URL) was dropped unread, the edit made without it (media
  // audit F8): it is a file part, or a JSON edit's {"image_url": …}.
  if (operation === 'edits' && field('mask') !== undefined)
    throw invalidRequest(
      'mask must be a file part (a PNG image), not a text field. To give the mask by URL or file id, send the edit as JSON with "mask": {"image_url": …} or {"file_id": …}.',
      'mask',
      'invalid_type',
    );
  if (images.length === 0)
    throw invalidRequest(
      `image is required: ${operation === 'edits' ? 'the image(s) to edit' : 'the image to vary'}, as a file part. ${sendAs(operation)}`,
      'image',
    );
  if (operation === 'variations' && images.length > 1)
    throw invalidRequest('Send one image for a variation, in the field "image".', 'image');
  if (images.length > MAX_EDIT_IMAGES)
    throw invalidRequest(`Send at most ${MAX_EDIT_IMAGES} images in one edit.`, 'image');
  if (masks.length > 1) throw invalidRequest('Send at most one mask.', 'mask');
  if (markups.length > 1) throw invalidRequest('Send at most one markup.', 'markup');
  // openai-node 7.57 `ImageEditParams.markup`: "Cannot be combined with mask".
  if (markups[0] && masks[0])
    throw invalidRequest(
      'markup cannot be combined with mask: send one of them (markup: a transparent PNG drawn over the first image to guide the edit).',
      'markup',
      'invalid_value',
    );
  images.forEach((p, i) =>
    checkImage(
      p.file,
      operation === 'edits' ? EDIT_TYPES : PNG_ONLY,
      images.length > 1 ? `image[${i}]` : 'image',
      operation === 'edits' ? 'a PNG, JPEG or WebP image' : 'a PNG image',
    ),
  );
  if (masks[0]) checkImage(masks[0].file, PNG_ONLY, 'mask', 'a PNG image');
  if (markups[0]) checkImage(markups[0].file, PNG_ONLY, 'markup', 'a PNG image');

  const model = field('model') ?? '';
  const prompt = field('prompt');
  if (operation === 'edits' && !prompt)
    throw invalidRequest('prompt is required: a text description of the edit.', 'prompt');
  const nText = field('n');
  const n = nText === undefined || nText === '' ? 1 : Number(nText);
  if (!Number.isInteger(n) || n < 1 || n > 10)
    throw invalidRequest('n must be an integer from 1 to 10.', 'n');
  const size = field('size');
  if (size !== undefined && size !== 'auto' && !/^\d+x\d+$/.test(size))
    throw invalidRequest('size must be "auto" or "<width>x<height>" (e.g. "1024x1024").', 'size');
  const responseFormat = field('response_format');
  if (responseFormat !== undefined && responseFormat !== 'b64_json' && responseFormat !== 'url')
    throw invalidRequest('response_format must be "b64_json" or "url".', 'response_format');
  checkFormBoolean(field('stream'), 'stream');
  if (field('stream') === 'true')
    throw invalidRequest(
      'stream: true (partial images) is not served by this router; leave it out for the finished images.',
      'stream',
    );
  const form: ImageForm = { parts, model, n };
  if (prompt !== undefined) form.prompt = prompt;
  if (size !== undefined) form.size = size;
  const quality = field('quality');
  if (operation === 'edits') checkQuality(quality, EDIT_QUALITIES);
  if (quality !== undefined) form.quality = quality;
  if (responseFormat !== undefined) form.response_format = responseFormat;
  const user = field('user');
  if (user !== undefined) form.user = user;
  const safetyIdentifier = field('safety_identifier');
  if (safetyIdentifier !== undefined) form.safety_identifier = safetyIdentifier;
  return form;
}

/** Azure OpenAI has no image variations operation; its error code for an operation it lacks. */
function noAzureVariations(): GatewayError {
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: 'OperationNotSupported',
    param: null,
    message:
      'Azure OpenAI has no image variations operation. Edit the image instead (POST /openai/deployments/{name}/images/edits with a prompt), or call POST /v1/images/variations (or /openai/v1/images/variations) with an image deployment as model.',
  });
}

/** Whether the body came as JSON (`application/json`, parameters aside). */
function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return type.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Mounts the image edit and variation paths on `app`, served by `gateway`; limits from `config`,
 * and the router's `files` that a JSON edit may name by id.
 */
export async function registerImageEditRoutes(
  app: FastifyInstance,
  gateway: MediaGateway,
  deps: { config: ConfigHolder; files?: RouterFiles },
): Promise<void> {
  const { config, files } = deps;
  await app.register(async (scope) => {
    // A JSON edit may carry its images inline: bounded as a form is, not by bodyLimitBytes.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', imageJsonParser(config));
    // A body refused as too large is not read on (and dropped): its connection is closed.
    scope.addHook('onError', async (_request, reply, err) => {
      if (err instanceof GatewayError && err.status === 413) reply.header('connection', 'close');
    });
    // The file size limit is the config's, given per request (readParts).
    await scope.register(multipart, {
      limits: {
        files: MAX_EDIT_IMAGES + 2,
        fields: 32,
        // A longer text field is refused, never cut (formFieldValue).
        fieldSize: MAX_FORM_FIELD_BYTES,
        parts: MAX_EDIT_IMAGES + 34,
      },
    });
    const serve = async (
      request: FastifyRequest,
      reply: FastifyReply,
      operation: ImageOperation,
      fromPath?: string,
    ) => {
      const limits = imageLimits(config);
      let form: ImageForm;
      if (operation === 'edits' && isJson(request)) {
        form = parseImageEditJson(request.body, limits);
        if (files && namesFiles(form))
          form = await inlineRouterFiles(form, request.auth.tenant, files, limits);
      } else form = await readImageForm(request, operation, limits);
      const out = await gateway.editImages(namedCall(request, reply, form, fromPath), operation);
      return reply.headers(out.headers).send(out.response);
    };
    type Azure = { Params: { deployment: string }; Querystring: { 'api-version'?: string } };
    for (const operation of ['edits', 'variations'] as const)
      for (const p of ['/v1', '/openai/v1', ''])
        scope.post(`${p}/images/${operation}`, (request, reply) =>
          serve(request, reply, operation),
        );
    for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
      scope.post<Azure>(`${prefix}/images/edits`, (request, reply) => {
        checkApiVersion(request.query['api-version'], optionalVersion);
        return serve(request, reply, 'edits', request.params.deployment);
      });
    // The dated path a client would use, and where the AzureOpenAI client sends
    // `images.createVariation` (it puts only edits and generations under the deployment).
    const refuse = async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.header('connection', 'close');
      throw noAzureVariations();
    };
    scope.post('/openai/deployments/:deployment/images/variations', refuse);
    scope.post('/openai/images/variations', refuse);
  });
}
