// What a background response's run writes (background-responses.ts): its Response object as
// queued and as failed (OpenAI's `error` object), and its stream events, each the JSON data of one
// SSE event with its `type` and `sequence_number`.
import type { StoredResponse } from '../../store/response-store.js';
import type { Json } from './responses-convert.js';
import { baseResponse } from './responses-reply.js';
import { type ResponsesEvent } from './responses-stream.js';
import { withStatus, type PreparedResponse } from './responses-run.js';

/** The events that end a response's stream. */
export const TERMINAL_EVENTS = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
]);

/** The Response of a background request as it is queued. */
export function queuedResponse(p: PreparedResponse): Json {
  return baseResponse(p.ctx, p.chat.model, 'queued');
}

/**
 * A background response ended before its answer (failed, cancelled), as the client sees it:
 * `model` the model that was serving it where its stream had begun (its `x-router-model`, kept
 * with it then), as every Response of the router says, not the name the request asked for.
 */
export function endedAs(stored: StoredResponse, status: 'failed' | 'cancelled'): StoredResponse {
  const ended = withStatus(stored, status);
  const served = stored.routerHeaders?.['x-router-model'];
  if (served) ended.response = { ...ended.response, model: served };
  return ended;
}

/** A failed background response: OpenAI's `error` object ({code, message}). */
export function failedResponse(
  stored: StoredResponse,
  code: string,
  message: string,
): StoredResponse {
  const ended = endedAs(stored, 'failed');
  ended.response = { ...ended.response, error: { code, message } };
  return ended;
}

export function eventData(type: string, seq: number, response: Json): string {
  return JSON.stringify({ type, sequence_number: seq, response });
}

/** The event that ends a follower's stream for a response that ended without one kept. */
export function terminalEvent(response: Json, seq: number): ResponsesEvent | undefined {
  const type =
    response.status === 'completed'
      ? 'response.completed'
      : response.status === 'incomplete'
        ? 'response.incomplete'
        : response.status === 'failed'
          ? 'response.failed'
          : undefined;
  return type ? asEvent(eventData(type, seq, response)) : undefined;
}

export function asEvent(data: string): ResponsesEvent {
  return { event: eventType(data), data };
}

export function eventType(data: string): string {
  return String((JSON.parse(data) as Json).type);
}

export function sequenceOf(data: string): number {
  return Number((JSON.parse(data) as Json).sequence_number);
}

export function withSequence(data: string, seq: number): string {
  return JSON.stringify({ ...(JSON.parse(data) as Json), sequence_number: seq });
}

/** The `x-router-*` headers of a served run, kept so a `GET` of the response says how it was served. */
export function routerHeadersOf(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-router-')));
}
