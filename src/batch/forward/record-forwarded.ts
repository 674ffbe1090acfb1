// The request-log record of a forwarded batch line, written when its upstream batch ends: as a
// live line's (tags `batch`, `batch:<id>`, the plan's router, mode and decision, the model that
// served), costed at the deployment's prices less its Batch API discount, with the baseline at
// the top deployment's list prices as usual (so the discount shows as savings). Its spend is
// settled with the budgets as a live answer's is (not with the deployment's live TPM limit).
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { Clock } from '../../core/clock.js';
import type { ChatUsage } from '../../core/wire-types.js';
import { accountUsage, answerUsageCounts, noteFilterCalls } from '../../gateway/cost.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatResponse } from '../../core/wire-types.js';
import type {
  AdmitContext,
  AuthContext,
  ChatCall,
  GatewayPolicies,
  Target,
} from '../../gateway/gateway-types.js';
import {
  newRequestRecord,
  type AttemptRecord,
  type RequestRecord,
  type RequestRecorder,
} from '../../store/request-record.js';
import { newId } from '../../core/ids.js';
import type { CarriedLine, ForwardedLine, ForwardGroup } from './forward-doc.js';

export interface ForwardRecordDeps {
  clock: Clock;
  recorder: RequestRecorder;
  policies?: GatewayPolicies;
}

/** The token prices a Batch API discounts. */
const TOKEN_PRICES = [
  'inputPer1M',
  'outputPer1M',
  'cachedInputPer1M',
  'cacheWriteInputPer1M',
  'cacheWrite1hInputPer1M',
] as const;

/**
 * `d` as its Batch API bills: every token price less `batchApi.discount`; the rest (a web
 * search's price, which the providers' batch discounts do not cover) as it is.
 */
export function discountedPrices(d: DeploymentConfig): Pick<DeploymentConfig, 'prices'> {
  const factor = 1 - (d.batchApi?.discount ?? 0);
  const prices = { ...d.prices };
  for (const key of TOKEN_PRICES) {
    const price = d.prices[key];
    if (price !== undefined) prices[key] = price * factor;
  }
  return { prices };
}

/**
 * The admission context a forwarded line's policies see (its creator, tags, deployment: none for
 * a line that ended unrun where its deployment left the config; settling reads no target).
 */
function forwardedContext(
  auth: AuthContext,
  line: Pick<ForwardedLine, 'tags' | 'endUser' | 'promptTokens'>,
  deployment: DeploymentConfig | undefined,
): AdmitContext {
  const call = {
    auth,
    ...(line.tags || line.endUser
      ? { attribution: { tags: line.tags, endUser: line.endUser } }
      : {}),
  } as unknown as ChatCall;
  const target = (deployment ? { kind: 'deployment', deployment } : undefined) as Target;
  return { call, target, promptTokens: line.promptTokens };
}

/**
 * A forwarded answer through the output content filter, as a live answer goes: the answer it
 * lets through (maybe redacted), or the error it stops it with (status and OpenAI envelope), and
 * the calls it made at a priced moderation deployment (`filterCalls`, for the line's record).
 */
export async function filterForwardedAnswer(
  policies: GatewayPolicies | undefined,
  auth: AuthContext,
  line: ForwardedLine,
  deployment: DeploymentConfig,
  answer: { status: number; body: unknown },
): Promise<{ status: number; body: unknown; filterCalls?: AttemptRecord[] }> {
  const ok = answer.status >= 200 && answer.status < 300;
  if (!ok || !policies?.filterOutput || typeof answer.body !== 'object' || answer.body === null)
    return answer;
  const ctx = forwardedContext(auth, line, deployment);
  try {
    return {
      status: answer.status,
      body: await policies.filterOutput(answer.body as ChatResponse, ctx),
      filterCalls: ctx.filterCalls,
    };
  } catch (err) {
    const e = err instanceof GatewayError ? err : undefined;
    return {
      status: e?.status ?? 500,
      body: e?.toEnvelope() ?? { error: { message: (err as Error).message, type: 'server_error' } },
      filterCalls: ctx.filterCalls,
    };
  }
}

/** A held line's record as planned: its creator, attribution and routing decision. */
function lineRecord(
  owner: { tenant: string; keyId?: string },
  line: Partial<ForwardedLine>,
  time: number,
  requestId: string,
): RequestRecord {
  const record = newRequestRecord({
    time,
    requestId,
    endpoint: 'chat',
    tenant: owner.tenant,
    keyId: owner.keyId,
    stream: false,
    endUser: line.endUser,
    tags: line.tags,
  });
  record.router = line.router;
  record.routingMode = line.routingMode;
  record.routerVersion = line.routerVersion;
  record.decisionId = line.decisionId;
  record.promptTokens = line.promptTokens ?? 0;
  return record;
}

