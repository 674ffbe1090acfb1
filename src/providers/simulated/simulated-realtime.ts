// A simulated Realtime API session (`kind: realtime`, provider `simulated`), text only, after the
// GA event names of openapi.yaml (RealtimeServerEvent*): `session.created` on connect,
// `session.update` → `session.updated`, `conversation.item.create` → `conversation.item.added` and
// `.done` (where `previous_item_id` says), `.retrieve` → `.retrieved`, `.delete` → `.deleted`,
// `.truncate` → `.truncated` (there is no audio to cut: only to 0 ms), `response.create` →
// `response.created`, the output item and text deltas, and `response.done` with usage; an item id
// the conversation does not hold is an `item_not_found` error. The answer is the simulated chat
// answer to what the response reads (the conversation, or its own `input`, references resolved),
// so it is deterministic; an out-of-band one (`conversation: "none"`) adds nothing to the
// conversation. Audio (buffers, audio output) is refused with an `error` event.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { isObject } from '../../core/is-object.js';
import type { ChatRequest, ChatResponse } from '../../core/wire-types.js';
import type { RealtimeListener, RealtimeSession } from '../types.js';

type Json = Record<string, unknown>;

/** The chat answer to a conversation (the simulated adapter's, without its latency). */
export type SimulatedAnswerer = (body: ChatRequest) => Promise<ChatResponse>;

const TEXT_ONLY =
  'The simulated fleet speaks text only: set output_modalities to ["text"] and send text items (conversation.item.create with input_text), not audio.';

