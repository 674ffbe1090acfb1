// A Responses request that names a conversation (`conversation: "conv_…"` or `{id}`; openapi.yaml
// `ConversationParam`): the conversation's items are the context before its input, and once the
// response has completed (or ended `incomplete`) its input items and output items are appended.
// The turn holds the conversation's lock from the request until then, so a second response on the
// same conversation meanwhile gets OpenAI's 400 `conversation_locked` instead of both answering
// from the same context and interleaving their items. A response that fails or is cancelled
// appends nothing (the client can send the turn again); a lock whose replica died runs out after
// TURN_LOCK_MS.
import { invalidRequest, notFound } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage } from '../../core/wire-types.js';
import type {
  ConversationItem,
  ConversationObjectStore,
} from '../../store/conversation-object-store.js';
import type { Json } from '../responses/responses-convert.js';
import { conversationContext, requestItems } from './conversation-items.js';

/** How long a turn holds its conversation at most (a longer run's items are not appended). */
export const TURN_LOCK_MS = 10 * 60_000;

export interface ConversationTurn {
  id: string;
  /** The conversation's items as chat messages: the context before this request's input. */
  context: ChatMessage[];
  /** Appends the request's input and `response`'s output items when it completed (or ended
   * incomplete) and releases the lock; for any other status, only releases it. */
  finish(response: Json): Promise<void>;
  /** Releases the lock without appending (nothing once finished). */
  release(): Promise<void>;
}

/** The conversation id a request names (undefined: none); a 400 for another shape. */
export function conversationIdOf(request: Json): string | undefined {
  const c = request.conversation;
  if (c === undefined || c === null) return undefined;
  if (typeof c === 'string' && c) return c;
  if (isObject(c) && typeof c.id === 'string' && c.id) return c.id;
  throw invalidRequest(
    '\'conversation\' must be a conversation id ("conv_…") or an object {id}.',
    'conversation',
    'invalid_type',
  );
}

/** The Response object's `conversation` ({id}) for a request that names one; nothing otherwise. */
export function conversationField(request: Json): { conversation?: { id: string } } {
  const c = request.conversation;
  const id = typeof c === 'string' ? c : isObject(c) && typeof c.id === 'string' ? c.id : undefined;
  return id ? { conversation: { id } } : {};
}

/**
 * Starts the turn of a request naming a conversation (undefined when it names none): takes the
 * lock as `holder` (the response's id) and reads the items. 404 for a conversation `owner` does
 * not have, 400 when another response holds it or `previous_response_id` is sent too.
 */
export async function beginConversationTurn(
  body: Json,
  owner: string,
  store: ConversationObjectStore,
  holder: string,
  now: () => number,
  readOnly = false,
): Promise<ConversationTurn | undefined> {
  const id = conversationIdOf(body);
  if (id === undefined) return undefined;
  if (body.previous_response_id !== undefined && body.previous_response_id !== null)
    throw invalidRequest(
      "'conversation' and 'previous_response_id' cannot both be sent: the conversation already holds the earlier turns. Send one of them.",
      'conversation',
      'mutually_exclusive_parameters',
    );
  // A token count reads the conversation as it is, and takes no lock: it appends nothing.
  if (readOnly) return readConversation(id, owner, store);
  const t = now();
  const lock = await store.lockConversation(id, owner, holder, t + TURN_LOCK_MS, t);
  if (lock === 'missing') throw conversationNotFound(id);
  if (lock === 'busy')
    throw invalidRequest(
      'Another response is currently running on this conversation. Retry once it has finished.',
      'conversation',
      'conversation_locked',
    );
  let done = false;
  const release = async () => {
    if (done) return;
    done = true;
    await store.unlockConversation(id, owner, holder);
  };
  try {
    const context = conversationContext(await store.allConversationItems(id, owner));
    const input = requestItems(body.input);
    return {
      id,
      context,
      release,
      async finish(response) {
        if (done) return;
        if (response.status !== 'completed' && response.status !== 'incomplete') return release();
        done = true;
        const output = (Array.isArray(response.output) ? response.output : []).filter(
          (item): item is ConversationItem => isObject(item) && typeof item.id === 'string',
        );
        const outcome = await store.appendConversationItems(
          id,
          owner,
          [...input, ...output],
          now(),
          holder,
        );
        if (outcome.kind !== 'appended')
          throw new Error(
            `conversation ${id}: the turn of ${holder} was not appended (${outcome.kind === 'missing' ? 'the conversation was deleted' : 'its lock ran out and another response holds it'})`,
          );
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

const conversationNotFound = (id: string) =>
  notFound(
    `Conversation "${id}" was not found: it was deleted, unused past the request log's retention, or created by another tenant.`,
    'conversation_not_found',
    'conversation',
  );

/** The conversation's items as context, with nothing to finish or release. */
async function readConversation(
  id: string,
  owner: string,
  store: ConversationObjectStore,
): Promise<ConversationTurn> {
  if (!(await store.readConversationObject(id, owner))) throw conversationNotFound(id);
  const context = conversationContext(await store.allConversationItems(id, owner));
  const nothing = async () => {};
  return { id, context, finish: nothing, release: nothing };
}
