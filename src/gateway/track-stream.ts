// A streamed answer on its way to the client: the peeked first chunk, then the rest, with the
// first chunk carrying the prompt filter results and router controls; the usage chunk the client
// did not ask for dropped (its usage kept for accounting), or given its cost where OpenRouter's
// usage accounting asked; reasoning left out of the deltas where the client excluded it
// (exclude-reasoning.ts); and one end report however the stream ends (completed, failed, or the
// client gone: 499), with the answer's tokens estimated from what was streamed for when the
// upstream reports no usage (it broke off, or ignores `stream_options.include_usage`).
import { RAW_JSON, type ChatChunk, type PassThroughChunk } from '../core/wire-types.js';
import type { StoredReceipt } from '../routing/receipt.js';
import { MAX_REPLY_BYTES } from '../config/deployment-schema.js';
import { reportedUsage, usageCounts, type UsageCounts } from './cost.js';
import type { ChunkCollector } from './answer-chunks.js';
import { abortedCall, streamFailure } from './attempt-records.js';
import { callStopped } from './call-stop.js';
import type { ExecutionResult } from './execute-with-failover.js';
import type { ChatCall } from './gateway-types.js';
import { modelSelectionDetails } from './router-controls.js';
import { chunkWithoutReasoning, excludesReasoning } from './exclude-reasoning.js';
import { mergePromptResults } from '../policy/filters/azure-results.js';
import { outputChars } from '../core/output-chars.js';
import { hasQuoted } from '../core/has-quoted.js';

/** How a tracked stream ended: its status, the usage the upstream reported, the text if kept. */
export interface StreamEnd {
  status: number;
  errorCode?: string;
  usage?: UsageCounts;
  /** The answer's tokens as estimated from the chunks streamed (for when `usage` is missing). */
  estimatedCompletionTokens: number;
  text?: string;
}

/**
 * Completion tokens from what was streamed: ≈4 characters a token over the parsed chunks' text
 * (as prompts are estimated, core/prompt-text.ts), and one token per pass-through delta (left
 * unparsed on purpose; an upstream streams about a token per chunk).
 */
export function estimateStreamedTokens(chars: number, unparsedDeltas: number): number {
  return Math.ceil(chars / 4) + unparsedDeltas;
}

/** The characters of a parsed chunk's output, over its choices' deltas (core/output-chars.ts). */
function chunkOutputChars(chunk: ChatChunk): number {
  let n = 0;
  for (const c of chunk.choices) n += outputChars(c.delta);
  return n;
}

/**
 * Wraps the upstream stream: yields the peeked first chunk, then the rest; drops the usage
 * chunk the client did not ask for; calls `onEnd` once however it ends, after the upstream read
 * is released.
 */
export async function* trackStream(
  result: Extract<ExecutionResult, { kind: 'stream' }>,
  call: ChatCall,
  opts: {
    promptFilterResults?: unknown[];
    controls?: StoredReceipt;
    storeText: boolean;
    /**
     * Characters of answer kept for the request log's text and the answer cache at most (the
     * deployment's `maxReplyBytes`, a JSON reply's bound): past it the text is cut, said so at
     * its end, and the answer is not cached (fault audit F10, 2026-12-06: a 300 MB stream took
     * 1.3 GB of memory and a 100 MB row).
     */
    keepChars?: number;
    /** Sees every upstream chunk as it came (the answer cache keeps the whole answer). */
    collector?: ChunkCollector;
    /** OpenRouter's usage accounting (`usage: {include: true}`): the usage chunk is sent, with
     * `cost`, the answer's cost in USD from this usage. */
    costOf?: (usage: UsageCounts) => number;
    onEnd(end: StreamEnd): void;
  },
): AsyncGenerator<ChatChunk> {
  const hideReasoning = excludesReasoning(call.request);
  const clientWantsUsage =
    call.request.stream_options?.include_usage === true || opts.costOf !== undefined;
  let usage: UsageCounts | undefined;
  let text = '';
  const keepChars = opts.keepChars ?? MAX_REPLY_BYTES;
  /** The answer is still within `keepChars`: its text and chunks are kept. */
  let kept = true;
  let status = 200;
  let errorCode: string | undefined;
  let first = true;
  let completed = false;
  let failure: unknown;
  let chars = 0;
  let unparsedDeltas = 0;
  try {
    let chunk = result.first;
    while (chunk) {
      if (kept) opts.collector?.add(chunk);
      const raw = (chunk as Partial<PassThroughChunk>)[RAW_JSON];
      // An unparsed delta is a token unless it is the empty delta that carries the finish reason.
      // Counted before excluded reasoning is taken out: the upstream wrote it and bills it.
      if (raw === undefined) chars += chunkOutputChars(chunk);
      else if (!hasQuoted(raw, 'delta":{}')) unparsedDeltas++;
      if (hideReasoning) chunk = chunkWithoutReasoning(chunk);
      // A usage whose counts are no counts is none: the answer is estimated (fault audit F1).
      if (chunk.usage && reportedUsage(chunk.usage)) {
        usage = usageCounts(chunk.usage);
        if (opts.costOf)
          chunk.usage = { ...chunk.usage, cost: opts.costOf(usage) } as ChatChunk['usage'];
      }
      if (first) {
        first = false;
        if (opts.promptFilterResults)
          chunk.prompt_filter_results = mergePromptResults(
            chunk.prompt_filter_results,
            opts.promptFilterResults,
          );
        if (opts.controls) chunk.model_selection_details = modelSelectionDetails(opts.controls);
      }
      if (opts.storeText && kept) for (const c of chunk.choices) text += c.delta?.content ?? '';
      if (kept && chars > keepChars) {
        kept = false;
        opts.collector?.giveUp();
        if (opts.storeText)
          text = `${text.slice(0, keepChars)}\n[cut: the answer is longer than ${keepChars} characters]`;
      }
      // A usage-only chunk the client did not ask for is dropped; usage is kept for accounting.
      const usageOnly = chunk.choices.length === 0 && !!chunk.usage && !chunk.prompt_filter_results;
      if (clientWantsUsage || !usageOnly) {
        if (!clientWantsUsage && 'usage' in chunk) delete (chunk as { usage?: unknown }).usage;
        yield chunk;
      }
      const r = await result.next();
      chunk = r.done ? undefined : r.value;
    }
    completed = true;
  } catch (err) {
    failure = err;
    ({ status, code: errorCode } = streamFailure(err));
    throw err;
  } finally {
    result.end(completed, failure);
    // A client that left is its 499, whether the stream then stopped quietly or the upstream
    // read it aborted failed (that failure is not the deployment's: as a 502 it showed in the
    // deployment's error rate). A stop with a reason of its own (a background run's cancel, the
    // router shutting down) is logged as that.
    if (callStopped(call)) {
      const why = abortedCall(call.signal, []);
      status = why.status;
      errorCode = why.code ?? undefined;
    }
    opts.onEnd({
      status,
      errorCode,
      usage,
      estimatedCompletionTokens: estimateStreamedTokens(chars, unparsedDeltas),
      text: opts.storeText ? text : undefined,
    });
  }
}