/** One session: its settings and its conversation's items, in order. */
export function openSimulatedRealtime(
  d: DeploymentConfig,
  requestId: string,
  listener: RealtimeListener,
  answer: SimulatedAnswerer,
): RealtimeSession {
  let closed = false;
  let events = 0;
  let ids = 0;
  const items: Json[] = [];
  const session: Json = {
    type: 'realtime',
    object: 'realtime.session',
    id: `sess_sim_${requestId}`,
    model: d.model,
    output_modalities: ['text'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    prompt: null,
    expires_at: 0,
    include: null,
  };
  /** The answers run one at a time, in order, as one upstream session would. */
  let work = Promise.resolve();
  const emit = (type: string, fields: Json) => {
    if (!closed)
      listener.message(JSON.stringify({ type, event_id: `event_sim_${++events}`, ...fields }));
  };
  const error = (code: string, message: string, eventId: unknown, param: string | null = null) =>
    emit('error', {
      error: {
        type: 'invalid_request_error',
        code,
        message,
        param,
        event_id: typeof eventId === 'string' ? eventId : null,
      },
    });
  const wantsAudio = (modalities: unknown) =>
    Array.isArray(modalities) && modalities.includes('audio');

  /** Inserts `item` after the item `after` names (`root`: first; none: last). */
  const addItem = (item: Json, after?: unknown, eventId?: unknown) => {
    const at =
      after === undefined ? items.length : after === 'root' ? 0 : indexOf(after, eventId) + 1;
    if (at === 0 && after !== undefined && after !== 'root') return;
    const previous = { previous_item_id: items[at - 1]?.id ?? null };
    emit('conversation.item.added', { ...previous, item });
    items.splice(at, 0, item);
    emit('conversation.item.done', { ...previous, item });
  };
  /** The index of the item `id`, or -1 after an `item_not_found` error answering `eventId`. */
  const indexOf = (id: unknown, eventId: unknown, param: string | null = null) => {
    const at = items.findIndex((i) => i.id === id);
    if (at < 0)
      error(
        'item_not_found',
        `There is no item ${JSON.stringify(id)} in the conversation.`,
        eventId,
        param,
      );
    return at;
  };
  /**
   * What a response reads: its own `input` (references to the conversation's items resolved) or
   * the conversation; undefined after an `item_not_found` error for a reference.
   */
  const contextOf = (options: Json, eventId: unknown): Json[] | undefined => {
    if (!Array.isArray(options.input)) return items;
    const context: Json[] = [];
    for (const [i, item] of (options.input as unknown[]).entries()) {
      if (!isObject(item)) continue;
      if (item.type !== 'item_reference') context.push(item);
      else {
        const at = indexOf(item.id, eventId, `response.input[${i}].id`);
        if (at < 0) return undefined;
        context.push(items[at]!);
      }
    }
    return context;
  };

  const respond = async (event: Json) => {
    const options = isObject(event.response) ? event.response : {};
    if (wantsAudio(options.output_modalities ?? session.output_modalities))
      return error('audio_not_supported', TEXT_ONLY, event.event_id, 'output_modalities');
    const context = contextOf(options, event.event_id);
    if (!context) return;
    const outOfBand = options.conversation === 'none';
    const responseId = `resp_sim_${++ids}`;
    const base = {
      object: 'realtime.response',
      id: responseId,
      conversation_id: outOfBand ? null : `conv_sim_${requestId}`,
      output_modalities: ['text'],
      max_output_tokens: options.max_output_tokens ?? session.max_output_tokens,
      metadata: options.metadata ?? null,
    };
    emit('response.created', {
      response: { ...base, status: 'in_progress', status_details: null, output: [], usage: null },
    });
    const instructions = options.instructions ?? session.instructions;
    const messages = [
      ...(typeof instructions === 'string' && instructions
        ? [{ role: 'system' as const, content: instructions }]
        : []),
      ...context.flatMap((item) => asChatMessage(item)),
    ];
    if (!messages.some((m) => m.role === 'user')) messages.push({ role: 'user', content: '' });
    const reply = await answer({ model: d.model, messages } as ChatRequest);
    const text = String(reply.choices[0]?.message.content ?? '');
    const itemId = `item_sim_${++ids}`;
    const at = { response_id: responseId, item_id: itemId, output_index: 0 };
    const item: Json = {
      id: itemId,
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
    };
    emit('response.output_item.added', { response_id: responseId, output_index: 0, item });
    if (!outOfBand)
      emit('conversation.item.added', { previous_item_id: items.at(-1)?.id ?? null, item });
    emit('response.content_part.added', {
      ...at,
      content_index: 0,
      part: { type: 'text', text: '' },
    });
    for (const delta of text.match(/\S+\s*|\s+/g) ?? [])
      emit('response.output_text.delta', { ...at, content_index: 0, delta });
    emit('response.output_text.done', { ...at, content_index: 0, text });
    emit('response.content_part.done', { ...at, content_index: 0, part: { type: 'text', text } });
    const done = { ...item, status: 'completed', content: [{ type: 'output_text', text }] };
    emit('response.output_item.done', { response_id: responseId, output_index: 0, item: done });
    if (!outOfBand) {
      emit('conversation.item.done', { previous_item_id: items.at(-1)?.id ?? null, item: done });
      items.push(done);
    }
    const input = reply.usage?.prompt_tokens ?? 0;
    const output = reply.usage?.completion_tokens ?? 0;
    const cached = reply.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    emit('response.done', {
      response: {
        ...base,
        status: 'completed',
        status_details: null,
        output: [done],
        usage: {
          total_tokens: input + output,
          input_tokens: input,
          output_tokens: output,
          input_token_details: {
            text_tokens: input,
            audio_tokens: 0,
            image_tokens: 0,
            cached_tokens: cached,
            cached_tokens_details: { text_tokens: cached, audio_tokens: 0, image_tokens: 0 },
          },
          output_token_details: { text_tokens: output, audio_tokens: 0 },
        },
      },
    });
  };

  const receive = (text: string) => {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      return error('invalid_json', 'Each event must be a JSON object.', null);
    }
    if (!isObject(event) || typeof event.type !== 'string')
      return error('invalid_event', "The 'type' field is missing.", null, 'type');
    const id = event.event_id;
    switch (event.type) {
      case 'session.update': {
        // OpenAI refuses a `session` that is not an object (input audit F11, 2026-12-06: the
        // simulated fleet took `"session": 5` as an empty update).
        if (!isObject(event.session))
          return error('invalid_type', "'session' must be an object.", id, 'session');
        const update = event.session;
        if (wantsAudio(update.output_modalities) || isObject(update.audio))
          return error('audio_not_supported', TEXT_ONLY, id, 'session.output_modalities');
        for (const [k, v] of Object.entries(update))
          if (k !== 'type' && k !== 'model') session[k] = v;
        return emit('session.updated', { session });
      }
      case 'conversation.item.create': {
        if (!isObject(event.item))
          return error('invalid_value', "'item' must be an object.", id, 'item');
        const item: Json = { id: `item_sim_${++ids}`, status: 'completed', ...event.item };
        return addItem(item, event.previous_item_id, id);
      }
      case 'conversation.item.retrieve': {
        const at = indexOf(event.item_id, id, 'item_id');
        return at < 0 ? undefined : emit('conversation.item.retrieved', { item: items[at] });
      }
      case 'conversation.item.delete': {
        const at = indexOf(event.item_id, id, 'item_id');
        if (at < 0) return;
        items.splice(at, 1);
        return emit('conversation.item.deleted', { item_id: event.item_id });
      }
      case 'conversation.item.truncate': {
        const at = indexOf(event.item_id, id, 'item_id');
        if (at < 0) return;
        const item = items[at]!;
        if (item.type !== 'message' || item.role !== 'assistant')
          return error(
            'invalid_value',
            'Only assistant message items can be truncated.',
            id,
            'item_id',
          );
        // Text only: no audio, so 0 ms is its whole length (openapi.yaml: past it, an error).
        if (event.audio_end_ms !== 0)
          return error(
            'invalid_value',
            `audio_end_ms is past the item's audio (0 ms: the simulated fleet speaks text only).`,
            id,
            'audio_end_ms',
          );
        const { item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs } = event;
        return emit('conversation.item.truncated', {
          item_id: itemId,
          content_index: contentIndex,
          audio_end_ms: audioEndMs,
        });
      }
      case 'response.create':
        work = work.then(() =>
          respond(event).catch((err: unknown) =>
            emit('error', {
              error: {
                type: 'server_error',
                code: 'server_error',
                message: err instanceof Error ? err.message : String(err),
                param: null,
                event_id: typeof id === 'string' ? id : null,
              },
            }),
          ),
        );
        return;
      case 'response.cancel':
        return error('response_cancel_not_active', 'There is no active response to cancel.', id);
      default:
        if (event.type.startsWith('input_audio_buffer.') || event.type.startsWith('output_audio'))
          return error('audio_not_supported', TEXT_ONLY, id, 'type');
        return error('invalid_event', `Unknown event type "${event.type}".`, id, 'type');
    }
  };

  // After the caller has its session: the first event a client sees.
  setImmediate(() => emit('session.created', { session }));
  return {
    send: (text) => {
      if (!closed) receive(text);
    },
    close: () => {
      if (closed) return;
      closed = true;
      listener.closed(1000, '');
    },
  };
}

/** A conversation item's text as a chat message (function calls and audio are left out). */
function asChatMessage(item: Json): ChatRequest['messages'] {
  if (item.type !== 'message' || !Array.isArray(item.content)) return [];
  const text = item.content
    .map((p: unknown) =>
      isObject(p) && typeof p.text === 'string'
        ? p.text
        : isObject(p) && typeof p.transcript === 'string'
          ? p.transcript
          : '',
    )
    .join('');
  const role = item.role === 'assistant' ? 'assistant' : item.role === 'system' ? 'system' : 'user';
  return [{ role, content: text } as ChatRequest['messages'][number]];
}
