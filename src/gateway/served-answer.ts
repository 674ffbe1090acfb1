// A chat answer an upstream served, on its way to the client: the served model in the record and
// headers, usage and cost, the answer cache's copy (as the upstream answered, before filters),
// the prompt filter results and router controls, the output token stats, the policies' settle and
// the record's finish. JSON finishes at once; a stream when it ends (track-stream.ts).
// handleChat awaits a JSON answer's output filter between the two JSON steps, so a filter's error
// takes its catch and no promise is added per request.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import type { OutputTokenStats } from '../routing/output-token-stats.js';
import type { StoredReceipt } from '../routing/receipt.js';
import type { RequestRecord } from '../store/request-record.js';
import type { AnswerCache, CachePlan } from './answer-cache.js';
import { ChunkCollector } from './answer-chunks.js';
import { answerText } from './answer-from-cache.js';
import {
  accountUsage,
  answerUsageCounts,
  attemptsCostUsd,
  costUsd,
  filterCallsCostUsd,
  noteFilterCalls,
  reportedUsage,
  usageCounts,
  withWebSearches,
  type UsageCounts,
} from './cost.js';
import type { ExecutionResult } from './execute-with-failover.js';
import { abortedCall } from './attempt-records.js';
import { callStopped } from './call-stop.js';
import { finishRecord, markRecorded, type RecordDeps } from './finish-record.js';
import type { AdmitContext, ChatOutcome, GatewayPolicies } from './gateway-types.js';
import { modelSelectionDetails } from './router-controls.js';
import type { SemanticLookup } from './semantic-cache.js';
import { trackStream, type StreamEnd } from './track-stream.js';
import { excludesReasoning, withoutReasoning } from './exclude-reasoning.js';
import { mergePromptResults } from '../policy/filters/azure-results.js';
import { overheadHeader, type RequestTiming } from './request-timing.js';

/** The gateway's parts a served answer uses (built once per gateway, not per request). */
export interface AnswerDeps extends RecordDeps {
  answerCache?: AnswerCache;
  policies?: GatewayPolicies;
  /** What each deployment really writes, learned from its answers. */
  outputTokens: OutputTokenStats;
}

/** One served request, as handleChat knows it once the upstream answered (one object a request). */
export interface ServedRequest {
  admit: AdmitContext;
  record: RequestRecord;
  /** When it was taken up, and its waits on the upstream and the client (its overhead apart). */
  timing: RequestTiming;
  /** The router's top deployment (the baseline cost's), else the one that served. */
  top: DeploymentConfig;
  headers: Record<string, string>;
  /** The decision's receipt, when the client asked for Foundry's router controls. */
  controls: StoredReceipt | undefined;
  cachePlan: CachePlan | undefined;
  semantic: SemanticLookup | undefined;
  promptFilterResults: unknown[] | undefined;
  storeText: boolean;
}

/**
 * A JSON answer before the output filters: recorded, accounted, kept in the answer cache as the
 * upstream answered (the filters run again on a hit), and given the prompt filter results.
 */
export function keepJsonAnswer(
  deps: AnswerDeps,
  served: ServedRequest,
  result: Extract<ExecutionResult, { kind: 'json' }>,
): ChatResponse {
  const { record, headers, cachePlan, semantic } = served;
  const response = result.response;
  record.servedModel = response.model;
  headers['x-router-model'] = response.model;
  // Without `usage` in the answer, its tokens are the router's estimate (record.usageEstimated).
  const usage = answerUsageCounts(response);
  const request = served.admit.call.request;
  accountUsage(
    record,
    result.deployment,
    served.top,
    withWebSearches(usage, request, result.deployment),
    semantic,
  );
  // A usage whose counts are no counts (fault audit F1) is the router's estimate to the client too.
  if (response.usage && !reportedUsage(response.usage)) response.usage = accountedUsage(record);
  if (cachePlan) {
    headers['x-router-cache'] = record.cache ?? 'miss';
    const kept = deps.answerCache?.keep(cachePlan, {
      deployment: result.deployment.name,
      baselineCostUsd: record.baselineCostUsd,
      response,
    });
    if (kept) semantic?.remember();
  }
  if (served.promptFilterResults)
    response.prompt_filter_results = mergePromptResults(
      response.prompt_filter_results,
      served.promptFilterResults,
    );
  return response;
}

