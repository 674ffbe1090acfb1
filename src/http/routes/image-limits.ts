// What an image edit or variation may carry, as a form or as JSON: OpenAI's image count and types,
// and the size limits (`server.imageFileLimitBytes` an image, `server.imageFormLimitBytes` the
// whole body), read per request, with their 413s in OpenAI's error shape, each naming the limit
// and the setting that sets it.
import type { ConfigHolder } from '../../config/runtime-config.js';
import { GatewayError } from '../../core/errors.js';

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
