// Which stop sequence an answer stopped at, where the upstream says: OpenAI's Chat Completions
// says only finish_reason "stop" (its text leaves the sequence out, so an end at a stop sequence
// and a natural end look the same), but OpenAI-compatible servers name the string they matched.

/**
 * The stop string a choice (of a reply or a chunk) names: `stop_reason` (vLLM's field, and what
 * the Anthropic adapter sets from Claude's `stop_sequence`) or `matched_stop` (SGLang's). A
 * number there is a stop token's id (the end of the turn, or `stop_token_ids`), not a sequence.
 */
export function matchedStopOf(choice: unknown): string | undefined {
  if (!choice || typeof choice !== 'object') return undefined;
  const c = choice as { stop_reason?: unknown; matched_stop?: unknown };
  if (typeof c.stop_reason === 'string') return c.stop_reason;
  if (typeof c.matched_stop === 'string') return c.matched_stop;
  return undefined;
}

/**
 * OpenAI's most stop sequences (openapi.yaml `StopConfiguration`: "Up to 4 sequences"; more is a
 * 400). Anthropic's `stop_sequences` has no such count.
 */
export const MAX_STOP_SEQUENCES = 4;
