// `GET /v1/chat/completions/{id}/messages`: a stored completion's request messages as OpenAI lists
// them (openapi.yaml `ChatCompletionMessageList`): each with the id `<completion id>-<index>`, its
// text in `content` and, when it was sent as parts, those parts in `content_parts` (else null);
// `order` asc (the default) or desc, at most `limit` (1–100, 20) after the message `after`.
import { invalidRequest, queryLimit, queryOrder } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { StoredChatCompletion } from '../../store/chat-completion-store.js';

type Json = Record<string, unknown>;

/** One request message as listed. */
function listedMessage(completionId: string, message: unknown, index: number): Json {
  const m = (isObject(message) ? message : {}) as Json;
  const id = `${completionId}-${index}`;
  if (!Array.isArray(m.content))
    return { id, ...m, content: m.content ?? null, content_parts: null };
  const parts = m.content as unknown[];
  const texts = parts.flatMap((p) =>
    isObject(p) && p.type === 'text' && typeof p.text === 'string' ? [p.text] : [],
  );
  return {
    id,
    ...m,
    content: texts.length ? texts.join('\n') : null,
    content_parts: parts,
  };
}

/** A list query's `order`: `asc` (OpenAI's default here) or `desc`. */
export const listOrder = (value: unknown) => queryOrder(value, 'asc');

/** A list query's `limit`: 1–100, 20 when absent. */
export function listLimit(value: unknown): number {
  return queryLimit(value, 100, 20);
}

export function chatMessageList(stored: StoredChatCompletion, query: Json): Json {
  const order = listOrder(query.order);
  const limit = listLimit(query.limit);
  const messages = stored.messages.map((m, i) => listedMessage(stored.id, m, i));
  if (order === 'desc') messages.reverse();
  let start = 0;
  if (typeof query.after === 'string' && query.after) {
    start = messages.findIndex((m) => m.id === query.after) + 1;
    if (start === 0)
      throw invalidRequest(
        `No message "${query.after}" in chat completion ${stored.id}.`,
        'after',
        'invalid_value',
      );
  }
  const data = messages.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < messages.length,
  };
}
