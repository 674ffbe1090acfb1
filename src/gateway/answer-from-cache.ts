// A chat request answered from the answer cache, an exact or a semantic hit: the record, the
// headers, the output filters again, and JSON or the kept answer replayed as a stream.
import { excludesReasoning, withoutReasoning } from './exclude-reasoning.js';
import type { RoutingMode } from '../config/schema.js';
import type { ChatResponse } from '../core/wire-types.js';
import type { RequestRecord } from '../store/request-record.js';
import type { CacheHit } from './answer-cache.js';
import { replayChunks } from './answer-chunks.js';
import type { GatewayDeps } from './gateway-deps.js';
import {
  answerUsageCounts,
  filterCallsCostUsd,
  noteFilterCalls,
  noteLookupCall,
  recordTokens,
} from './cost.js';
import type { GatewayError } from '../core/errors.js';
import { abortedCall } from './attempt-records.js';
import { callStopped } from './call-stop.js';
import { finishRecord, markRecorded } from './finish-record.js';
import type { AdmitContext, ChatCall, ChatOutcome } from './gateway-types.js';
import { warningsHeader } from '../core/header-text.js';
import { asksUsageCost } from './served-answer.js';
import { overheadHeader, type RequestTiming } from './request-timing.js';

/**
 * Answers from the cache: no routing and no upstream call; the record says `hit` (or `semantic`),
 * costs nothing (a semantic hit: its embedding call) and saves what the answer cost on the top
 * model when it was kept. Output filters run again (their rules may have changed); a stream is the
 * kept answer replayed.
 */
