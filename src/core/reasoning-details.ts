// `reasoning_details` (Claude's extended thinking on a chat message, ./wire-types.ts) read off a
// message or a stream delta, and a stream's pieces put back together into whole blocks. Used
// wherever a streamed answer is reassembled (the answer cache, the Responses bridge), so every
// place merges the pieces the way a client does.
import { isObject } from './is-object.js';
import type { ReasoningDetail } from './wire-types.js';

/** The `reasoning_details` of a message or delta, when it has any (entries that are objects). */
export function reasoningDetailsOf(holder: unknown): ReasoningDetail[] | undefined {
  if (!isObject(holder) || !Array.isArray(holder.reasoning_details)) return undefined;
  const details = holder.reasoning_details.filter(isObject) as unknown as ReasoningDetail[];
  return details.length ? details : undefined;
}

/** The fields a stream sends in pieces, concatenated; every other field is whole in its piece. */
const STREAMED_TEXT = ['thinking', 'text'] as const;

/**
 * Streamed `reasoning_details` pieces merged into whole blocks: pieces name their block by
 * `index` (a piece without one belongs to the first block); its `thinking` text is the pieces'
 * concatenated, and the signature, `data`, `type` and `provider` are taken as they come (a
 * signature arrives whole, after the text, and is kept byte for byte). Blocks come out in index
 * order, without `index`, as a whole answer carries them.
 */
export class ReasoningAccumulator {
  private readonly blocks = new Map<number, Record<string, unknown>>();

  add(pieces: readonly ReasoningDetail[] | undefined): void {
    for (const piece of pieces ?? []) {
      const { index, ...fields } = piece as ReasoningDetail & Record<string, unknown>;
      const key = typeof index === 'number' ? index : 0;
      const block = this.blocks.get(key) ?? {};
      for (const [field, value] of Object.entries(fields)) {
        const streamed = (STREAMED_TEXT as readonly string[]).includes(field);
        block[field] =
          streamed && typeof value === 'string' && typeof block[field] === 'string'
            ? block[field] + value
            : value;
      }
      this.blocks.set(key, block);
    }
  }

  get size(): number {
    return this.blocks.size;
  }

  /** The whole blocks so far, in index order. */
  details(): ReasoningDetail[] {
    return [...this.blocks]
      .sort((a, b) => a[0] - b[0])
      .map(([, block]) => block as unknown as ReasoningDetail);
  }
}

/**
 * Whether Claude can take this detail back: a `thinking` block with its signature, or a
 * `redacted_thinking` block with its data. Thinking whose text was changed (the output filter's
 * redaction) is sent to the client unsigned, and Anthropic refuses an unsigned block.
 */
export function isSignedThinking(detail: ReasoningDetail): boolean {
  if (detail.provider !== 'anthropic') return false;
  if (detail.type === 'redacted_thinking') return typeof detail.data === 'string' && !!detail.data;
  return typeof detail.signature === 'string' && !!detail.signature;
}
