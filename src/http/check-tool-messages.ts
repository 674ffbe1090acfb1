// OpenAI's rule for tool results in Chat Completions: a `tool` message answers a call of the
// assistant message just before it (only other tool results between), by its `tool_call_id`, and
// every call of that assistant message is answered before the conversation goes on. OpenAI answers
// 400 otherwise, and so does Anthropic (a tool_result must answer a tool_use of the previous turn,
// and every tool_use needs its tool_result in the next one), so such a request is refused here
// instead of by whichever upstream is routed to.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';

/**
 * Each `tool` message of `messages` (each already checked to be an object with a known role)
 * answers a `tool_calls` id of the nearest assistant message before it, with only tool messages
 * between, and a message after that assistant's results comes only once each of its calls has
 * one; else a 400 with OpenAI's words and `param` (`messages.[i].role`, its spelling). An
 * assistant message with calls that ends the conversation is left to the upstream.
 */
export function checkToolMessages(messages: readonly Record<string, unknown>[]): void {
  // The ids the latest assistant message called, while only tool messages have followed it.
  let open: Set<string> | undefined;
  // Of those, the ids no tool message has answered yet, and where that assistant message is.
  let unanswered = new Set<string>();
  let caller = -1;
  messages.forEach((m, i) => {
    if (m.role !== 'tool') {
      refuseUnanswered(unanswered, `messages[${i}]`, `messages.[${i}].role`);
      open = m.role === 'assistant' ? callIds(m.tool_calls, i) : undefined;
      unanswered = new Set(open);
      caller = i;
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
    unanswered.delete(id);
  });
  // Results of only some of the last assistant message's calls end the conversation.
  const last = messages.at(-1);
  if (last?.role === 'tool')
    refuseUnanswered(unanswered, 'the end of messages', `messages.[${caller}].tool_calls`);
}

/** The 400 for calls left without a result before `where`, in OpenAI's words. */
function refuseUnanswered(unanswered: ReadonlySet<string>, where: string, param: string): void {
  if (unanswered.size === 0) return;
  const ids = [...unanswered].map((id) => id.slice(0, 64));
  const listed = ids.length > 8 ? `${ids.slice(0, 8).join(', ')}, …` : ids.join(', ');
  throw invalidRequest(
    `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${listed} (send a tool message for each before ${where}).`,
    param,
    'invalid_value',
  );
}

/**
 * The ids of messages[i]'s `tool_calls`; undefined when it made none. Two calls of one id are a
 * 400: a tool message could not say which it answers (Anthropic refuses the pair too).
 */
function callIds(toolCalls: unknown, i: number): Set<string> | undefined {
  if (!Array.isArray(toolCalls) || toolCalls.length === 0) return undefined;
  const ids = new Set<string>();
  toolCalls.forEach((c, j) => {
    if (!isObject(c) || typeof c.id !== 'string') return;
    if (ids.has(c.id))
      throw invalidRequest(
        `Invalid parameter: messages[${i}].tool_calls[${j}] has the id '${c.id.slice(0, 64)}' of an earlier call in the same message: give each tool call its own id, which its tool message answers.`,
        `messages.[${i}].tool_calls`,
        'invalid_value',
      );
    ids.add(c.id);
  });
  return ids;
}
