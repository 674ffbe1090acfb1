// A request's record in the request log, the gateway's side of it: opened as the request comes
// in, finished once with its status and latency and queued to the batched log writer. Chat,
// embeddings and moderations share the two ends; what each writes in between is its own.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import {
  newRequestRecord,
  type RequestRecord,
  type RequestRecorder,
} from '../store/request-record.js';
import { attemptsCostUsd, filterCallsCostUsd } from './cost.js';
import type { AdmitContext, ChatCall, Endpoint, GatewayPolicies } from './gateway-types.js';
import type { RequestTiming } from './request-timing.js';

/** What finishing a record needs: the clock its latency is read on, and the log writer. */
export interface RecordDeps {
  clock: Clock;
  recorder: RequestRecorder;
}

/** A record for a request that has just come in (its time is now). */
export function openRecord(
  clock: Clock,
  call: Pick<ChatCall, 'requestId' | 'auth' | 'attribution'>,
  endpoint: Endpoint,
  stream: boolean,
): RequestRecord {
  return newRequestRecord({
    time: clock.now(),
    requestId: call.requestId,
    endpoint,
    tenant: call.auth.tenant,
    keyId: call.auth.keyId,
    endUser: call.attribution?.endUser,
    tags: call.attribution?.tags,
    stream,
  });
}

/**
 * The record's end: its status and latency, then queued. Called once a request, however it ends.
 * `started` is when it was taken up (perfNow), or a chat request's timing: then its overhead too
 * (request-timing.ts), read at the same instant as its latency.
 */
export function finishRecord(
  deps: RecordDeps,
  record: RequestRecord,
  started: number | RequestTiming,
  status: number,
  errorCode?: string,
): void {
  const now = deps.clock.perfNow();
  record.status = status;
  record.errorCode = errorCode;
  if (typeof started === 'number') record.latencyMs = now - started;
  else {
    record.latencyMs = now - started.startedPerf;
    record.overheadMicros = started.overheadMicros(now, record.queuedMs);
  }
  deps.recorder.record(record);
}

/** Set on an error whose request is in the log already (see wasRecorded). */
const RECORDED = Symbol('model-router.recorded');

/**
 * Whether `err` was thrown by a request whose record was finished with it: the HTTP layer counts
 * the errors it answers that were not (refused before a record was opened: bad JSON, a missing
 * field, an unknown key), so each request is counted once.
 */
export function wasRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && RECORDED in err;
}

/** `err`, marked as the error of a request whose record was finished with it (wasRecorded). */
export function markRecorded<E extends object>(err: E): E {
  if (!(RECORDED in err)) Object.defineProperty(err, RECORDED, { value: true, enumerable: false });
  return err;
}

/**
 * A request (chat, embeddings, moderation) that failed before its answer went out (its attempts
 * are in the record already): what the policies settle (`costUsd`: a semantic lookup's embedding
 * call, paid for whatever became of the request), and its status.
 */
export function finishFailedRequest(
  deps: RecordDeps & { policies?: GatewayPolicies },
  record: RequestRecord,
  started: number | RequestTiming,
  err: unknown,
  admit: AdmitContext | undefined,
  costUsd: number,
  /** The deployment `costUsd` was spent on, whose own budget it counts against too. */
  deployment?: DeploymentConfig,
): void {
  const e = err instanceof GatewayError ? err : undefined;
  if (typeof err === 'object' && err !== null) markRecorded(err);
  // Refused before any upstream was called (a rate limit, a budget, the content filter, no
  // eligible deployment): no tokens were used, and none are estimated. Before 2026-12-06 the
  // router's count of the prompt stayed, flagged estimated, so a 429 storm added tokens to the
  // usage summary and tripped an alert meant for a deployment that stopped reporting usage
  // (observability audit F6).
  // A request that failed at a deployment names it (the last one called): its error is that
  // deployment's in the usage summary by deployment and in the metrics, and an upstream's 400 is
  // not in the series of requests refused as invalid (`deployment=""`). Before 2026-12-06 a failed
  // request named none (observability audit F2).
  // A semantic lookup's embedding call is no chat attempt: it names no deployment here.
  const called = record.attempts.findLast((a) => a.outcome !== 'skipped' && !a.lookup);
  if (!called) {
    record.promptTokens = 0;
    record.cachedTokens = 0;
    // The content filter's priced moderation calls are still estimated (no usage in their reply).
    record.usageEstimated = filterCallsCostUsd(record.attempts) > 0;
  } else record.deployment ||= called.deployment;
  if (admit)
    deps.policies?.settle?.(admit, {
      deployment,
      costUsd,
      status: e?.status ?? 500,
      attempts: record.attempts,
    });
  finishRecord(deps, record, started, e?.status ?? 500, e?.code ?? 'internal_error');
}

/**
 * A request that got no answer (or, called by name, got it from a later member) has still spent
 * what its upstreams billed for the attempts that had the prompt when they stopped (the client left, a background run was cancelled or stopped
 * by a shutdown, the router's own deadline passed), which the router cannot know: at least each
 * one's `costUsd` (its prompt at that deployment, estimated). Added to the record with the same
 * baseline (no savings claimed for an answer never given) and `usageEstimated`. Returns what was
 * added.
 */
export function chargeUnansweredAttempts(record: RequestRecord): number {
  const costUsd = attemptsCostUsd(record.attempts);
  if (costUsd === 0) return 0;
  record.costUsd += costUsd;
  record.baselineCostUsd += costUsd;
  record.usageEstimated = true;
  return costUsd;
}
