// The output content filter on Claude's extended thinking (`reasoning_details`): the client is
// shown the thinking as well as the answer, so its text is checked by the same rules and
// plug-ins. A signature vouches for the thinking's text exactly as Claude wrote it (Anthropic
// refuses a changed block when it comes back in a tool loop), so signatures and
// redacted_thinking's encrypted `data` are never scanned or changed: a block whose text was
// redacted goes out without its signature (unsigned, it is not sent back to Anthropic and the
// next turn is served without thinking, with a warning), any other block keeps it as it came.
import type { ReasoningDetail } from '../core/wire-types.js';
import type { FilterHit } from './filters/filter-types.js';
import type { CompiledRule } from './filters/pattern-filter.js';
import { scanStep } from './content-filter-stream.js';

/** A thinking block with its checked text: as it came when unchanged, else unsigned with the new text. */
export function withCheckedText(detail: ReasoningDetail, text: string): ReasoningDetail {
  if (text === detail.thinking) return detail;
  const { signature: _signature, ...unsigned } = detail;
  void _signature;
  return { ...unsigned, thinking: text };
}

interface HeldBlock {
  /** Text not yet sent (the last `holdBack` characters), or all of it while a match may grow. */
  text: string;
  /** The first piece's identity fields (provider, type, index), for the pieces sent for it. */
  template: ReasoningDetail;
  redacted: boolean;
}

/** What a choice's thinking pieces in one chunk come to once filtered. */
export interface ThinkingStep {
  pieces: ReasoningDetail[];
  hits: FilterHit[];
  blocked: boolean;
}

/**
 * One choice's thinking, filtered as it streams with the built-in rules: each block's text is
 * held back by at most `holdBack` characters, as the answer's text is; its signature (which comes
 * after its text) is sent once the block's text is all out, and only if nothing was redacted.
 */
export class ThinkingStreamFilter {
  private readonly held = new Map<number, HeldBlock>();

  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly holdBack: number,
  ) {}

  /** The pieces of one delta (`reasoning_details`), filtered. */
  add(details: readonly ReasoningDetail[]): ThinkingStep {
    const step: ThinkingStep = { pieces: [], hits: [], blocked: false };
    for (const detail of details) {
      const key = detail.index ?? 0;
      // A piece of another block: the blocks before it are whole.
      this.release(step, key);
      if (step.blocked) return step;
      const { signature, thinking, ...identity } = detail;
      if (typeof thinking !== 'string' && signature === undefined) {
        step.pieces.push(detail); // redacted_thinking: encrypted, nothing to read
        continue;
      }
      const block = this.held.get(key) ?? { text: '', template: identity, redacted: false };
      this.held.set(key, block);
      if (typeof thinking === 'string') {
        this.scan(step, key, block, block.text + thinking, false);
        if (step.blocked) return step;
      }
      if (signature !== undefined) {
        // The block's text is complete: what was held goes out, then the signature if it holds.
        this.scan(step, key, block, block.text, true);
        if (step.blocked) return step;
        this.held.delete(key);
        if (!block.redacted) step.pieces.push({ ...block.template, signature });
      }
    }
    return step;
  }

  /** Releases every block held back (the answer's text, a tool call or the end follows). */
  flush(): ThinkingStep {
    const step: ThinkingStep = { pieces: [], hits: [], blocked: false };
    this.release(step);
    return step;
  }

  private release(step: ThinkingStep, except?: number): void {
    for (const [key, block] of this.held) {
      if (key === except) continue;
      this.scan(step, key, block, block.text, true);
      this.held.delete(key);
      if (step.blocked) return;
    }
  }

  private scan(step: ThinkingStep, key: number, block: HeldBlock, text: string, final: boolean) {
    if (!text) return;
    const scanned = scanStep(text, this.rules, this.holdBack, final);
    step.hits.push(...scanned.hits);
    if (scanned.hits.some((h) => h.action === 'redact')) block.redacted = true;
    block.text = scanned.keep;
    if (scanned.emit) step.pieces.push({ ...block.template, index: key, thinking: scanned.emit });
    if (scanned.blocked) step.blocked = true;
  }
}
