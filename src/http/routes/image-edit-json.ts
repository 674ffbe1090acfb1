// Image edits sent as JSON (`application/json` on `/v1/images/edits` and its Azure paths;
// openapi.yaml createImageEdit, EditImageBodyJsonParam): `images` (1–16) and an optional `mask`,
// each an ImageRefParam giving exactly one of `image_url` (an http(s) URL or a base64 data URL)
// and `file_id`, and a `prompt`. Checked on the fields the router reads, a 400 naming the field
// (`images[1].image_url`); the rest passes through, and the body goes upstream as JSON with the
// deployment's `model`. A `file_id` naming one of the caller's router files is sent as that file
// inline (a data URL), as chat and Responses do; other ids (files uploaded to OpenAI) pass as they
// are. Images may be inline, so the body is bounded by `server.imageFormLimitBytes`, as a form is,
// and each data URL's image by `server.imageFileLimitBytes`; a data URL's type is read from its
// bytes (a 400 `invalid_image_format` when they are not an image of the types taken).
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ImageForm } from '../../core/wire-types.js';
import { sniffImageType } from '../../files/file-type.js';
import type { RouterFiles } from '../../files/router-files.js';
import { checkFieldType, checkModelField } from '../check-fields.js';
import { describeValue } from '../../core/describe-value.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from '../../core/json-nesting.js';
import { invalidJsonBody, jsonBodyText, tooDeepBody } from '../json-body-parser.js';
import { EDIT_QUALITIES } from '../../gateway/image-options.js';
import { checkQuality } from './images-routes.js';
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

type Json = Record<string, unknown>;

/** A data URL's head, `data:<type>[;param…],` (read from its first characters only). */
const DATA_URL_HEAD = /^data:([^;,]*)((?:;[^;,]*)*),/;
const HTTP_URL = /^https?:\/\/[^\s/]/i;
/** Base64 characters decoded to read a data URL's type: 48 bytes, more than any magic number. */
const SNIFF_CHARS = 64;
const SIZE = /^\d+x\d+$/;
const REF_SHAPE =
  'an object with "image_url" (an http(s) URL or a base64 data URL such as "data:image/png;base64,…") or "file_id"';

/** What each reference may be: the edit's images, or its mask. */
const IMAGE = { types: EDIT_TYPES, what: 'a PNG, JPEG or WebP image' };
const MASK = { types: PNG_ONLY, what: 'a PNG image' };
type RefKind = typeof IMAGE;

/**
 * The JSON parser of the image routes: fastify's, but bounded by `server.imageFormLimitBytes`
 * (read per request) instead of `bodyLimitBytes`; a `Content-Length` past it is refused unread.
 */
export function imageJsonParser(config: ConfigHolder) {
  return (
    request: FastifyRequest,
    payload: IncomingMessage,
    done: (err: Error | null, body?: unknown) => void,
  ): void => {
    const limits = imageLimits(config);
    if (Number(request.headers['content-length']) > limits.formBytes)
      return done(formTooLarge(limits, null, 'JSON body'));
    const chunks: Buffer[] = [];
    let size = 0;
    // As fastify does past its limit: stop listening, and let the rest of the body drain.
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limits.formBytes) return void chunks.push(chunk);
      stop();
      done(formTooLarge(limits, null, 'JSON body'));
    };
    const onError = (err: Error) => {
      stop();
      done(err);
    };
    const onEnd = () => {
      stop();
      const bytes = Buffer.concat(chunks);
      // As every other JSON body (json-body-parser.ts): in the charset it declares, else UTF-8
      // (not read with U+FFFD for what is no UTF-8).
      let text: string;
      try {
        text = jsonBodyText(bytes, request.headers['content-type']);
      } catch (err) {
        return done(err as Error);
      }
      if (!text.trim())
        return done(
          invalidRequest('The request body is empty; send a JSON object.', null, 'invalid_body'),
        );
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return done(invalidJsonBody(text));
      }
      // As every other JSON body (json-body-parser.ts): what reads it after recurses.
      done(jsonNestsDeeperThan(text, MAX_JSON_DEPTH) ? tooDeepBody() : null, value);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  };
}

