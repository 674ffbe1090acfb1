// A streamed answer on its way to the client: the peeked first chunk, then the rest, with the
// first chunk carrying the prompt filter results and router controls; the usage chunk the client
// did not ask for dropped (its usage kept for accounting), or given its cost where OpenRouter's
// usage accounting asked; and one end report however the stream ends (completed, failed, or the
// client gone: 499).
import { GatewayError } from '../core/errors.js';
import type { ChatChunk } from '../core/wire-types.js';
import type { StoredReceipt } from '../routing/receipt.js';
import { usageCounts, type UsageCounts } from './cost.js';
import type { ChunkCollector } from './answer-chunks.js';
import type { ExecutionResult } from './execute-with-failover.js';
import type { ChatCall } from './gateway-types.js';
import { modelSelectionDetails } from './router-controls.js';

/** How a tracked stream ended: its status, the usage the upstream reported, the text if kept. */
export interface StreamEnd {
  status: number;
  errorCode?: string;
  usage?: UsageCounts;
  text?: string;
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
    /** Sees every upstream chunk as it came (the answer cache keeps the whole answer). */
    collector?: ChunkCollector;
    /** OpenRouter's usage accounting (`usage: {include: true}`): the usage chunk is sent, with
     * `cost`, the answer's cost in USD from this usage. */
    costOf?: (usage: UsageCounts) => number;
    onEnd(end: StreamEnd): void;
  },
): AsyncGenerator<ChatChunk> {
  const clientWantsUsage =
    call.request.stream_options?.include_usage === true || opts.costOf !== undefined;
  let usage: UsageCounts | undefined;
  let text = '';
  let status = 200;
  let errorCode: string | undefined;
  let first = true;
  let completed = false;
  try {
    let chunk = result.first;
    while (chunk) {
      opts.collector?.add(chunk);
      if (chunk.usage) {
        usage = usageCounts(chunk.usage);
        if (opts.costOf)
          chunk.usage = { ...chunk.usage, cost: opts.costOf(usage) } as ChatChunk['usage'];
      }
      if (first) {
        first = false;
        if (opts.promptFilterResults && !chunk.prompt_filter_results)
          chunk.prompt_filter_results = opts.promptFilterResults;
        if (opts.controls) chunk.model_selection_details = modelSelectionDetails(opts.controls);
      }
      if (opts.storeText) for (const c of chunk.choices) text += c.delta?.content ?? '';
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
    status = err instanceof GatewayError ? err.status : 502;
    errorCode = err instanceof GatewayError ? (err.code ?? 'upstream_error') : 'stream_error';
    throw err;
  } finally {
    result.end(completed);
    // A client that left is its 499, whether the stream then stopped quietly or the upstream
    // read it aborted failed (that failure is not the deployment's: as a 502 it showed in the
    // deployment's error rate).
    if (call.signal.aborted) {
      status = 499;
      errorCode = 'client_closed_request';
    }
    opts.onEnd({ status, errorCode, usage, text: opts.storeText ? text : undefined });
  }
}
