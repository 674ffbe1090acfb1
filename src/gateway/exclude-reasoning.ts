// OpenRouter's `reasoning.exclude` (src/http/openrouter-reasoning.ts): the model reasons as asked,
// and the client gets no reasoning back: `reasoning_details` (Claude's thinking), and the
// `reasoning_content` / `reasoning` text that DeepSeek-style and OpenRouter-style servers add,
// left out of a JSON answer's messages and of a stream's deltas. The usage still counts the
// reasoning tokens (they are billed).
import { REASONING_TEXT_KEYS } from '../core/reasoning-text.js';
import {
  REASONING_EXCLUDE_FIELD,
  chunkFields,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
} from '../core/wire-types.js';

const REASONING_KEYS = ['reasoning_details', ...REASONING_TEXT_KEYS] as const;

export function excludesReasoning(request: ChatRequest): boolean {
  return (request as Record<string, unknown>)[REASONING_EXCLUDE_FIELD] === true;
}

/** `part` without its reasoning keys: a copy when it has one, else itself. */
function stripped<T>(part: T): T {
  if (!part || typeof part !== 'object') return part;
  if (!REASONING_KEYS.some((k) => k in part)) return part;
  const copy = { ...part } as Record<string, unknown>;
  for (const key of REASONING_KEYS) delete copy[key];
  return copy as T;
}

/** The answer without its messages' reasoning (a copy: the answer cache keeps the whole one). */
export function withoutReasoning(response: ChatResponse): ChatResponse {
  return {
    ...response,
    choices: (response.choices ?? []).map((c) => ({ ...c, message: stripped(c.message) })),
  };
}

/** A chunk without reasoning in its deltas (a pass-through chunk is parsed for it; a copy). */
export function chunkWithoutReasoning(chunk: ChatChunk): ChatChunk {
  const parsed = chunkFields(chunk);
  if (!parsed.choices?.some((c) => stripped(c.delta) !== c.delta)) return parsed;
  return { ...parsed, choices: parsed.choices.map((c) => ({ ...c, delta: stripped(c.delta) })) };
}
