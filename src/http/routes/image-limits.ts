// What an image edit or variation may carry, as a form or as JSON: OpenAI's image count and types,
// and the size limits (`server.imageFileLimitBytes` an image, `server.imageFormLimitBytes` the
// whole body), read per request, with their 413s in OpenAI's error shape, each naming the limit
// and the setting that sets it.
import type { ConfigHolder } from '../../config/runtime-config.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { detectMimeType, IMAGE_TYPES } from '../../files/file-type.js';

/** OpenAI's most images in one edit (CreateImageEditRequest `image.maxItems`). */
export const MAX_EDIT_IMAGES = 16;
/** What OpenAI takes: edits png, webp or jpg; a variation's image and a mask are PNG. */
export const EDIT_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp']);
export const PNG_ONLY: ReadonlySet<string> = new Set(['image/png']);

export interface ImageFormLimits {
  fileBytes: number;
  formBytes: number;
}

/** The limits as the config says now (a reload applies to the next request). */
export function imageLimits(config: ConfigHolder): ImageFormLimits {
  const server = config.current.config.server;
  return { fileBytes: server.imageFileLimitBytes, formBytes: server.imageFormLimitBytes };
}

/** A limit as people read it, and exactly: "50 MB (52428800 bytes)". */
function size(bytes: number): string {
  const [unit, per] = bytes % (1024 * 1024) === 0 ? ['MB', 1024 * 1024] : ['KB', 1024];
  return bytes % per === 0 ? `${bytes / per} ${unit} (${bytes} bytes)` : `${bytes} bytes`;
}

function tooLarge(message: string, param: string | null): GatewayError {
  return new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'file_too_large',
    param,
    message,
  });
}

/** One image or mask (a file, a data URL, a router file) past `server.imageFileLimitBytes`. */
export const fileTooLarge = (limits: ImageFormLimits, param: string) =>
  tooLarge(
    `The image in "${param}" is larger than ${size(limits.fileBytes)}, the most one image or mask may be (server.imageFileLimitBytes); send a smaller one.`,
    param,
  );

/** The whole form or JSON body past `server.imageFormLimitBytes`. */
export const formTooLarge = (
  limits: ImageFormLimits,
  param: string | null,
  what: 'multipart form' | 'JSON body' = 'multipart form',
) =>
  tooLarge(
    `The ${what} is larger than ${size(limits.formBytes)}, the most one image edit or variation may be (server.imageFormLimitBytes); send fewer or smaller images.`,
    param,
  );

const IMAGE_NAMES: Readonly<Record<string, string>> = {
  'image/png': 'a PNG image',
  'image/jpeg': 'a JPEG image',
  'image/gif': 'a GIF image',
  'image/webp': 'a WebP image',
};

/** What bytes are, in words, from the bytes alone (never the name or declared type). */
function describeBytes(bytes: Buffer): string {
  if (bytes.length === 0) return 'empty';
  const type = detectMimeType(bytes, '');
  if (IMAGE_TYPES.has(type)) return `${IMAGE_NAMES[type]} (${type})`;
  if (type === 'application/pdf') return 'a PDF (application/pdf), not an image';
  if (type === 'text/plain') return 'text, not an image';
  return 'no image format the router knows (PNG, JPEG, GIF or WebP)';
}

/**
 * The 400 `invalid_image_format` for an image or mask whose bytes are not `what`: what the bytes
 * are, and what the client said they were, told apart (media audit F4, 2026-12-06: "is not a PNG,
 * JPEG or WebP image: its bytes are image/png", the declared type taken for the bytes').
 */
export function notImageOf(
  param: string,
  what: string,
  bytes: Buffer,
  sent: { filename?: string; declared?: string },
): GatewayError {
  const name = sent.filename ? ` (${sent.filename})` : '';
  const declared = sent.declared?.split(';', 1)[0]?.trim().toLowerCase();
  const said = declared
    ? `; it was sent as ${declared}, but an image's type is read from its bytes`
    : '';
  return invalidRequest(
    `${param}${name} is not ${what}: its bytes are ${describeBytes(bytes)}${said}. Send ${what}.`,
    param,
    'invalid_image_format',
  );
}
