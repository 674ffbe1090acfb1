// One Responses request from its body to what the client gets, the steps shared by a foreground
// request (answered on its own connection) and a background one (background-responses.ts): the
// checks and the bridged ChatRequest, the request a native upstream gets, and the gateway's
// outcome as a Response object or as Responses stream events (native ones sent on as they came
// when no output filter may change them).
import { quoteName } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { ChatChunk, ChatMessage, ChatRequest } from '../../core/wire-types.js';
import type { ChatOutcome } from '../../gateway/gateway-types.js';
import {
  nativeEventsOf,
  nativeResponseOf,
  type NativeRequest,
} from '../../providers/native-api.js';
import { responseToChat } from '../../providers/openai/responses-native.js';
import type { ConversationObjectStore } from '../../store/conversation-object-store.js';
import type { ResponseStore, StoredResponse } from '../../store/response-store.js';
import { isObject } from '../../core/is-object.js';
import {
  beginConversationTurn,
  conversationField,
  conversationIdOf,
  type ConversationTurn,
} from '../conversations/conversation-turn.js';
import { responsesToChat, type Json } from './responses-convert.js';
import { chatToInputItems } from './chat-to-input-items.js';
import { OPENROUTER_FIELDS } from '../../core/wire-types.js';
import {
  expandCompactionItems,
  renameInputPaths,
  takeCompactionTrigger,
} from './compaction-item.js';
import { checkToolOutputs } from './check-tool-outputs.js';
import { resolveItemReferences } from './item-references.js';
import { isOurReasoningItem } from './responses-reasoning.js';
import { callName } from './responses-tools.js';
import { chatToResponse, completedAt, type ResponseContext } from './responses-reply.js';
import { chatChunksToResponseEvents, type ResponsesEvent } from './responses-stream.js';

/** The statuses of a background response that has not ended (OpenAI's `queued`, `in_progress`). */
export const RUNNING_STATUSES: readonly unknown[] = ['queued', 'in_progress'];

export interface PreparedResponse {
  body: Json;
  ctx: ResponseContext;
  chat: ChatRequest;
  /** The conversation so far, this turn's input included. */
  history: ChatMessage[];
  instructions?: string;
  previous?: StoredResponse;
  /** Where this request's own input starts in `history` (after the earlier turns'). */
  inputFrom: number;
  /** The conversation (Conversations API) this turn reads and, once answered, appends to. */
  conversation?: ConversationTurn;
  native: NativeRequest;
  owner: string;
  /** The input ended with a `compaction_trigger` item (taken out of `body.input`): the response
   * is the compaction of the conversation, with no answer (server-compaction.ts). */
  compactNow?: boolean;
}

/** Checks a `POST /v1/responses` body and builds what the gateway runs (400s say what to fix).
 * Item references in `input` become the stored items they name (or the named conversation's
 * items), and this router's compaction items the summary they carry, for the bridge and for a
 * native upstream alike. A request naming a conversation holds its lock from here: the caller
 * finishes or releases `conversation` (conversation-turn.ts). */
export async function prepareResponse(
  sent: Json | null,
  owner: string,
  store: ResponseStore,
  conversations: ConversationObjectStore,
  /** A token count: the conversation named is read, not locked for a turn. */
  countOnly = false,
  /** Responses `previous_response_id` may name besides the store's (a WebSocket connection's,
   * kept in memory whatever `store` said). */
  local?: (id: string) => StoredResponse | undefined,
): Promise<PreparedResponse> {
  const conversationId = isObject(sent) ? conversationIdOf(sent) : undefined;
  const taken = sent && Array.isArray(sent.input) ? takeCompactionTrigger(sent.input) : undefined;
  const expanded =
    taken &&
    expandCompactionItems(
      await resolveItemReferences(
        taken.input,
        owner,
        store,
        conversationId === undefined ? undefined : { id: conversationId, store: conversations },
      ),
    );
  const body = sent && expanded ? { ...sent, input: expanded.items } : sent;
  const id = newId('resp_');
  const conversation = isObject(body)
    ? await beginConversationTurn(body, owner, conversations, id, Date.now, countOnly)
    : undefined;
  try {
    const previous = await previousResponse(body, owner, store, local);
    const earlier = previous?.messages ?? conversation?.context ?? [];
    let bridged: ReturnType<typeof responsesToChat>;
    try {
      bridged = responsesToChat(body, { messages: earlier });
      // Calls and their outputs pair up (a token count counts what it is given).
      if (!countOnly) checkToolOutputs(body!.input, earlier, expanded?.origin !== undefined);
    } catch (err) {
      // Errors name the items as the client sent them (the compacted ones were left out).
      throw renameInputPaths(err, expanded?.origin);
    }
    const { chat, history, instructions } = bridged;
    // OpenAI's background mode keeps the response to be polled: it needs the store (openapi.yaml
    // `background`; the guide: "background mode requires store=true").
    if (body!.background === true && body!.store === false)
      throw invalidRequest(
        "'background: true' needs the response to be stored: send store: true (or leave store out), then poll GET /v1/responses/{id}.",
        'store',
        'invalid_value',
      );
    return {
      body: body!,
      ctx: { id, createdAt: Date.now(), request: body! },
      chat,
      history,
      instructions,
      previous,
      inputFrom: earlier.length,
      ...(conversation ? { conversation } : {}),
      native: { api: 'responses', body: nativeRequestBody(body!, earlier, previous) },
      owner,
      ...(taken?.trigger ? { compactNow: true } : {}),
    };
  } catch (err) {
    await conversation?.release();
    throw err;
  }
}

