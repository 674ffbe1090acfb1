// The client events a realtime session rewrites before sending them on (realtime-connection.ts):
// a `session.update` naming a model gets the deployment's, and `conversation.item.create` text
// goes through the content filter's input rules. Each answers the new text, or undefined to send
// the event as it came.
import { isObject } from '../../core/is-object.js';
import { base64Bytes } from '../../gateway/realtime-audio.js';
import type { RealtimeLink } from '../../gateway/realtime-gateway.js';

type Json = Record<string, unknown>;

/** `session.update` naming a model: the deployment's, not the name the client called. */
export function pinModel(link: RealtimeLink, event: Json): string | undefined {
  const session = event.session;
  if (!isObject(session) || session.model === undefined || session.model === link.d.model)
    return undefined;
  return JSON.stringify({ ...event, session: { ...session, model: link.d.model } });
}

/** `conversation.item.create`'s text parts through `filter` (redacted, or it throws). */
export async function filterItem(
  event: Json,
  filter: (text: string) => Promise<string>,
): Promise<string | undefined> {
  const item = event.item;
  if (!isObject(item) || !Array.isArray(item.content)) return undefined;
  let changed = false;
  const content: unknown[] = [];
  for (const part of item.content) {
    if (isObject(part) && typeof part.text === 'string') {
      const text = await filter(part.text);
      changed ||= text !== part.text;
      content.push({ ...part, text });
    } else content.push(part);
  }
  return changed ? JSON.stringify({ ...event, item: { ...item, content } }) : undefined;
}

/** `conversation.item.create`'s text parts, as they go upstream. */
export function itemTexts(event: Json): string[] {
  const item = event.item;
  if (!isObject(item) || !Array.isArray(item.content)) return [];
  const texts: string[] = [];
  for (const part of item.content)
    if (isObject(part) && typeof part.text === 'string') texts.push(part.text);
  return texts;
}

/** Bytes of `conversation.item.create`'s `input_audio` parts (base64 `audio`). */
export function itemAudioBytes(event: Json): number {
  const item = event.item;
  if (!isObject(item) || !Array.isArray(item.content)) return 0;
  let bytes = 0;
  for (const part of item.content)
    if (isObject(part) && part.type === 'input_audio') bytes += base64Bytes(part.audio);
  return bytes;
}
