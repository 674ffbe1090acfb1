// The reasoning text OpenAI-format servers put beside the answer, on a message or a stream delta:
// DeepSeek's and vLLM's `reasoning_content`, OpenRouter's and newer vLLM's `reasoning` (a string;
// vLLM 0.10 sent both, with the same text). Claude's thinking is `reasoning_details` instead
// (./reasoning-details.ts). The client is shown it, so the output filter reads it too.
import { isObject } from './is-object.js';

export const REASONING_TEXT_KEYS = ['reasoning_content', 'reasoning'] as const;
export type ReasoningTextKey = (typeof REASONING_TEXT_KEYS)[number];

/** The reasoning text fields a message or delta carries as strings, in REASONING_TEXT_KEYS order. */
export function reasoningTextKeys(holder: unknown): ReasoningTextKey[] {
  if (!isObject(holder)) return [];
  return REASONING_TEXT_KEYS.filter((k) => typeof holder[k] === 'string');
}

/**
 * The reasoning text of a message or delta, one field's (`reasoning_content` first: a server that
 * sends both sends the same text twice); undefined when it has none.
 */
export function reasoningTextOf(holder: unknown): string | undefined {
  const key = reasoningTextKeys(holder)[0];
  return key === undefined ? undefined : ((holder as Record<string, string>)[key] ?? undefined);
}
