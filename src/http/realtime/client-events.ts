// The client events a realtime session rewrites before sending them on (realtime-connection.ts):
// a `session.update` naming a model gets the deployment's, and `conversation.item.create` text,
// and the text of a `response.create`'s own `input` items, go through the content filter's input
// rules: messages' text parts, a function call's arguments and a function call's output (the
// model reads them all, and chat's filter checks a tool message and a call's arguments). Each
// answers the new text, or undefined to send the event as it came.
import { isObject } from '../../core/is-object.js';
import type { RealtimeLink } from '../../gateway/realtime-gateway.js';

type Json = Record<string, unknown>;

/** `session.update` naming a model: the deployment's, not the name the client called. */
export function pinModel(link: RealtimeLink, event: Json): string | undefined {
  const session = event.session;
  if (!isObject(session) || session.model === undefined || session.model === link.d.model)
    return undefined;
  return JSON.stringify({ ...event, session: { ...session, model: link.d.model } });
}

/**
 * An item's text through `filter` (redacted, or it throws): a message's text parts, a function
 * call's `arguments`, a function call output's `output` (before 2026-12-07 only text parts were
 * filtered, so a tool's output or a call's arguments took blocked text past the filter, inline or
 * referred to by id). undefined when none changed.
 */
async function filterContent(
  item: unknown,
  filter: (text: string) => Promise<string>,
): Promise<Json | undefined> {
  if (!isObject(item)) return undefined;
  const field =
    item.type === 'function_call_output'
      ? 'output'
      : item.type === 'function_call'
        ? 'arguments'
        : undefined;
  if (field && typeof item[field] === 'string') {
    const text = await filter(item[field]);
    return text === item[field] ? undefined : { ...item, [field]: text };
  }
  if (!Array.isArray(item.content)) return undefined;
  let changed = false;
  const content: unknown[] = [];
  for (const part of item.content) {
    if (isObject(part) && typeof part.text === 'string') {
      const text = await filter(part.text);
      changed ||= text !== part.text;
      content.push({ ...part, text });
    } else content.push(part);
  }
  return changed ? { ...item, content } : undefined;
}

/** `conversation.item.create`'s text parts through `filter` (redacted, or it throws). */
export async function filterItem(
  event: Json,
  filter: (text: string) => Promise<string>,
): Promise<string | undefined> {
  const item = await filterContent(event.item, filter);
  return item ? JSON.stringify({ ...event, item }) : undefined;
}

/**
 * The text parts of a `response.create`'s own `input` items through `filter` (redacted, or it
 * throws): what such a response reads instead of the conversation, so text the filter would
 * block in `conversation.item.create` is blocked here too.
 */
export async function filterResponseInput(
  event: Json,
  filter: (text: string) => Promise<string>,
): Promise<string | undefined> {
  const response = event.response;
  if (!isObject(response) || !Array.isArray(response.input)) return undefined;
  let changed = false;
  const input: unknown[] = [];
  for (const item of response.input) {
    const filtered = await filterContent(item, filter);
    changed ||= filtered !== undefined;
    input.push(filtered ?? item);
  }
  return changed ? JSON.stringify({ ...event, response: { ...response, input } }) : undefined;
}
