// A bridged Response cut short (chat `finish_reason` `length` or `content_filter`): the response
// is `incomplete`, and so is the output item the model was writing when it stopped, the last one
// (openapi.yaml: `OutputMessage`, `ReasoningItem`, `FunctionToolCall`, custom and shell calls have
// `status` in_progress, completed or incomplete). The items before it were finished (the model
// went on to the next), so they stay `completed`. JSON (responses-reply.ts) and stream
// (responses-stream.ts) apply the same rule.
import type { Json } from './responses-convert.js';

/** The items the model writes whose `status` can say `incomplete` (apply_patch_call's cannot). */
const MODEL_ITEM_TYPES = new Set([
  'reasoning',
  'message',
  'function_call',
  'custom_tool_call',
  'shell_call',
]);

/** Whether a chat finish reason means the answer was cut short. */
export function isCutShort(finish: string | null | undefined): boolean {
  return finish === 'length' || finish === 'content_filter';
}

/**
 * The index in `output` of the item being written when a cut-short answer stopped (its last, when
 * the model wrote it); -1 when the answer was not cut short or its last item is not the model's.
 */
export function cutShortIndex(output: readonly Json[], cutShort: boolean): number {
  const last = output.at(-1);
  return cutShort && last !== undefined && MODEL_ITEM_TYPES.has(String(last.type))
    ? output.length - 1
    : -1;
}

/** An item's `status` once done: `incomplete` for the one a cut-short answer stopped in. */
export function doneStatus(index: number, cutAt: number): 'completed' | 'incomplete' {
  return index === cutAt ? 'incomplete' : 'completed';
}
