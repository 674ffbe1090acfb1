// Item references in a Responses request's `input` (openapi.yaml `ItemReferenceParam`:
// `{type: "item_reference", id}`, `type` optional, so an item with only an `id` is one too),
// resolved as OpenAI resolves them while responses are stored: to the output item (message,
// function call, reasoning) of one of the caller's tenant's stored responses, by the id the client
// got, or to one of their input items, by the id `GET …/input_items` lists. The Vercel AI SDK
// sends them for earlier turns' messages and reasoning when its caller passes `response.messages`
// back with `store` on (its default). A request naming a conversation may also refer to that
// conversation's items (one added with the Conversations API is in no stored response). Another
// tenant's item, like an unknown one, is not found.
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ConversationObjectStore } from '../../store/conversation-object-store.js';
import type { ResponseStore } from '../../store/response-store.js';
import { inputItemsOf, responseOfInputItem } from './input-items.js';
import type { Json } from './responses-convert.js';

/** The id an input item refers to, if it is a reference. */
function referenceId(item: unknown, path: string): string | undefined {
  if (!isObject(item)) return undefined;
  const bare =
    (item.type === undefined || item.type === null) &&
    item.role === undefined &&
    item.content === undefined &&
    item.id !== undefined;
  if (item.type !== 'item_reference' && !bare) return undefined;
  if (typeof item.id !== 'string' || !item.id)
    throw invalidRequest(
      `'${path}.id' must be the id of a stored item (a string such as "msg_…").`,
      `${path}.id`,
      'invalid_type',
    );
  return item.id;
}

/**
 * A stored item as it goes in `input`: as it was sent, without the id of a message or function
 * call (a native upstream would look those up in its own store, where the router's are not);
 * a reasoning item keeps its id (an upstream's own reasoning goes back to it by id).
 */
function asInput(item: Json): Json {
  if (item.type === 'reasoning') return item;
  const { id: _id, ...rest } = item;
  void _id;
  return rest;
}

/**
 * Input items that reference an item the request's conversation already holds: given to the model
 * as sent, but not appended to the conversation again (an id it holds is not added twice, as
 * `POST …/items` has it; conversation-turn.ts).
 */
export const HELD_BY_CONVERSATION = new WeakSet<object>();

/** The conversation a request names, whose items its references may name too. */
export interface ReferencedConversation {
  id: string;
  store: ConversationObjectStore;
}

/**
 * `input` with each item reference replaced by the item it names (the array as it came when it
 * has none). Output items are one keyed lookup for all of them; input item ids name their
 * response, read once each; what neither holds is looked up in `conversation`'s items. A
 * reference that names nothing `owner` may see is a 400 naming it.
 */
export async function resolveItemReferences(
  input: unknown[],
  owner: string,
  store: ResponseStore,
  conversation?: ReferencedConversation,
): Promise<unknown[]> {
  const refs = new Map<number, string>();
  input.forEach((item, i) => {
    const id = referenceId(item, `input[${i}]`);
    if (id !== undefined) refs.set(i, id);
  });
  if (refs.size === 0) return input;
  const found = await store.items(owner, [...refs.values()]);
  const responses = new Map<string, Map<string, Json>>();
  for (const id of new Set(refs.values())) {
    const responseId = found.has(id) ? undefined : responseOfInputItem(id);
    if (!responseId || responses.has(responseId)) continue;
    const stored = await store.get(responseId, owner);
    responses.set(
      responseId,
      new Map(stored?.response ? inputItemsOf(stored).map((it) => [String(it.id), it]) : []),
    );
  }
  const inResponses = (id: string) =>
    found.get(id) ?? responses.get(responseOfInputItem(id) ?? '')?.get(id);
  const inConversation = new Map<string, Json>();
  if (conversation)
    for (const id of new Set(refs.values())) {
      const item = await conversation.store.getConversationItem(conversation.id, owner, id);
      if (item) inConversation.set(id, item);
    }
  return input.map((item, i) => {
    const id = refs.get(i);
    if (id === undefined) return item;
    const resolved = inResponses(id) ?? inConversation.get(id);
    if (resolved && inConversation.has(id)) {
      const sent = asInput(resolved);
      HELD_BY_CONVERSATION.add(sent);
      return sent;
    }
    if (!resolved)
      throw invalidRequest(
        `Item with id "${id}" (input[${i}].id) not found: it belongs to a response created with store: false, deleted, past the request log's retention, or by another tenant. Send the item itself, or continue its response with previous_response_id.`,
        `input[${i}].id`,
        'item_not_found',
      );
    return asInput(resolved);
  });
}
