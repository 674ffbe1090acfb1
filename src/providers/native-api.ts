// Native pass-through of the Responses API. The gateway is chat-native (routing, failover, limits and
// accounting read Chat Completions shapes), so an adapter that called an upstream's own `/responses`
// still returns chat shapes — and ties the upstream's untouched Response object (JSON) or events
// (stream) to them here, for the Responses route to send on as they came. A chat object that a
// policy replaced (e.g. an output filter) has no tie, and the route bridges it instead.
import type { ChatChunk, ChatResponse } from '../core/wire-types.js';

/** What a client asked for in a non-chat API, offered to adapters whose upstream speaks it. */
export interface NativeRequest {
  api: 'responses';
  /** The Responses request body, with the conversation expanded into `input` (no
   * `previous_response_id`: conversations are kept by the router, not by one upstream). */
  body: Record<string, unknown>;
}

/** One upstream SSE event, as received. */
export interface NativeEvent {
  event?: string;
  data: Record<string, unknown>;
}

const responses = new WeakMap<ChatResponse, Record<string, unknown>>();
const events = new WeakMap<ChatChunk, NativeEvent[]>();

export function tieNativeResponse(chat: ChatResponse, native: Record<string, unknown>): void {
  responses.set(chat, native);
}

export function nativeResponseOf(chat: ChatResponse): Record<string, unknown> | undefined {
  return responses.get(chat);
}

export function tieNativeEvents(chunk: ChatChunk, native: NativeEvent[]): void {
  events.set(chunk, native);
}

export function nativeEventsOf(chunk: ChatChunk): NativeEvent[] | undefined {
  return events.get(chunk);
}
