// The client events a realtime session rewrites before sending them on (realtime-connection.ts):
// a `session.update` naming a model gets the deployment's, and `conversation.item.create` text,
// and the text of a `response.create`'s own `input` items, go through the content filter's input
// rules: messages' text parts, a function call's arguments and a function call's output (the
// model reads them all, and chat's filter checks a tool message and a call's arguments). Each
// answers the new event, or undefined to send the event as it came. A `conversation.item.create`
// or `response.create` without an `event_id` is given one of the router's (tagEvent), so the
// upstream's refusal names it; the client gets that `error` with its own (none: null, untagError).
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { RealtimeLink } from '../../gateway/realtime-gateway.js';

type Json = Record<string, unknown>;

/** `session.update` naming a model: the deployment's, not the name the client called. */
export function pinModel(link: RealtimeLink, event: Json): Json | undefined {
  const session = event.session;
  if (!isObject(session) || session.model === undefined || session.model === link.d.model)
    return undefined;
  return { ...event, session: { ...session, model: link.d.model } };
}

/** How the `event_id`s the router gives client events begin (the client's own are kept). */
const ROUTER_EVENT_ID = 'event_mr_';
/** openapi.yaml RealtimeClientEvent* `event_id`: `maxLength: 512`. */
const MAX_EVENT_ID_CHARS = 512;

/**
 * `event` with an `event_id`: its own, else (none, or null) the router's `sequence`th; one that is
 * no string, or too long, is refused with the API's 400 `invalid_value`. The upstream's `error`
 * names the event it refuses by it (openapi.yaml RealtimeServerEventError `error.event_id`), which
 * tells the router which items were not added, and which response never started, also when the
 * client (as the `openai` SDK's realtime clients do) sends none.
 */
export function tagEvent(event: Json, sequence: number): Json {
  const id = event.event_id;
  if (id === undefined || id === null)
    return { ...event, event_id: `${ROUTER_EVENT_ID}${sequence}` };
  // Refused here: one the upstream refuses could not name the event.
  if (typeof id !== 'string' || id.length > MAX_EVENT_ID_CHARS)
    throw invalidRequest(
      `'event_id' must be a string of at most ${MAX_EVENT_ID_CHARS} characters, or left out.`,
      'event_id',
      'invalid_value',
    );
  return event;
}

/**
 * An upstream `error` naming an event the router tagged, as the client's event was (`event_id`
 * null), as frame text; undefined for any other, which goes on as it came.
 */
export function untagError(event: Json): string | undefined {
  const error = event.error;
  if (!isObject(error) || typeof error.event_id !== 'string') return undefined;
  if (!error.event_id.startsWith(ROUTER_EVENT_ID)) return undefined;
  return JSON.stringify({ ...event, error: { ...error, event_id: null } });
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
): Promise<Json | undefined> {
  const item = await filterContent(event.item, filter);
  return item ? { ...event, item } : undefined;
}

/**
 * The text parts of a `response.create`'s own `input` items through `filter` (redacted, or it
 * throws): what such a response reads instead of the conversation, so text the filter would
 * block in `conversation.item.create` is blocked here too.
 */
export async function filterResponseInput(
  event: Json,
  filter: (text: string) => Promise<string>,
): Promise<Json | undefined> {
  const response = event.response;
  if (!isObject(response) || !Array.isArray(response.input)) return undefined;
  let changed = false;
  const input: unknown[] = [];
  for (const item of response.input) {
    const filtered = await filterContent(item, filter);
    changed ||= filtered !== undefined;
    input.push(filtered ?? item);
  }
  return changed ? { ...event, response: { ...response, input } } : undefined;
}
