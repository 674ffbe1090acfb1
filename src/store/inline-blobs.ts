// Inline data kept once: a stored response holds its whole conversation, so the image a client
// sends on every turn (or that every later turn carries in its history) would be stored again in
// each response. Each payload (a data URL of an image or file, base64 audio: stored-inline-data.ts)
// of at least BLOB_MIN_CHARS is taken out of the stored messages and kept apart, once, under the
// sha-256 of its JSON text; the stored response says where each goes back (`blobRefs`). The
// stores keep a payload while some stored response refers to it (response-store.ts has the
// contract). A response stored before this keeps its data inline and reads as it did. Stored chat
// completions keep their messages the same way (messagesToStore), in the same payload tables.
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../core/wire-types.js';
import { isObject } from '../core/is-object.js';
import { inlineData } from './stored-inline-data.js';

/** A payload as kept: the key, and the payload as its JSON string literal (what was hashed). */
export interface InlineBlob {
  hash: string;
  json: string;
}

/** Where a kept payload goes back: message, content part, key. */
export type BlobRef = [message: number, part: number, hash: string];

/** Shorter payloads stay inline: a row and a lookup would cost more than they save. */
export const BLOB_MIN_CHARS = 1024;

/**
 * The key of a payload: the sha-256 (hex) of its JSON text, which tells every JavaScript string
 * apart (UTF-8 would not: a lone surrogate and U+FFFD encode the same).
 */
export function blobKey(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/** A content part with `data` where its inline data is (it is one of inlineData's parts). */
function withData(part: Record<string, unknown>, data: string): Record<string, unknown> {
  if (part.type === 'image_url' && isObject(part.image_url))
    return { ...part, image_url: { ...part.image_url, url: data } };
  if (part.type === 'file' && isObject(part.file))
    return { ...part, file: { ...part.file, file_data: data } };
  if (part.type === 'input_audio' && isObject(part.input_audio))
    return { ...part, input_audio: { ...part.input_audio, data } };
  return part;
}

/** The messages with `edit` applied to the parts at `refs` (copies where changed). */
function editParts(
  messages: ChatMessage[],
  refs: readonly BlobRef[],
  edit: (part: Record<string, unknown>, hash: string) => Record<string, unknown>,
): ChatMessage[] {
  const out = [...messages];
  const copied = new Set<number>();
  for (const [m, p, hash] of refs) {
    const message = out[m];
    if (!message || !Array.isArray(message.content)) continue;
    const parts: unknown[] = copied.has(m) ? message.content : [...message.content];
    const part: unknown = parts[p];
    if (!isObject(part)) continue;
    parts[p] = edit(part, hash);
    if (!copied.has(m)) out[m] = { ...message, content: parts } as ChatMessage;
    copied.add(m);
  }
  return out;
}

/**
 * The messages with each payload of at least BLOB_MIN_CHARS taken out (an empty string in its
 * place), where each goes back, and the distinct payloads. The same array when there is none.
 */
export function takeOutBlobs(messages: ChatMessage[]): {
  messages: ChatMessage[];
  refs: BlobRef[];
  blobs: InlineBlob[];
} {
  const refs: BlobRef[] = [];
  const blobs = new Map<string, InlineBlob>();
  messages.forEach((message, m) => {
    if (!Array.isArray(message.content)) return;
    (message.content as unknown[]).forEach((part, p) => {
      const found = isObject(part) ? inlineData(part) : undefined;
      if (!found || found.data.length < BLOB_MIN_CHARS) return;
      const json = JSON.stringify(found.data);
      const hash = blobKey(json);
      blobs.set(hash, { hash, json });
      refs.push([m, p, hash]);
    });
  });
  if (refs.length === 0) return { messages, refs, blobs: [] };
  return {
    messages: editParts(messages, refs, (part) => withData(part, '')),
    refs,
    blobs: [...blobs.values()],
  };
}

/**
 * The messages with their kept payloads back (`found`: JSON text by key). A payload no longer
 * kept (its response was deleted while being read) becomes a text part saying so.
 */
export function putBackBlobs(
  messages: ChatMessage[],
  refs: readonly BlobRef[],
  found: ReadonlyMap<string, string>,
): ChatMessage[] {
  return editParts(messages, refs, (part, hash) => {
    const json = found.get(hash);
    if (json !== undefined) return withData(part, JSON.parse(json) as string);
    return { type: 'text', text: '[inline data no longer stored]' };
  });
}

/** Keys looked up per query, under SQLite's bound on a statement's parameters. */
const LOOKUP_CHUNK = 500;

/** `lookup` over `keys` in chunks, merged. */
export async function lookUpBlobs(
  keys: readonly string[],
  lookup: (keys: readonly string[]) => Promise<Map<string, string>>,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK)
    for (const [key, json] of await lookup(keys.slice(i, i + LOOKUP_CHUNK))) found.set(key, json);
  return found;
}

/** A message list as a store writes it, and the payloads taken out: a JSON array as ever when
 * none was, else `{"messages": […], "blobRefs": […]}`. */
export function messagesToStore(messages: ChatMessage[]): { json: string; blobs: InlineBlob[] } {
  const out = takeOutBlobs(messages);
  if (out.refs.length === 0) return { json: JSON.stringify(messages), blobs: [] };
  return { json: JSON.stringify({ messages: out.messages, blobRefs: out.refs }), blobs: out.blobs };
}

/** The messages a store wrote (either form), their payloads put back from `lookup`. */
export async function messagesFromStore(
  json: string,
  lookup: (keys: readonly string[]) => Promise<Map<string, string>>,
): Promise<ChatMessage[]> {
  const stored = JSON.parse(json) as
    ChatMessage[] | { messages: ChatMessage[]; blobRefs: BlobRef[] };
  if (Array.isArray(stored)) return stored;
  const found = await lookUpBlobs([...new Set(stored.blobRefs.map((r) => r[2]))], lookup);
  return putBackBlobs(stored.messages, stored.blobRefs, found);
}
