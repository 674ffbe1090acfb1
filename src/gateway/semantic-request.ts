// A chat request split in two for the semantic cache: the partition (everything that must match
// exactly, hashed) and the conversation's text (what is compared by meaning). The partition is
// the exact cache's key material with each message's text blanked: roles, the number of turns,
// names, tool calls, image parts, tools, response_format, temperature, max tokens and every other
// field stay, so two requests share a partition only when their texts are all that differ.
import type { RoutingMode } from '../config/schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import { answerScope, cacheKey } from './cache-key.js';
import type { ChatCall, Target } from './gateway-types.js';

export interface SemanticRequest {
  partition: string;
  /** Every turn's text, system included, each line `role: text`. */
  text: string;
}

type Part = { type?: unknown; text?: unknown };

/** The text of a message's content: a string, or its text parts joined. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content as Part[])
    if (part && part.type === 'text' && typeof part.text === 'string')
      out += (out ? '\n' : '') + part.text;
  return out;
}

/** The content with its text taken out: a string becomes '', text parts keep their shape. */
function blankContent(content: unknown): unknown {
  if (typeof content === 'string') return '';
  if (!Array.isArray(content)) return content;
  return (content as Part[]).map((part) =>
    part && part.type === 'text' && typeof part.text === 'string' ? { ...part, text: '' } : part,
  );
}

/**
 * The partition and text of `request` (after input filters), for a call to `target` in `mode`
 * and `zone`, embedded by `embeddings` (vectors of different models never compare).
 */
export function splitSemanticRequest(
  call: Pick<ChatCall, 'auth'>,
  request: ChatRequest,
  target: Target,
  mode: RoutingMode | undefined,
  zone: { dataZone?: string; regions?: ReadonlySet<string> },
  embeddings: string,
): SemanticRequest {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { stream, stream_options, messages, ...rest } = request;
  let text = '';
  const blanked = messages.map((message) => {
    const content = (message as { content?: unknown }).content;
    text += `${message.role}: ${contentText(content)}\n`;
    return { ...message, content: blankContent(content) };
  });
  return {
    partition: cacheKey([
      'semantic',
      1,
      ...answerScope(call, target, mode, zone),
      embeddings,
      { ...rest, messages: blanked },
    ]),
    text,
  };
}