/** A JSON answer after the output filters: router controls, stats, text, settle and finish. */
export function sendJsonAnswer(
  deps: AnswerDeps,
  served: ServedRequest,
  result: Extract<ExecutionResult, { kind: 'json' }>,
  response: ChatResponse,
): ChatOutcome {
  const { record } = served;
  noteFilterCalls(record, served.admit.filterCalls); // the content filter's, prompt and answer
  if (callStopped(served.admit.call)) throw clientLeftJson(deps, served, result, response);
  if (excludesReasoning(served.admit.call.request)) response = withoutReasoning(response);
  if (served.controls) response.model_selection_details = modelSelectionDetails(served.controls);
  if (response.usage) deps.outputTokens.observe(result.deployment.name, record.completionTokens);
  // OpenRouter's usage accounting (`usage: {include: true}`): the answer's cost in USD.
  if (asksUsageCost(served.admit.call.request) && response.usage)
    response.usage = { ...response.usage, cost: record.costUsd } as ChatResponse['usage'];
  if (served.storeText) record.answerText = answerText(response);
  deps.policies?.settle?.(served.admit, {
    deployment: result.deployment,
    // Without the upstream's usage, the tokens as accounted (estimated), as a stream's are.
    usage: reportedUsage(response.usage) ?? accountedUsage(record),
    costUsd: record.costUsd,
    status: 200,
    attempts: record.attempts,
  });
  finishRecord(deps, record, served.timing, 200);
  served.headers['x-router-overhead-ms'] = overheadHeader(record.overheadMicros!);
  return { kind: 'json', response, headers: served.headers, promptTokens: record.promptTokens };
}

/**
 * A JSON answer whose client left before it went out (while the output filter checked it, which
 * stopped its checks then: content-filter.ts): nothing is sent or kept, and the request is
 * settled and recorded at once as a stream whose client left is (499, or a stop's own reason),
 * with the answer's cost and each call made. Returns the error to throw, marked recorded. Until
 * 2026-12-07 the checks ran on (up to the moderation timeout) and the request was recorded 200.
 */
function clientLeftJson(
  deps: AnswerDeps,
  served: ServedRequest,
  result: Extract<ExecutionResult, { kind: 'json' }>,
  response: ChatResponse,
): Error {
  const { record, admit } = served;
  const why = abortedCall(admit.call.signal, []);
  deps.policies?.settle?.(admit, {
    deployment: result.deployment,
    usage: reportedUsage(response.usage) ?? accountedUsage(record),
    costUsd: record.costUsd,
    status: why.status,
    attempts: record.attempts,
  });
  finishRecord(deps, record, served.timing, why.status, why.code ?? undefined);
  return markRecorded(why);
}

/**
 * A streamed answer: recorded with its time to first token, then tracked to its end, where it is
 * accounted, kept whole in the answer cache if it completed, settled and finished.
 */