export async function answerFromCache(
  deps: Pick<GatewayDeps, 'config' | 'clock' | 'recorder' | 'policies'>,
  hit: CacheHit,
  request: ChatCall['request'],
  admit: AdmitContext,
  ctx: {
    record: RequestRecord;
    mode: RoutingMode | undefined;
    headers?: Record<string, string>;
    warnings?: string[];
    promptFilterResults?: unknown[];
    /** When the request was taken up (no upstream call to wait on: its time is the router's). */
    timing: RequestTiming;
  },
): Promise<ChatOutcome> {
  const { record, timing } = ctx;
  const { answer, deployment: d, semantic } = hit;
  // Kept whole; given without its reasoning to a request that asks for none (exclude-reasoning.ts).
  const response = excludesReasoning(request) ? withoutReasoning(answer.response) : answer.response;
  record.cache = semantic ? 'semantic' : 'hit';
  record.deployment = d.name;
  record.region = d.region;
  record.dataZone = d.dataZone;
  record.servedModel = response.model;
  record.routingMode = ctx.mode;
  // The kept answer's usage (estimated, and said so, when it came without one), and a semantic
  // hit's embedding call (its cost estimated when the embedding upstream sent no usage). Counted
  // on the whole answer, excluded reasoning included, as the live request counted it (the
  // upstream wrote and billed it; before, a hit without usage was estimated short).
  recordTokens(record, answerUsageCounts(answer.response));
  if (semantic?.usageEstimated) record.usageEstimated = true;
  // An exact hit costs nothing; a semantic one its embedding call, at the embedding deployment.
  record.costUsd = semantic?.costUsd ?? 0;
  noteLookupCall(record, semantic?.call);
  noteFilterCalls(record, admit.filterCalls); // the content filter's on the prompt, so far
  record.baselineCostUsd = answer.baselineCostUsd;
  if (deps.config.current.config.requestLog.storeText) record.answerText = answerText(response);
  const headers: Record<string, string> = {
    ...(ctx.headers ?? {}),
    'x-router-cache': record.cache,
    ...(semantic ? { 'x-router-cache-similarity': semantic.similarity.toFixed(4) } : {}),
    age: String(hit.ageSeconds),
    'x-router-deployment': d.name,
    'x-router-region': d.region,
    'x-router-model': response.model,
    'x-router-attempts': '0',
    ...(ctx.mode ? { 'x-router-mode': ctx.mode } : {}),
    ...(ctx.warnings?.length ? { 'x-router-warnings': warningsHeader(ctx.warnings) } : {}),
  };
  const policies = deps.policies;
  // Settled once the output filter is done, with the content filter's moderation calls on the
  // prompt and the answer in the record (before 2026-12-06 settled before them, which counted
  // nowhere). No upstream tokens were used: the prompt's up-front TPM charge is handed back.
  const settle = (status = 200) => {
    noteFilterCalls(record, admit.filterCalls);
    policies?.settle?.(admit, {
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      costUsd: record.costUsd,
      status,
      attempts: record.attempts,
    });
  };
  if (request.stream !== true) {
    let out: ChatResponse = response;
    if (ctx.promptFilterResults && !out.prompt_filter_results)
      out.prompt_filter_results = ctx.promptFilterResults;
    // A client that left while the answer was checked stopped the checks (content-filter.ts):
    // nothing goes out; recorded at once as it left, each call made charged (served-answer.ts).
    let left: GatewayError | undefined;
    try {
      if (policies?.filterOutput) out = await policies.filterOutput(out, admit);
    } finally {
      left = callStopped(admit.call) ? abortedCall(admit.call.signal, []) : undefined;
      settle(left?.status);
    }
    if (left) {
      finishRecord(deps, record, timing, left.status, left.code ?? undefined);
      throw markRecorded(left);
    }
    // OpenRouter's usage accounting: a hit's cost too (0, or a semantic hit's embedding call), as
    // a fresh answer's (until 2026-12-06 a hit had no `cost`; observability audit F7).
    if (asksUsageCost(request) && out.usage)
      out = { ...out, usage: { ...out.usage, cost: record.costUsd } as ChatResponse['usage'] };
    finishRecord(deps, record, timing, 200);
    headers['x-router-overhead-ms'] = overheadHeader(record.overheadMicros!);
    return { kind: 'json', response: out, headers, promptTokens: record.promptTokens };
  }
  // The usage chunk when the client asked for usage or for its cost (usage: {include: true}),
  // as a fresh stream sends it (until 2026-12-07 a hit sent it for include_usage only).
  const costs = asksUsageCost(request);
  const chunks = replayChunks(response, request.stream_options?.include_usage === true || costs);
  if (ctx.promptFilterResults && chunks[0])
    chunks[0].prompt_filter_results = ctx.promptFilterResults;
  const replayedAt = deps.clock.perfNow();
  record.ttftMs = replayedAt - timing.startedPerf;
  headers['x-router-overhead-ms'] = overheadHeader(
    timing.overheadMicros(replayedAt, record.queuedMs),
  );
  const signal = admit.call.signal;
  const replayed = (async function* () {
    yield* chunks;
  })();
  const filtered = policies?.filterStream ? policies.filterStream(replayed, admit) : replayed;
  // Settled and recorded once the filtered stream is over, and the usage costed as it leaves:
  // the filter's checks on the answer end before it (moderation-stream.ts), so both count their
  // calls (until 2026-12-07 the usage was costed, and the request recorded, as the replay ended:
  // the answer's checks were left out of the cost the client was told).
  const out = (async function* () {
    try {
      for await (const c of filtered) {
        if (costs && c.usage)
          c.usage = {
            ...c.usage,
            cost: record.costUsd + filterCallsCostUsd(admit.filterCalls ?? []),
          } as ChatResponse['usage'];
        yield c;
      }
    } finally {
      settle();
      if (signal.aborted) finishRecord(deps, record, timing, 499, 'client_closed_request');
      else finishRecord(deps, record, timing, 200);
    }
  })();
  return {
    kind: 'stream',
    chunks: out,
    headers,
    promptTokens: record.promptTokens,
    timing,
  };
}

/** The answer's text as the request log stores it (`requestLog.storeText`). */
export function answerText(response: ChatResponse): string {
  return response.choices.map((c) => c.message?.content ?? '').join('\n');
}
