// The characters of answer a chat message or stream delta carries, for the ≈4 characters a token
// estimate of an answer whose upstream reported no usage: a stream's (gateway/track-stream.ts,
// the /v1/messages stream) and a JSON answer's (gateway/cost.ts). One count, so every estimate
// reads the same fields, each once.
import { isObject } from './is-object.js';
import { reasoningTextOf } from './reasoning-text.js';

/**
 * Text, refusal, reasoning, Claude's thinking (`reasoning_details`) and tool-call input (a
 * function's arguments, a custom tool's `input`). Reasoning tokens are output tokens, shown to the
 * client or not; its text is counted once (reasoningTextOf: vLLM 0.10 sent the same text in both
 * `reasoning_content` and `reasoning`, and adding both estimated, costed and charged it twice).
 */
export function outputChars(holder: unknown): number {
  if (!isObject(holder)) return 0;
  let n = 0;
  if (typeof holder.content === 'string') n += holder.content.length;
  if (typeof holder.refusal === 'string') n += holder.refusal.length;
  n += reasoningTextOf(holder)?.length ?? 0;
  if (Array.isArray(holder.reasoning_details))
    for (const d of holder.reasoning_details as { thinking?: unknown }[])
      if (typeof d?.thinking === 'string') n += d.thinking.length;
  if (Array.isArray(holder.tool_calls))
    for (const t of holder.tool_calls as ToolCallInput[]) {
      const input = t?.function?.arguments ?? t?.custom?.input;
      if (typeof input === 'string') n += input.length;
    }
  return n;
}

/** The input fields of a tool call, whole or a streamed piece (custom-tool-bridge.ts). */
type ToolCallInput = { function?: { arguments?: unknown }; custom?: { input?: unknown } } | null;
