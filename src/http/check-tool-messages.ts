// OpenAI's rule for tool results in Chat Completions: a `tool` message answers a call of the
// assistant message just before it (only other tool results between), by its `tool_call_id`.
// OpenAI answers 400 otherwise, and so does Anthropic (a tool_result must answer a tool_use of the
// previous turn), so such a request is refused here instead of by whichever upstream is routed to.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';

/**
 * Each `tool` message of `messages` (each already checked to be an object with a known role)
 * answers a `tool_calls` id of the nearest assistant message before it, with only tool messages
 * between; else a 400 with OpenAI's words and `param` (`messages.[i].role`, its spelling).
 */
export function checkToolMessages(messages: readonly Record<string, unknown>[]): void {
  // The ids the latest assistant message called, while only tool messages have followed it.
  let open: Set<string> | undefined;
  messages.forEach((m, i) => {
    if (m.role !== 'tool') {
      open = m.role === 'assistant' ? callIds(m.tool_calls) : undefined;
      return;
    }
    if (!open)
      throw invalidRequest(
        `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (messages[${i}] follows no assistant message with tool_calls): send the assistant message with its tool_calls before the tool results.`,
        `messages.[${i}].role`,
        'invalid_value',
      );
    const id = m.tool_call_id;
    if (typeof id !== 'string')
      throw invalidRequest(
        `Missing required parameter: 'messages[${i}].tool_call_id' (the id of the tool call it answers).`,
        `messages.[${i}].tool_call_id`,
        'missing_required_parameter',
      );
    if (!open.has(id))
      throw invalidRequest(
        `Invalid parameter: 'tool_call_id' of '${id.slice(0, 64)}' not found in 'tool_calls' of previous message (messages[${i}] answers a call the assistant did not make).`,
        `messages.[${i}].tool_call_id`,
        'invalid_value',
      );
  });
}

/** The ids of an assistant message's `tool_calls`; undefined when it made none. */
function callIds(toolCalls: unknown): Set<string> | undefined {
  if (!Array.isArray(toolCalls) || toolCalls.length === 0) return undefined;
  return new Set(toolCalls.flatMap((c) => (isObject(c) && typeof c.id === 'string' ? [c.id] : [])));
}
