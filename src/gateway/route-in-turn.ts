// Trying a request's targets in turn: `model`'s, then OpenRouter-style `models` fallbacks. Each is
// planned (plan-route.ts) and called with failover (execute-with-failover.ts, through the
// gateway's `ExecuteTarget`); the next target is tried only when one could not serve.
import type { RoutingMode } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { GatewayError } from '../core/errors.js';
import type { RequestRecord } from '../store/request-record.js';
import type { ExecutionResult } from './execute-with-failover.js';
import { targetName, type BatchForwardOffer, type ChatCall } from './gateway-types.js';
import { holdForBatch } from './hold-for-batch.js';
import { tagAttempts, type NamedTarget, type RoutedTo } from './model-fallbacks.js';
import {
  notePlan,
  planRoute,
  retryWhenPassedOverFree,
  type PlanDeps,
  type RoutePlan,
  type TargetTried,
} from './plan-route.js';
import { NoHeadroom } from './wait-for-headroom.js';
import type { RequestTiming } from './request-timing.js';

/**
 * Calls the planned deployments in order, failing over before the first byte (the gateway's);
 * the waits on upstream calls go to `timing` (the request's overhead).
 */
export type ExecuteTarget = (
  snapshot: RuntimeConfig,
  call: ChatCall,
  ordered: DeploymentConfig[],
  promptTokens: number,
  record: RequestRecord,
  timing?: RequestTiming,
) => Promise<ExecutionResult>;

/**
 * Plans and calls each target in turn (`model`'s, then the `models` fallbacks): the next is
 * tried when one cannot serve (planning finds none eligible, or every call failed retryably
 * before the first byte); any other failure is the answer. With fallbacks, each attempt names
 * its target, and a target that planned none is a skipped attempt named after it.
 */
export async function routeInTurn(
  planDeps: PlanDeps,
  execute: ExecuteTarget,
  snapshot: RuntimeConfig,
  call: ChatCall,
  targets: readonly NamedTarget[],
  promptTokens: number,
  opts: {
    mode: RoutingMode | undefined;
    record: RequestRecord;
    timing?: RequestTiming;
    offer?: BatchForwardOffer;
    /** Told each plan's pick before it is called (budget reservations narrow to it). */
    onPick?: (pick: DeploymentConfig) => void;
  },
): Promise<RoutedTo> {
  const { mode, record } = opts;
  const tried: TargetTried[] = [];
  let lastError: unknown;
  /** The latest router decision made for the request, which its error names if none serves. */
  let decisionId: string | undefined;
  for (const named of targets) {
    const name = targetName(named.target);
    const from = record.attempts.length;
    let plan: RoutePlan | undefined;
    try {
      plan = planRoute(planDeps, snapshot, call, named.target, promptTokens, mode, opts.offer);
      notePlan(record, plan);
      decisionId = plan.receipt?.id ?? decisionId;
      const held = holdForBatch(opts.offer, plan, call, promptTokens, record);
      if (held) return { held };
      if (plan.ordered[0]) opts.onPick?.(plan.ordered[0]);
      const result = await execute(snapshot, call, plan.ordered, promptTokens, record, opts.timing);
      tagAttempts(record, from, name, targets.length);
      return { plan, result, served: named, tried };
    } catch (err) {
      tagAttempts(record, from, name, targets.length);
      if (plan) retryWhenPassedOverFree(err, plan, planDeps, snapshot);
      // The receipt lists the calls that failed too, whether or not a fallback follows (before,
      // a request with one target, the usual case, had a receipt of no attempts: providers
      // audit F3, 2026-12-06).
      if (plan?.receipt) plan.receipt.attempts = record.attempts.slice(from);
      const planned = plan !== undefined;
      if (targets.length === 1 || !(err instanceof GatewayError)) throw err;
      // Called and failed for good (a 4xx, a client gone): no fallback serves it instead.
      if (planned && !err.retryable && !(err instanceof NoHeadroom) && err.status !== 503)
        throw err;
      if (!planned)
        record.attempts.push({
          deployment: name,
          model: name,
          outcome: 'skipped',
          errorCode: err.code ?? undefined,
          errorMessage: err.message.slice(0, 300),
          latencyMs: 0,
          target: name,
        });
      if (plan?.receipt) plan.receipt.attempts = record.attempts.slice(from);
      tried.push({ name, code: err.code ?? String(err.status) });
      lastError = err;
    }
  }
  // None served: the error says which targets were tried and why, and the decision of a router
  // among them, as a served reply does (fault audit F7: it said neither unless the router was
  // the last entry).
  if (lastError instanceof GatewayError) {
    lastError.headers['x-router-targets-tried'] = tried
      .map((t) => `${t.name} (${t.code})`)
      .join(', ');
    record.decisionId ??= decisionId;
  }
  throw lastError;
}