/** The bytes a base64 data URL's payload decodes to. */
function decodedBytes(url: string, headLength: number): number {
  const length = url.length - headLength;
  const padding = url.endsWith('==') ? 2 : url.endsWith('=') ? 1 : 0;
  return Math.floor((length * 3) / 4) - padding;
}

/** Checks the reference at `param`: exactly one of a well-formed `image_url` and a `file_id`. */
function checkRef(ref: unknown, param: string, kind: RefKind, limits: ImageFormLimits): void {
  if (!isObject(ref))
    throw invalidRequest(
      `${param} must be ${REF_SHAPE}; got ${describeValue(ref)}.`,
      param,
      'invalid_type',
    );
  for (const key of Object.keys(ref))
    if (key !== 'image_url' && key !== 'file_id')
      throw invalidRequest(
        `${param}.${key} is not a field of an image reference: give "image_url" or "file_id".`,
        `${param}.${key}`,
        'unknown_parameter',
      );
  const hasUrl = ref.image_url !== undefined;
  if (hasUrl === (ref.file_id !== undefined))
    throw invalidRequest(
      `${param} must give exactly one of "image_url" and "file_id"${hasUrl ? ', not both' : ''}.`,
      param,
    );
  if (!hasUrl) {
    if (typeof ref.file_id !== 'string' || !ref.file_id)
      throw invalidRequest(
        `${param}.file_id must be a file id (a non-empty string such as "file-abc123").`,
        `${param}.file_id`,
        'invalid_type',
      );
    return;
  }
  const url = ref.image_url;
  const at = `${param}.image_url`;
  if (typeof url !== 'string' || !url)
    throw invalidRequest(`${at} must be a non-empty string: ${REF_SHAPE}.`, at, 'invalid_type');
  if (HTTP_URL.test(url)) return;
  const head = DATA_URL_HEAD.exec(url.slice(0, 256));
  if (!head?.[2]?.toLowerCase().split(';').includes('base64'))
    throw invalidRequest(
      `${at} must be an http(s) URL or a base64 data URL ("data:image/png;base64,…"); got ${describeValue(url)}.`,
      at,
      'invalid_image_url',
    );
  const type = head[1]!.toLowerCase();
  if (!kind.types.has(type))
    throw invalidRequest(
      `${at} is not ${kind.what}: its data URL says ${type ? `"${type}"` : 'no type'}.`,
      at,
      'invalid_image_format',
    );
  // What the bytes are, not what the URL says (as a form's file is read: readImageForm).
  const start = Buffer.from(url.slice(head[0].length, head[0].length + SNIFF_CHARS), 'base64');
  const sniffed = sniffImageType(start);
  if (!sniffed || !kind.types.has(sniffed))
    throw notImageOf(at, kind.what, start, { declared: type });
  if (decodedBytes(url, head[0].length) > limits.fileBytes) throw fileTooLarge(limits, at);
}

const optionalString = (body: Json, field: string) => {
  const v = body[field];
  if (v !== undefined && v !== null && typeof v !== 'string')
    throw invalidRequest(
      `${field} must be a string; got ${describeValue(v)}.`,
      field,
      'invalid_type',
    );
  return typeof v === 'string' ? v : undefined;
};