/** The stored response `previous_response_id` names (400 when `owner` has none, or it runs). */
async function previousResponse(
  body: Json | null,
  owner: string,
  store: ResponseStore,
  local?: (id: string) => StoredResponse | undefined,
): Promise<StoredResponse | undefined> {
  const previousId =
    body && typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
  const previous = previousId
    ? (local?.(previousId) ?? (await store.get(previousId, owner)))
    : undefined;
  if (previousId && !previous)
    throw invalidRequest(
      `Previous response ${quoteName(previousId)} was not found: it was created with store: false, deleted, past the request log's retention, or by another tenant.`,
      'previous_response_id',
      'previous_response_not_found',
    );
  if (previous && RUNNING_STATUSES.includes(previous.response?.status))
    throw invalidRequest(
      `Previous response "${previousId}" is still ${String(previous.response?.status)} (a background response): wait until it has finished (GET /v1/responses/${previousId}), then continue it.`,
      'previous_response_id',
      'previous_response_in_progress',
    );
  return previous;
}

/** The response as the store keeps it; `answer` when the model answered. */
export function storedResponse(
  p: PreparedResponse,
  response: Json,
  answer?: ChatMessage,
  extra: Partial<StoredResponse> = {},
): StoredResponse {
  return {
    id: p.ctx.id,
    // A compaction_trigger's response has no answer: the summary ends the conversation it keeps.
    messages: answer && !p.compactNow ? [...p.history, answer] : [...p.history],
    instructions: p.instructions,
    model: String(response.model),
    createdAt: p.ctx.createdAt,
    response,
    owner: p.owner,
    inputFrom: p.inputFrom,
    ...extra,
  };
}

/**
 * Makes `p` the turn on its compacted context: `history` (the user's messages and the summary)
 * instead of the whole conversation, for the bridge and a native upstream alike, and `item` the
 * response's first output item. What the turn stores is this context, so the turns that continue
 * it (`previous_response_id`, `conversation`) carry it too.
 */
export function compactTurn(p: PreparedResponse, history: ChatMessage[], item: Json): void {
  const body = { ...p.body, input: [] };
  const { chat } = responsesToChat(body, { messages: history });
  // This turn's own input, as input_items lists it: its user messages kept, and the summary.
  const own = p.history.slice(p.inputFrom);
  p.inputFrom = history.findIndex((m) => own.includes(m));
  if (p.inputFrom < 0) p.inputFrom = history.length - 1;
  p.history = history;
  p.chat = chat;
  p.native = { api: 'responses', body: nativeRequestBody(body, history, p.previous) };
  p.ctx.compaction = item;
}

/** A copy of a stored response with its Response object in `status`. */
export function withStatus(stored: StoredResponse, status: string): StoredResponse {
  return { ...stored, response: { ...stored.response, status } };
}

/** A JSON outcome as the Response sent (native as it came unless filtered) and the answer kept. */
export function jsonResponse(
  outcome: Extract<ChatOutcome, { kind: 'json' }>,
  p: PreparedResponse,
  passThrough: boolean,
): { response: Json; answer: ChatMessage } {
  const { response, answer } = chatToResponse(outcome.response, p.ctx);
  // A compacted turn's Response is the bridge's: it has the compaction item first.
  const upstream =
    passThrough && !p.ctx.compaction ? nativeResponseOf(outcome.response) : undefined;
  return {
    response: upstream ? asOurs(upstream, p.ctx, outcome.response.model) : response,
    answer,
  };
}

/**
 * A stream outcome as Responses events, each with its `sequence_number`; `onDone` gets the final
 * response and the answer and is awaited before the terminal event. The first chunk decides
 * native or bridged events (failover is over once it has arrived).
 */
