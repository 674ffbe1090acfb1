// A simulated Realtime API session (`kind: realtime`, provider `simulated`), text only, after the
// GA event names of openapi.yaml (RealtimeServerEvent*): `session.created` on connect,
// `session.update` → `session.updated`, `conversation.item.create` → `conversation.item.added` and
// `.done` (where `previous_item_id` says; an item that is no message, function call or output, a
// message of another role, or an id the conversation holds, refused with an `error` naming the
// event, as OpenAI refuses them), `.retrieve` → `.retrieved`, `.delete` → `.deleted`,
// `.truncate` → `.truncated` (an assistant message's part; there is no audio to cut: only to 0
// ms), `response.create` → `response.created`, the output item and text deltas (or function calls
// and their argument deltas), and `response.done` with usage; an item id the conversation does not
// hold is an `item_not_found` error. The answer is the simulated chat answer to what the response
// reads (the conversation, or its own `input`, references resolved, and the session's or
// response's function tools: simulated-realtime-tools.ts), so it is deterministic; an out-of-band
// one (`conversation: "none"`) adds nothing to the conversation. One response at a time in the
// default conversation, as OpenAI's: another `response.create` for it while one runs is refused
// (`conversation_already_has_active_response`); out-of-band ones run beside it. A response waits
// the deployment's `simulation.ttftMs`, then streams its text a delta a token at
// `simulation.tokensPerSecond`, as the chat fleet streams (no waits without `simulation`);
// `response.cancel` ends one still running `cancelled`, with what it wrote (its item
// `incomplete`) and usage counting that. Audio (buffers, audio output) is refused with an `error`.
import { setTimeout as delay } from 'node:timers/promises';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { isObject } from '../../core/is-object.js';
import type { ChatRequest, ChatResponse } from '../../core/wire-types.js';
import type { RealtimeListener, RealtimeSession } from '../types.js';
import { itemRefusal, realtimeUsage, truncateRefusal } from './simulated-realtime-items.js';
import { chatRequestOf } from './simulated-realtime-tools.js';

type Json = Record<string, unknown>;

/**
 * The chat answer to a conversation (the simulated adapter's, without its latency), and its text
 * in the pieces the simulated chat fleet streams it in (a token each).
 */