/** A JSON edit's body → what the gateway runs, or a 400 (413) naming the field to fix. */
export function parseImageEditJson(body: unknown, limits: ImageFormLimits): ImageForm {
  if (!isObject(body))
    throw invalidRequest(
      'The request body must be a JSON object: {"images": [{"image_url": …}], "prompt": …, "model": …}.',
    );
  checkModelField(body, 'the name of an image deployment or pool', true);
  const images = body.images;
  if (images === undefined && body.image !== undefined)
    throw invalidRequest(
      'A JSON edit names its images in "images" (an array of {"image_url": …} or {"file_id": …}); "image" is the multipart field.',
      'image',
      'unknown_parameter',
    );
  if (!Array.isArray(images) || images.length === 0)
    throw invalidRequest(
      `images is required: an array of 1 to ${MAX_EDIT_IMAGES} image references, each ${REF_SHAPE}.`,
      'images',
      images === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  if (images.length > MAX_EDIT_IMAGES)
    throw invalidRequest(`Send at most ${MAX_EDIT_IMAGES} images in one edit.`, 'images');
  images.forEach((ref, i) => checkRef(ref, `images[${i}]`, IMAGE, limits));
  if (body.mask !== undefined && body.mask !== null) checkRef(body.mask, 'mask', MASK, limits);
  if (body.prompt !== undefined && body.prompt !== null && typeof body.prompt !== 'string')
    throw invalidRequest(
      `prompt must be a string: a text description of the edit; got ${describeValue(body.prompt)}.`,
      'prompt',
      'invalid_type',
    );
  if (typeof body.prompt !== 'string' || !body.prompt)
    throw invalidRequest(
      'prompt is required: a text description of the edit.',
      'prompt',
      body.prompt === undefined ? 'missing_required_parameter' : 'invalid_type',
    );
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 10)
    throw invalidRequest('n must be an integer from 1 to 10.', 'n');
  const size = optionalString(body, 'size');
  if (size !== undefined && size !== 'auto' && !SIZE.test(size))
    throw invalidRequest('size must be "auto" or "<width>x<height>" (e.g. "1024x1024").', 'size');
  const responseFormat = optionalString(body, 'response_format');
  if (responseFormat !== undefined && responseFormat !== 'b64_json' && responseFormat !== 'url')
    throw invalidRequest('response_format must be "b64_json" or "url".', 'response_format');
  checkFieldType(body, 'stream', 'boolean');
  if (body.stream === true)
    throw invalidRequest(
      'stream: true (partial images) is not served by this router; leave it out for the finished images.',
      'stream',
    );
  const form: ImageForm = {
    parts: [],
    json: body,
    model: typeof body.model === 'string' ? body.model : '',
    prompt: body.prompt,
    n: n as number,
  };
  if (size !== undefined) form.size = size;
  for (const field of ['quality', 'user', 'safety_identifier'] as const) {
    const v = optionalString(body, field);
    if (v !== undefined) form[field] = v;
  }
  checkQuality(form.quality, EDIT_QUALITIES);
  if (responseFormat !== undefined) form.response_format = responseFormat;
  return form;
}

/** Whether a JSON edit names any file by id (else there is nothing to look up). */
export function namesFiles(form: ImageForm): boolean {
  const json = form.json ?? {};
  const refs = [...(json.images as unknown[]), json.mask];
  return refs.some((r) => isObject(r) && typeof r.file_id === 'string');
}

/**
 * The JSON edit with each reference naming one of `owner`'s router files made inline (a data URL),
 * checked as an uploaded image is: its type from its bytes, its size within the file limit.
 */
export async function inlineRouterFiles(
  form: ImageForm,
  owner: string,
  files: RouterFiles,
  limits: ImageFormLimits,
): Promise<ImageForm> {
  const json = form.json!;
  const images = json.images as Json[];
  const ids = [...images, json.mask].flatMap((r) =>
    isObject(r) && typeof r.file_id === 'string' ? [r.file_id] : [],
  );
  const found = await files.loadAll(ids, owner);
  if (found.size === 0) return form;
  const inline = (ref: Json, param: string, kind: RefKind): Json => {
    const f = typeof ref.file_id === 'string' ? found.get(ref.file_id) : undefined;
    if (!f) return ref;
    const type = sniffImageType(f.content);
    if (!type || !kind.types.has(type))
      throw notImageOf(`${param}.file_id`, kind.what, f.content, { filename: f.filename });
    if (f.content.length > limits.fileBytes) throw fileTooLarge(limits, `${param}.file_id`);
    return { image_url: `data:${type};base64,${f.base64}` };
  };
  const resolved: Json = {
    ...json,
    images: images.map((r, i) => inline(r, `images[${i}]`, IMAGE)),
  };
  if (isObject(json.mask)) resolved.mask = inline(json.mask, 'mask', MASK);
  return { ...form, json: resolved };
}
