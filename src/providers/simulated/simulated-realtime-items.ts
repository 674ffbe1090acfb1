// What the simulated gpt-realtime (simulated-realtime.ts) refuses to add to its conversation or to
// truncate, as OpenAI's Realtime API refuses it with an `error` event naming the field, and the
// usage its responses report.
import type { ChatResponse } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

/**
 * A realtime response's usage (openapi.yaml RealtimeResponse `usage`), text only: the input its
 * chat `reply` read, and `output` tokens written (all of the reply's, or those sent before a
 * cancel).
 */
export function realtimeUsage(reply: ChatResponse, output: number): Json {
  const input = reply.usage?.prompt_tokens ?? 0;
  const cached = reply.usage?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
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
  };
}

/**
 * Why `item` cannot be added (openapi.yaml RealtimeConversationItem: a message of a user, the
 * assistant or the system with its content parts, a function call, a function call's output),
 * with the field at fault; undefined for an item the simulated conversation takes.
 */
export function itemRefusal(item: Json): { message: string; param: string } | undefined {
  if (item.id !== undefined && (typeof item.id !== 'string' || item.id === ''))
    return { message: "'item.id' must be a non-empty string.", param: 'item.id' };
  if (item.type === 'function_call' || item.type === 'function_call_output') return undefined;
  if (item.type !== 'message')
    return {
      message: `Invalid 'item.type' ${JSON.stringify(item.type)}: expected 'message', 'function_call' or 'function_call_output'.`,
      param: 'item.type',
    };
  if (!['user', 'assistant', 'system'].includes(item.role as string))
    return {
      message: `Invalid 'item.role' ${JSON.stringify(item.role)}: expected 'user', 'assistant' or 'system'.`,
      param: 'item.role',
    };
  if (!Array.isArray(item.content))
    return { message: "'item.content' must be an array of content parts.", param: 'item.content' };
  return undefined;
}

/**
 * Why `conversation.item.truncate` (its `content_index` and `audio_end_ms`) cannot truncate
 * `item`, with the field at fault; undefined when it can. openapi.yaml
 * RealtimeClientEventConversationItemTruncate: only an assistant message's content part, and
 * `audio_end_ms` within its audio ("greater than the actual audio duration … an error"); the
 * simulated fleet speaks text only, so its parts hold no audio: 0 ms is all there is.
 */
export function truncateRefusal(
  item: Json,
  contentIndex: unknown,
  audioEndMs: unknown,
): { message: string; param: string } | undefined {
  if (item.type !== 'message' || item.role !== 'assistant')
    return { message: 'Only assistant message items can be truncated.', param: 'item_id' };
  const parts = Array.isArray(item.content) ? item.content.length : 0;
  if (!Number.isInteger(contentIndex) || (contentIndex as number) < 0)
    return {
      message: "'content_index' must be a non-negative integer (the content part: set it to 0).",
      param: 'content_index',
    };
  if ((contentIndex as number) >= parts)
    return {
      message: `Invalid 'content_index' ${String(contentIndex)}: the item has ${parts} content part${parts === 1 ? '' : 's'}.`,
      param: 'content_index',
    };
  if (!Number.isInteger(audioEndMs) || (audioEndMs as number) < 0)
    return { message: "'audio_end_ms' must be a non-negative integer.", param: 'audio_end_ms' };
  if (audioEndMs !== 0)
    return {
      message: `audio_end_ms ${String(audioEndMs)} is past the item's audio (0 ms: the simulated fleet speaks text only).`,
      param: 'audio_end_ms',
    };
  return undefined;
}