export type SimulatedAnswerer = (
  body: ChatRequest,
) => Promise<{ reply: ChatResponse; pieces: readonly string[] }>;

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
  /** The responses running, by id (a cancel's handle), and the default conversation's one. */
  const running = new Map<string, AbortController>();
  let active: string | undefined;
  // Paced as the simulated chat fleet's stream: none without `simulation` settings.
  const pacing = {
    ttftMs: d.simulation?.ttftMs ?? 0,
    msPerPiece: d.simulation ? 1000 / d.simulation.tokensPerSecond : 0,
  };
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
      after === undefined
        ? items.length
        : after === 'root'
          ? 0
          : indexOf(after, eventId, 'previous_item_id') + 1;
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
    const stop = new AbortController();
    running.set(responseId, stop);
    if (!outOfBand) active = responseId;
    try {
      await answerResponse(options, context, responseId, outOfBand, stop.signal);
    } finally {
      running.delete(responseId);
      if (active === responseId) active = undefined;
    }
  };

  const answerResponse = async (
    options: Json,
    context: Json[],
    responseId: string,
    outOfBand: boolean,
    cancelled: AbortSignal,
  ) => {
    const started = performance.now();
    /** Waits until `due` (performance.now() ms), or until the response is cancelled. */
    const until = async (due: number) => {
      const wait = due - performance.now();
      if (wait >= 1) await delay(wait, undefined, { signal: cancelled }).catch(() => {});
    };
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
    const { reply, pieces } = await answer(chatRequestOf(d.model, context, options, session));
    await until(started + pacing.ttftMs);
    /** `response.done`: its output and usage (the input read, `output` tokens written). */
    const finish = (status: string, details: Json | null, out: Json[], output: number) =>
      emit('response.done', {
        response: {
          ...base,
          status,
          status_details: details,
          output: out,
          usage: realtimeUsage(reply, output),
        },
      });
    // openapi.yaml RealtimeResponse status_details: `cancelled`, reason `client_cancelled`.
    const cancelledDetails = { type: 'cancelled', reason: 'client_cancelled' };
    // Cancelled before its first output: it read its input, wrote nothing.
    if (cancelled.aborted) return finish('cancelled', cancelledDetails, [], 0);
    const message = reply.choices[0]?.message;
    const outputItems: Json[] = [];
    /**
     * An output item announced (in the conversation from then on, if in band), its deltas
     * (`stream`, which answers its final fields and whether it was cut short), done: `incomplete`
     * when cut short, as OpenAI's item of a response cancelled mid-output is.
     */
    const emitItem = async (
      item: Json,
      stream: (at: Json) => Promise<{ fields: Json; cut: boolean }>,
    ) => {
      const index = { response_id: responseId, output_index: outputItems.length };
      emit('response.output_item.added', { ...index, item });
      const previous = { previous_item_id: items.at(-1)?.id ?? null };
      if (!outOfBand) {
        emit('conversation.item.added', { ...previous, item });
        items.push(item);
      }
      const { fields, cut } = await stream({ ...index, item_id: item.id });
      const done = { ...item, status: cut ? 'incomplete' : 'completed', ...fields };
      emit('response.output_item.done', { ...index, item: done });
      if (!outOfBand) {
        emit('conversation.item.done', { ...previous, item: done });
        const at = items.indexOf(item);
        if (at >= 0) items[at] = done;
      }
      outputItems.push(done);
    };
    const calls = message?.tool_calls ?? [];
    for (const call of calls) {
      if (call.type !== 'function') continue;
      const { name, arguments: args } = call.function;
      const item = {
        id: `item_sim_${++ids}`,
        type: 'function_call',
        status: 'in_progress',
        name,
        call_id: call.id,
        arguments: '',
      };
      // A call's arguments go in one delta: a cancel ends the response after the call.
      await emitItem(item, async (at) => {
        const named = { ...at, call_id: call.id };
        emit('response.function_call_arguments.delta', { ...named, delta: args });
        emit('response.function_call_arguments.done', { ...named, name, arguments: args });
        return { fields: { arguments: args }, cut: false };
      });
      if (cancelled.aborted) break;
    }
    // The text in the pieces the simulated chat fleet streams, one a token, paced as its stream
    // chunks are (simulation.tokensPerSecond after ttftMs); a cancel stops it mid-output.
    let unsent = 0;
    if (calls.length === 0) {
      const whole = String(message?.content ?? '');
      const parts = pieces.length > 0 || !whole ? pieces : [whole];
      const item = {
        id: `item_sim_${++ids}`,
        type: 'message',
        status: 'in_progress',
        role: 'assistant',
        content: [],
      };
      await emitItem(item, async (at) => {
        const part = { ...at, content_index: 0 };
        emit('response.content_part.added', { ...part, part: { type: 'text', text: '' } });
        let text = '';
        let sent = 0;
        for (const [i, delta] of parts.entries()) {
          await until(started + pacing.ttftMs + (i + 1) * pacing.msPerPiece);
          if (cancelled.aborted) break;
          emit('response.output_text.delta', { ...part, delta });
          text += delta;
          sent++;
        }
        unsent = parts.length - sent;
        emit('response.output_text.done', { ...part, text });
        emit('response.content_part.done', { ...part, part: { type: 'text', text } });
        return { fields: { content: [{ type: 'output_text', text }] }, cut: unsent > 0 };
      });
    }
    const total = reply.usage?.completion_tokens ?? 0;
    // Cancelled mid-output: `cancelled`, its usage the tokens written before the cancel.
    if (cancelled.aborted)
      return finish('cancelled', cancelledDetails, outputItems, Math.max(0, total - unsent));
    finish('completed', null, outputItems, total);
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
        const sent = event.item;
        if (!isObject(sent)) return error('invalid_value', "'item' must be an object.", id, 'item');
        const refusal = itemRefusal(sent);
        if (refusal) return error('invalid_value', refusal.message, id, refusal.param);
        // As OpenAI's Responses input says of the same: an id is one item's.
        if (items.some((i) => i.id === sent.id))
          return error(
            'invalid_value',
            `Duplicate item found with id ${JSON.stringify(sent.id)}: the conversation holds it already.`,
            id,
            'item.id',
          );
        const item: Json = { id: `item_sim_${++ids}`, status: 'completed', ...sent };
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
        const { item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs } = event;
        const refusal = truncateRefusal(items[at]!, contentIndex, audioEndMs);
        if (refusal) return error('invalid_value', refusal.message, id, refusal.param);
        // Text only: no audio to cut, and no transcript of it (the text part stays).
        return emit('conversation.item.truncated', {
          item_id: itemId,
          content_index: contentIndex,
          audio_end_ms: audioEndMs,
        });
      }
      case 'response.create': {
        const options = isObject(event.response) ? event.response : {};
        if (active && options.conversation !== 'none')
          return error(
            'conversation_already_has_active_response',
            `Conversation already has an active response in progress: ${active}. Wait until the response is finished before creating a new one.`,
            id,
          );
        void respond(event).catch((err: unknown) =>
          emit('error', {
            error: {
              type: 'server_error',
              code: 'server_error',
              message: err instanceof Error ? err.message : String(err),
              param: null,
              event_id: typeof id === 'string' ? id : null,
            },
          }),
        );
        return;
      }
      case 'response.cancel': {
        // The one named (`response_id`), else the default conversation's (openapi.yaml
        // RealtimeClientEventResponseCancel); its `response.done` says `cancelled`.
        const named = typeof event.response_id === 'string' ? event.response_id : active;
        const stop = named === undefined ? undefined : running.get(named);
        if (!stop)
          return error('response_cancel_not_active', 'There is no active response to cancel.', id);
        return stop.abort();
      }
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
      for (const stop of running.values()) stop.abort();
      listener.closed(1000, '');
    },
  };
}