export function streamAnswer(
  deps: AnswerDeps,
  served: ServedRequest,
  result: Extract<ExecutionResult, { kind: 'stream' }>,
): ChatOutcome {
  const { record, headers, cachePlan, admit } = served;
  record.servedModel = result.model;
  headers['x-router-model'] = result.model;
  record.ttftMs = result.firstChunkAt - served.timing.startedPerf;
  if (cachePlan) headers['x-router-cache'] = record.cache ?? 'miss';
  const collector = cachePlan?.write ? new ChunkCollector() : undefined;
  // As accountUsage will cost it at the end.
  const costOf = asksUsageCost(admit.call.request)
    ? (u: UsageCounts) =>
        costUsd(result.deployment, {
          ...withWebSearches(u, admit.call.request, result.deployment),
          promptTokens: u.promptTokens || record.promptTokens,
        }) +
        (served.semantic?.costUsd ?? 0) +
        attemptsCostUsd(record.attempts) +
        filterCallsCostUsd(admit.filterCalls ?? [])
    : undefined;
  const stream = trackStream(result, admit.call, {
    promptFilterResults: served.promptFilterResults,
    controls: served.controls,
    storeText: served.storeText,
    keepChars: result.deployment.maxReplyBytes,
    collector,
    ...(costOf ? { costOf } : {}),
    onEnd: (end) => {
      ended = end;
      if (!filtering || filterDone) finish(end);
    },
  });
  // With the content filter on the answer, the request is accounted once its filtered stream is
  // over too: its last checks (the one a finish waits for, or that of a stream with no finish)
  // run after the upstream's end, and their moderation calls are part of its cost (until
  // 2026-12-06 they came after it was settled and counted nowhere).
  const filtered = deps.policies?.filterStream ? deps.policies.filterStream(stream, admit) : stream;
  const filtering = filtered !== stream;
  let filterDone = false;
  let ended: StreamEnd | undefined;
  let finished = false;
  const chunks = filtering
    ? (async function* () {
        try {
          yield* costOf ? costedAtTheEnd(filtered, costOf) : filtered;
        } finally {
          filterDone = true;
          if (ended) finish(ended);
        }
      })()
    : stream;
  // The headers go out before the stream's end: they carry the overhead before its first byte.
  headers['x-router-overhead-ms'] = overheadHeader(
    served.timing.overheadMicros(deps.clock.perfNow(), record.queuedMs),
  );
  return {
    kind: 'stream',
    chunks,
    headers,
    promptTokens: record.promptTokens,
    timing: served.timing,
  };

  /** The request's end: accounted, kept in the answer cache when whole, settled, recorded. */
  function finish({ status, errorCode, usage, estimatedCompletionTokens, text }: StreamEnd) {
    if (finished) return;
    finished = true;
    accountUsage(
      record,
      result.deployment,
      served.top,
      // No usage from the upstream (it broke off mid-stream, or ignores `include_usage`): the
      // tokens the client got, estimated, are still paid for, counted and charged to limits.
      withWebSearches(
        usage ?? {
          promptTokens: record.promptTokens,
          cachedTokens: 0,
          completionTokens: estimatedCompletionTokens,
          reasoningTokens: 0,
          estimated: true,
        },
        admit.call.request,
        result.deployment,
      ),
      served.semantic,
    );
    // The content filter's calls on the prompt and, as the stream went, on the answer.
    noteFilterCalls(record, admit.filterCalls);
    if (usage && status === 200)
      deps.outputTokens.observe(result.deployment.name, usage.completionTokens);
    const whole = status === 200 ? collector?.response() : undefined;
    if (
      cachePlan &&
      whole &&
      deps.answerCache?.keep(cachePlan, {
        deployment: result.deployment.name,
        baselineCostUsd: record.baselineCostUsd,
        response: whole,
      })
    )
      served.semantic?.remember();
    if (text !== undefined) record.answerText = text;
    deps.policies?.settle?.(admit, {
      deployment: result.deployment,
      // The stream's usage, as accounted: TPM limits are corrected with real tokens here too.
      usage: accountedUsage(record),
      costUsd: record.costUsd,
      status,
      attempts: record.attempts,
    });
    finishRecord(deps, record, served.timing, status, errorCode);
  }
}

/**
 * The usage chunks as the filter lets them out, costed again: the filter holds the usage until
 * its checks on the answer are done (moderation-stream.ts), so the cost then counts their calls,
 * as the record will (trackStream costed it as it came from the upstream, before them).
 */
async function* costedAtTheEnd(
  chunks: AsyncIterable<ChatChunk>,
  costOf: (usage: UsageCounts) => number,
): AsyncGenerator<ChatChunk> {
  for await (const chunk of chunks) {
    if (chunk.usage && reportedUsage(chunk.usage))
      chunk.usage = {
        ...chunk.usage,
        cost: costOf(usageCounts(chunk.usage)),
      } as ChatChunk['usage'];
    yield chunk;
  }
}

/** The record's tokens as a usage object, for the policies' settle. */
function accountedUsage(record: RequestRecord): NonNullable<ChatResponse['usage']> {
  return {
    prompt_tokens: record.promptTokens,
    completion_tokens: record.completionTokens,
    total_tokens: record.promptTokens + record.completionTokens,
  };
}

/** Whether the request asked for OpenRouter's usage accounting (`usage: {include: true}`). */
export function asksUsageCost(request: ChatRequest): boolean {
  return (request as { usage?: { include?: unknown } }).usage?.include === true;
}
