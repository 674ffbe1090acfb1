// OpenAI's Responses rules for tool calls and their outputs: an output answers a call of the
// conversation (`No tool call found for function call output with call_id …`), and every call the
// model made is answered before the conversation goes on (`No tool output found for function call
// …`). OpenAI answers 400 otherwise, and the chat messages the bridge makes of such a conversation
// are refused by OpenAI's and Anthropic's APIs alike, so it is refused here, naming the item,
// instead of by whichever upstream routing picks (the simulated fleet took it).
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ChatMessage } from '../../core/wire-types.js';

/** Call items and the output items that answer them, by `call_id`. */
const CALLS = new Set<unknown>([
  'function_call',
  'custom_tool_call',
  'shell_call',
  'apply_patch_call',
]);
const OUTPUTS = new Set<unknown>([
  'function_call_output',
  'custom_tool_call_output',
  'shell_call_output',
  'apply_patch_call_output',
]);

/**
 * Checks `input` (item references resolved, compaction items expanded) against the conversation
 * it continues (`earlier`: the stored chat messages of `previous_response_id` or a conversation).
 * The calls that must be answered are the input's and those of the last assistant message of
 * `earlier` that no tool message followed (the previous response's own calls). An output with no
 * `call_id` is context, not an answer (check-responses-request.ts). After a compaction item the
 * calls it summarised are gone, so outputs are not matched to calls then.
 */
export function checkToolOutputs(
  input: unknown,
  earlier: readonly ChatMessage[],
  compacted: boolean,
): void {
  if (!Array.isArray(input)) return;
  // call_id → the path of the item that made it ('' for the previous response's calls).
  const pending = new Map<string, string>();
  const called = new Set<string>();
  if (!compacted)
    for (const id of openCalls(earlier)) {
      pending.set(id, '');
      called.add(id);
    }
  input.forEach((item, i) => {
    if (!isObject(item) || !CALLS.has(item.type)) return;
    const id = String(item.call_id ?? item.id ?? '');
    pending.set(id, `input[${i}]`);
    called.add(id);
  });
  input.forEach((item, i) => {
    if (!isObject(item) || !OUTPUTS.has(item.type)) return;
    if (typeof item.call_id !== 'string' || !item.call_id) return;
    // A native upstream's own shell and apply_patch calls are not kept as chat calls
    // (responses-native.ts keeps function and custom tool calls): their outputs are not matched.
    const matched = item.type === 'function_call_output' || item.type === 'custom_tool_call_output';
    if (matched && !called.has(item.call_id) && !compacted)
      throw invalidRequest(
        `No tool call found for function call output with call_id ${item.call_id.slice(0, 64)} (input[${i}] answers no call of this input or of the response it continues): send the call item before its output, or continue the response that made the call.`,
        `input[${i}].call_id`,
        'invalid_value',
      );
    pending.delete(item.call_id);
  });
  const [id, path] = pending.entries().next().value ?? [];
  if (id === undefined) return;
  throw invalidRequest(
    path
      ? `No tool output found for function call ${id.slice(0, 64)} (${path} has no output item with its call_id): send the call's output after it.`
      : `No tool output found for function call ${id.slice(0, 64)} (a call of the previous response): send an output item with its call_id in input.`,
    path || 'input',
    'invalid_value',
  );
}

/** The ids of the last assistant message's calls that no tool message after it answered. */
function openCalls(messages: readonly ChatMessage[]): string[] {
  const last = messages.findLastIndex((m) => m.role === 'assistant');
  const message = messages[last];
  if (!message || message.role !== 'assistant' || !message.tool_calls) return [];
  const answered = new Set(
    messages.slice(last + 1).flatMap((m) => (m.role === 'tool' ? [m.tool_call_id] : [])),
  );
  return message.tool_calls.map((c) => c.id).filter((id) => !answered.has(id));
}
