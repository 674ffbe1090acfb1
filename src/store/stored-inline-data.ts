// The inline data (data URLs of images and files, base64 audio) a stored response keeps in its
// messages (`store: true`): kept as given, as OpenAI keeps input items, up to
// `responses.storedInlineDataMaxBytes` per stored response, the most recent first, each distinct
// payload counted once (a later turn and `previous_response_id` continuations are what read
// them). Past the bound, an item's data is replaced by a text part saying what was there, so no
// conversation keeps megabytes without end: a stored response holds the whole conversation.
import type { ChatMessage } from '../core/wire-types.js';
import { isObject } from '../core/is-object.js';

/** Where a content part keeps inline data, and what it is called in the note that replaces it. */
export function inlineData(
  part: Record<string, unknown>,
): { data: string; what: string } | undefined {
  if (part.type === 'image_url' && isObject(part.image_url)) {
    const url = part.image_url.url;
    if (typeof url === 'string' && url.startsWith('data:')) return { data: url, what: 'image' };
  }
  if (part.type === 'file' && isObject(part.file)) {
    const data = part.file.file_data;
    const name = typeof part.file.filename === 'string' ? ` ${part.file.filename}` : '';
    if (typeof data === 'string') return { data, what: `file${name}` };
  }
  if (part.type === 'input_audio' && isObject(part.input_audio)) {
    const data = part.input_audio.data;
    if (typeof data === 'string') return { data, what: 'audio' };
  }
  return undefined;
}

/**
 * The messages with their inline data kept up to `maxBytes` in all, the latest messages first;
 * each item beyond it becomes a text part naming what it was and its size. A payload is counted
 * once however often the conversation sends it (the store keeps it once, inline-blobs.ts), so an
 * image repeated on every turn is kept on every turn. The same array when nothing is over (no
 * copy on the common path).
 */
export function boundInlineData(messages: ChatMessage[], maxBytes: number): ChatMessage[] {
  let left = maxBytes;
  const kept = new Set<string>();
  let out: ChatMessage[] | undefined;
  for (let m = messages.length - 1; m >= 0; m--) {
    const content = messages[m]!.content;
    if (!Array.isArray(content)) continue;
    let parts: unknown[] | undefined;
    for (let p = content.length - 1; p >= 0; p--) {
      const part: unknown = content[p];
      const found = isObject(part) ? inlineData(part) : undefined;
      if (!found || kept.has(found.data)) continue;
      if (found.data.length <= left) {
        left -= found.data.length;
        kept.add(found.data);
        continue;
      }
      parts ??= [...content];
      parts[p] = {
        type: 'text',
        text: `[${found.what} not stored: its ${found.data.length} bytes of inline data are beyond responses.storedInlineDataMaxBytes (${maxBytes})]`,
      };
    }
    if (parts) {
      out ??= [...messages];
      out[m] = { ...messages[m]!, content: parts } as ChatMessage;
    }
  }
  return out ?? messages;
}