/** Records one forwarded line's answer (`status`, JSON `body`); `auth`: its creator, to settle. */
export function recordForwardedLine(
  deps: ForwardRecordDeps,
  args: {
    tenant: string;
    keyId?: string;
    auth?: AuthContext;
    group: ForwardGroup;
    line: ForwardedLine;
    deployment: DeploymentConfig;
    top: DeploymentConfig;
    status: number;
    body: unknown;
    /**
     * The output content filter's calls at a priced moderation deployment on the answer
     * (filterForwardedAnswer): part of the line's cost, counted there (before 2026-12-06, nowhere).
     */
    filterCalls?: AttemptRecord[];
  },
): void {
  const { line, deployment, status } = args;
  const record = lineRecord(args, line, args.group.submittedAt, line.requestId);
  // The router's count, until the line's answer reports its usage (a failed line keeps it).
  record.usageEstimated = line.promptTokens > 0;
  record.deployment = deployment.name;
  record.region = deployment.region;
  record.dataZone = deployment.dataZone;
  const body = (typeof args.body === 'object' && args.body !== null ? args.body : {}) as {
    model?: unknown;
    usage?: ChatUsage;
    choices?: unknown[];
  };
  const model = typeof body.model === 'string' ? body.model : deployment.model;
  const latencyMs = Math.max(0, deps.clock.now() - args.group.submittedAt);
  const ok = status >= 200 && status < 300;
  record.attempts = [
    {
      deployment: deployment.name,
      model,
      outcome: ok ? 'ok' : 'error',
      ...(ok ? {} : { httpStatus: status }),
      latencyMs,
    },
  ];
  if (ok) {
    record.servedModel = model;
    accountUsage(
      record,
      { ...deployment, ...discountedPrices(deployment) },
      args.top,
      answerUsageCounts(body),
    );
  }
  // The filter's calls on the prompt when the line was held, then on the answer (a copy: the
  // doc's stay as they are).
  noteFilterCalls(record, [...(line.filterCalls ?? []), ...(args.filterCalls ?? [])]);
  record.status = status;
  if (!ok) record.errorCode = `upstream_${status}`;
  record.latencyMs = latencyMs;
  if (args.auth && deps.policies?.settle) {
    // Budgets only: a Batch API has its own quota, so the deployment's live TPM is not charged
    // (no attempt consumed it either).
    const { rateLimit: _live, ...budgeted } = deployment;
    deps.policies.settle(forwardedContext(args.auth, line, deployment), {
      deployment: budgeted as DeploymentConfig,
      ...(body.usage ? { usage: body.usage } : {}),
      costUsd: record.costUsd,
      status,
      attempts: record.attempts,
    });
  }
  deps.recorder.record(record);
}

/**
 * The record of a held line that ended unrun (its batch cancelled: 499, or expired: 504, with the
 * error file's code) and whose prompt the content filter checked at a priced moderation deployment
 * when it was held: those calls are its cost, settled with the budgets as a live line's are (the
 * moderation deployment's, and its creator's key and tenant), since no run will count them. Lines
 * that end unrun with no such cost have no record. Returns the record's request id (the line's
 * planned one, for the error file's line).
 */
export function recordUnrunLine(
  deps: ForwardRecordDeps,
  args: {
    tenant: string;
    keyId?: string;
    auth?: AuthContext;
    line: CarriedLine;
    /** The line's savings baseline, if still in the config: its context's target. */
    deployment?: DeploymentConfig;
    ending: 'cancelled' | 'expired';
  },
): string {
  const { line } = args;
  const record = lineRecord(args, line, deps.clock.now(), line.requestId ?? newId('batch_req_'));
  noteFilterCalls(record, [...line.filterCalls]);
  record.status = args.ending === 'expired' ? 504 : 499;
  record.errorCode = args.ending === 'expired' ? 'batch_expired' : 'batch_cancelled';
  if (args.auth && deps.policies?.settle)
    deps.policies.settle(
      forwardedContext(args.auth, { ...line, promptTokens: record.promptTokens }, args.deployment),
      { costUsd: record.costUsd, status: record.status, attempts: record.attempts },
    );
  deps.recorder.record(record);
  return record.requestId;
}
