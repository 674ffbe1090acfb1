// Claude's extended thinking on the Responses bridge (openapi.yaml `ReasoningItem`): each thinking
// block of a chat answer (`reasoning_details`) is a `reasoning` output item whose `summary` is the
// thinking as Claude wrote it (Claude 4 models send a summary of their thinking) and whose
// `encrypted_content` carries the block whole, signature included. A Responses client that keeps
// no state (`store: false`, `include: ["reasoning.encrypted_content"]`) sends the item back and
// it becomes the thinking block again, so Claude goes on thinking in a tool loop. The content is
// opaque to the client, not encrypted: the client already has the text, and Anthropic checks the
// signature. Reasoning items of other upstreams (OpenAI's encrypted reasoning) are not ours to open.
// An OpenAI-format model's reasoning text is a reasoning item too (reasoningTextItem), with the text
// as its summary only when the request asks for one (summaryAsked).
import { isSignedThinking } from '../../core/reasoning-details.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import type { ReasoningDetail } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

/** Marks `encrypted_content` this router wrote (then base64url JSON of the block). */
const SEALED = 'mr_thinking.v1.';

/** The block as `encrypted_content`, or null when it cannot go back (unsigned: redacted by the filter). */
function seal(detail: ReasoningDetail): string | null {
  if (!isSignedThinking(detail)) return null;
  const { index: _index, ...block } = detail;
  void _index;
  return SEALED + Buffer.from(JSON.stringify(block)).toString('base64url');
}

/** The thinking of a block as a Responses reasoning summary (empty for redacted_thinking). */
export function reasoningSummary(detail: ReasoningDetail): Json[] {
  return typeof detail.thinking === 'string' && detail.thinking
    ? [{ type: 'summary_text', text: detail.thinking }]
    : [];
}

/** A whole thinking block as a `reasoning` output item. */
export function reasoningItem(detail: ReasoningDetail, id: string): Json {
  return {
    type: 'reasoning',
    id,
    summary: reasoningSummary(detail),
    encrypted_content: seal(detail),
  };
}

/**
 * Whether the request asks for a reasoning summary (`reasoning.summary`, or the deprecated
 * `reasoning.generate_summary`: `auto`, `concise` or `detailed`; openapi.yaml `Reasoning`).
 */
export function summaryAsked(request: Json): boolean {
  const r = isObject(request.reasoning) ? request.reasoning : {};
  const summary = r.summary ?? r.generate_summary;
  return summary === 'auto' || summary === 'concise' || summary === 'detailed';
}

/**
 * An OpenAI-format model's reasoning text (`reasoning_content`, `reasoning`: DeepSeek-R1 or
 * gpt-oss on vLLM, the simulated fleet's reasoning models) as a `reasoning` item with it as
 * `reasoning_text` content, as OpenAI's API returns an open-weights model's reasoning; `summary`
 * is the same text when the request asked for one (summaryAsked: the router writes no summary of
 * its own, whichever level is asked), else empty, as OpenAI's. It has no `encrypted_content`: sent
 * back, it is not ours to open (isOurReasoningItem), so it is left out, as the reasoning of such
 * models must be.
 */
export function reasoningTextItem(text: string, id: string, summarized: boolean): Json {
  return {
    type: 'reasoning',
    id,
    summary: summarized ? [{ type: 'summary_text', text }] : [],
    content: [{ type: 'reasoning_text', text }],
  };
}

/** Whether an input item is a reasoning item this router wrote (not an upstream's own). */
export function isOurReasoningItem(item: unknown): boolean {
  return (
    isObject(item) &&
    item.type === 'reasoning' &&
    typeof item.encrypted_content === 'string' &&
    item.encrypted_content.startsWith(SEALED)
  );
}

/**
 * The thinking block a reasoning input item carries, when this router wrote it; undefined for
 * any other (an upstream's own reasoning is provider-private and not replayed across models).
 * Ours but unreadable (changed by the client) is a 400 naming it.
 */
export function openReasoningItem(item: Json, path: string): ReasoningDetail | undefined {
  if (!isOurReasoningItem(item)) return undefined;
  const sealed = (item.encrypted_content as string).slice(SEALED.length);
  let block: unknown;
  try {
    block = JSON.parse(Buffer.from(sealed, 'base64url').toString('utf8'));
  } catch {
    block = undefined;
  }
  if (!isObject(block) || !isSignedThinking(block as unknown as ReasoningDetail))
    throw invalidRequest(
      `${path}.encrypted_content is not a reasoning item this router returned; send the reasoning item back as it came.`,
      `${path}.encrypted_content`,
      'invalid_encrypted_content',
    );
  return block as unknown as ReasoningDetail;
}
