// Inline images (data URLs) in a chat request: what their bytes are, whatever type the URL
// declares. OpenAI reads the bytes and takes a mislabelled data URL; Claude takes only PNG, JPEG,
// GIF and WebP, and refuses an image whose declared type is not its bytes' type
// (https://docs.claude.com/en/docs/build-with-claude/vision). Only the first bytes are decoded: an
// image may be megabytes, and its type is in its first twelve.
import { CLIENT_PATH, type ChatRequest } from '../core/wire-types.js';
import { detectMimeType, sniffImageType } from './file-type.js';

/** What a data URL holds: its bytes' image type, or else what they are (a fault). */
export type InlineImageType = { type: string } | { fault: string };

/** An inline image whose bytes are not PNG, JPEG, GIF or WebP, and where the client sent it. */
export interface ImageFault {
  /** Its place in the client's request (`messages[2].content[1].image_url`, `input[0]…`). */
  param: string;
  /** What its bytes are instead, with the type it declared. */
  found: string;
}

const DATA_URL_HEAD = /^data:([^;,]*)((?:;[^;,]*)*),/;
const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;
/** Base64 characters for 48 bytes (whitespace aside): more than any image signature needs. */
const HEAD_CHARS = 64;

/**
 * The image type of a data URL's bytes (IMAGE_TYPES in file-type.ts), or what they are instead;
 * undefined for a URL that is not a data URL (an https image is the upstream's to fetch).
 */
export function inlineImageType(url: string): InlineImageType | undefined {
  if (!url.startsWith('data:')) return undefined;
  const head = DATA_URL_HEAD.exec(url.slice(0, 256));
  const declared = head?.[1] || 'no type';
  if (!head || !head[2]!.split(';').includes('base64'))
    return { fault: `not base64 (a data URL needs ";base64,"; it declares ${declared})` };
  const chars = url.slice(head[0].length, head[0].length + HEAD_CHARS);
  // Node's decoder skips what is not base64; Claude refuses it.
  if (NOT_BASE64.test(chars)) return { fault: `not valid base64 (declared ${declared})` };
  const bytes = Buffer.from(chars, 'base64');
  if (bytes.length === 0) return { fault: `empty (declared ${declared})` };
  const type = sniffImageType(bytes);
  if (type) return { type };
  return { fault: `${detectMimeType(bytes, '')} (declared ${declared})` };
}

/** The data URL a chat content part sends as an image: an `image_url`, or an image `file`. */
function partImageUrl(part: unknown): { url: string; field: string } | undefined {
  const p = part as {
    type?: unknown;
    image_url?: { url?: unknown };
    file?: { file_data?: unknown };
  };
  if (p?.type === 'image_url' && typeof p.image_url?.url === 'string')
    return { url: p.image_url.url, field: 'image_url' };
  const data = p?.type === 'file' ? p.file?.file_data : undefined;
  if (typeof data === 'string' && data.startsWith('data:image/'))
    return { url: data, field: 'file.file_data' };
  return undefined;
}

/**
 * A content part's inline image: its bytes' type, or the fault with where the client sent it
 * (the part's place in the client's own request where it was converted from another API, else
 * `messages[i].content[j]`); undefined for a part that is no inline image.
 */
export function partImageType(
  part: unknown,
  chatPath: string,
): { type: string } | ImageFault | undefined {
  const image = partImageUrl(part);
  const found = image && inlineImageType(image.url);
  if (!found || 'type' in found) return found;
  const from = (part as { [CLIENT_PATH]?: string })[CLIENT_PATH];
  return { param: from ?? `${chatPath}.${image.field}`, found: found.fault };
}

/** The request's first inline image whose bytes are not PNG, JPEG, GIF or WebP. */
export function findImageFault(request: ChatRequest): ImageFault | undefined {
  for (const [i, message] of request.messages.entries()) {
    const content = (message as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const [j, part] of content.entries()) {
      const image = partImageType(part, `messages[${i}].content[${j}]`);
      if (image && 'param' in image) return image;
    }
  }
  return undefined;
}

/** The words of an image fault for an error: what is wrong and what to send instead. */
export function describeImageFault(fault: ImageFault): string {
  return `${fault.param} is not a PNG, JPEG, GIF or WebP image: its bytes are ${fault.found}. Send the image as one of those types`;
}