export async function streamResponseEvents(
  outcome: Extract<ChatOutcome, { kind: 'stream' }>,
  p: PreparedResponse,
  passThrough: boolean,
  onDone: (response: Json, answer: ChatMessage) => Promise<void>,
): Promise<AsyncIterable<ResponsesEvent>> {
  const iterator = outcome.chunks[Symbol.asyncIterator]();
  let head: IteratorResult<ChatChunk> | undefined;
  let headError: unknown;
  try {
    head = await iterator.next();
  } catch (err) {
    headError = err;
  }
  const rest: AsyncIterable<ChatChunk> = { [Symbol.asyncIterator]: () => iterator };
  const chunks = (async function* () {
    if (headError !== undefined) throw headError;
    if (head && !head.done) yield head.value;
    yield* rest;
  })();
  const nativeStream =
    passThrough &&
    !p.ctx.compaction &&
    head !== undefined &&
    !head.done &&
    nativeEventsOf(head.value) !== undefined;
  return nativeStream
    ? nativeEvents(chunks, p.ctx, (response) =>
        onDone(response, chatToResponse(responseToChat(response), p.ctx).answer),
      )
    : chatChunksToResponseEvents(chunks, p.ctx, p.chat.model, onDone);
}

/**
 * The request the native upstream gets: the client's, with the conversation expanded, without
 * the reasoning items this router wrote for Claude's thinking (the upstream could not read them;
 * its own reasoning items go to it as they came), and in the foreground: the router runs a
 * background response itself, so the upstream must not queue it (nor get `background_options`,
 * whose `2h` and `8h` windows it refuses without `background: true`). Earlier calls of namespace
 * members go back with their `namespace` and own `name`, as the client and the upstream wrote
 * them (the stored conversation names them as chat does), by the namespace tools of this request
 * or of the response it continues.
 */
function nativeRequestBody(
  body: Json,
  earlier: readonly ChatMessage[],
  previous: StoredResponse | undefined,
): Json {
  // The router compacts (server-compaction.ts): an upstream's own compaction item could be read
  // by that upstream only, and the next turn may be routed elsewhere.
  const {
    previous_response_id: _previous,
    background: _background,
    background_options: _backgroundOptions,
    conversation: _conversation,
    context_management: _compaction,
    ...rest
  } = body;
  void _previous;
  void _background;
  void _backgroundOptions;
  void _conversation;
  void _compaction;
  // OpenRouter's routing fields are the router's (the bridged chat request carries them).
  for (const key of OPENROUTER_FIELDS) delete rest[key];
  const input =
    typeof body.input === 'string'
      ? [{ role: 'user', content: body.input }]
      : (body.input as Json[]).filter((item) => !isOurReasoningItem(item));
  const tools = previous?.response ? [body, previous.response] : [body];
  const replayed = chatToInputItems(earlier, {
    named: (chatName) => callName(tools, chatName),
  });
  return { ...rest, input: [...replayed, ...input] };
}

/**
 * The upstream's Response as this router's: our id (for `previous_response_id`), the served model,
 * and the request's tools where the upstream left them out (OpenAI's always has them; a stored
 * response's tools name its namespace members when the conversation is continued).
 */
function asOurs(upstream: Json, ctx: ResponseContext, model: string): Json {
  return {
    tools: ctx.request.tools ?? [],
    ...upstream,
    id: ctx.id,
    // An OpenAI-compatible server's Response may leave it out (openapi.yaml: set once completed).
    completed_at: upstream.completed_at ?? completedAt(upstream.status),
    model,
    previous_response_id: ctx.request.previous_response_id ?? null,
    ...conversationField(ctx.request),
    store: ctx.request.store ?? true,
    background: ctx.request.background ?? false,
  };
}

/** The upstream's own events, each sent on as it came, with the Response re-badged as ours. */
async function* nativeEvents(
  chunks: AsyncIterable<ChatChunk>,
  ctx: ResponseContext,
  onDone: (response: Json) => Promise<void>,
): AsyncGenerator<ResponsesEvent & { sequence: number }> {
  let sequence = 0;
  for await (const chunk of chunks) {
    for (const e of nativeEventsOf(chunk) ?? []) {
      let data = e.data;
      const response = data.response as Json | undefined;
      if (response && typeof response === 'object') {
        const ours = asOurs(response, ctx, String(response.model ?? chunk.model));
        data = { ...data, response: ours };
        if (data.type === 'response.completed' || data.type === 'response.incomplete')
          await onDone(ours);
      }
      if (typeof data.sequence_number === 'number') sequence = data.sequence_number;
      yield {
        event: String(e.event ?? data.type),
        data: JSON.stringify(data),
        sequence: sequence++,
      };
    }
  }
}
