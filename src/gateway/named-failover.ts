// The upstream part of a request for a model called by name, not routed (embeddings,
// moderations): which of the target's members may be called now (own budget left, circuit
// closed, not cooling down after an upstream 429), in the pool's order, and the calls, failing
// over on a retryable error. Apart from the gateways so that a request that may wait
// (wait-for-headroom.ts) can run it again once a member has headroom. What one call sends and
// makes of its reply is the caller's `attempt`. Each attempt is held in the shutdown drain
// (call-drain.ts) as chat's are, so one still running at the drain deadline ends with 503
// `router_shutting_down` instead of waiting for the socket to be cut.
import { anySignal, type ClearableSignal } from 'any-signal';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ConfigHolder } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { budgetExceeded } from '../policy/budget.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { AttemptRecord, RequestRecord, RequestRecorder } from '../store/request-record.js';
import { shuttingDownError, type CallDrain } from './call-drain.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { DeploymentLoad } from './deployment-load.js';
import { abortedAttempt, abortedCall, failedAttempt, toGatewayError } from './attempt-records.js';
import { chargeUnansweredAttempts, finishFailedRequest } from './finish-record.js';
import { noteFilterCalls } from './cost.js';
import { failedEverywhere, rateLimitedEverywhere, refusedEverywhere } from './exhausted-errors.js';
import type {
  AdmitContext,
  AdmitResult,
  ChatCall,
  GatewayPolicies,
  Target,
} from './gateway-types.js';
import { PoolBalancer } from './pool-order.js';
import { NoHeadroom, waitForHeadroom } from './wait-for-headroom.js';
import { retryHeaders, retryWhenCircuitsOpen } from './retry-when-free.js';
import { warningsHeader } from '../core/header-text.js';

/** What the calls need: the gateway's parts (built once per gateway, not per request). */
/** What a gateway of named (not routed) calls is built from: embeddings, moderations, media. */
export interface NamedGatewayDeps {
  config: ConfigHolder;
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  clock: Clock;
  breakers: CircuitBreakers;
  recorder: RequestRecorder;
  policies?: GatewayPolicies;
  /** Calls in flight and recent latency per deployment (shared with the other gateways). */
  load?: DeploymentLoad;
  /** Where a shutdown finds the calls still running at its drain deadline (the chat gateway's). */
  drain?: CallDrain;
}

export interface NamedFailoverDeps {
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  clock: Clock;
  breakers: CircuitBreakers;
  load: DeploymentLoad;
  pools: PoolBalancer;
  policies?: GatewayPolicies;
  drain?: CallDrain;
}

/** A named gateway's upstream-call parts: the shared load tracker (or one of its own) and a pool
 * balancer whose turns are this gateway's. */
export function namedFailoverDeps(deps: NamedGatewayDeps): NamedFailoverDeps {
  const load = deps.load ?? new DeploymentLoad(deps.clock);
  return { ...deps, load, pools: new PoolBalancer(load) };
}

/** The members a request may use and the tokens each attempt charges their rate limits. */
export interface NamedMembers {
  target: Target;
  /** Members the caller's key may use, in the configured order. */
  allowed: readonly DeploymentConfig[];
  sentEstimate: number;
  /**
   * The caller tells the breaker of success itself, once the call has proved useful (a realtime
   * session, once it has served a response); a half-open circuit is still closed by the call.
   */
  deferSuccess?: boolean;
  /**
   * The reply goes on after the call returns (speech's audio, read as the client takes it): the
   * call stays in the shutdown drain, and under its signal, until the caller's `release`.
   */
  bodyFollows?: boolean;
  /**
   * What the request's input costs at `d`, estimated: charged to an attempt that had it when the
   * router stopped waiting (`d`'s timeout, the client, the shutdown drain), as a chat attempt is
   * charged its prompt (execute-with-failover.ts). Absent: such an attempt is charged nothing.
   */
  inputCostUsd?: (d: DeploymentConfig) => number;
}

/** What answered: the member, what it served, and (for `bodyFollows`) the call's signal and end. */
export interface NamedServed<T> {
  d: DeploymentConfig;
  served: T;
  /**
   * The signal the call ran under: its reason says why a body that follows was stopped. It hears
   * the caller's until `release` (`bodyFollows`), else until the call returned.
   */
  signal: AbortSignal;
  /** Ends the call's hold in the shutdown drain (a no-op unless `bodyFollows`). */
  release(): void;
}

/**
 * One call to `d` under `signal` (the client's, and `d`'s own timeout), begun at `t0`: what it
 * served and the model the upstream says answered. Throws a GatewayError (`retryable` or not).
 */
export type NamedAttempt<T> = (
  d: DeploymentConfig,
  adapter: ProviderAdapter,
  signal: AbortSignal,
  t0: number,
) => Promise<{ served: T; model: string }>;

/**
 * Calls the members that may be called, in order, until one answers; each attempt, the one that
 * answered included, goes into `record`. Throws why none could (a spent budget, open circuits,
 * cool-downs: NoHeadroom), or the last failure (NoHeadroom when every member called refused with
 * a 429; when the failures disagree, a 429 if one was only rate-limited, else 502
 * `all_deployments_failed`, as chat's: exhausted-errors.ts). A call its caller aborted throws the caller's reason if typed (abortedCall), else a 499;
 * one the shutdown drain stopped, and any attempt after the drain deadline, 503
 * `router_shutting_down`.
 */
export async function callWithFailover<T>(
  deps: NamedFailoverDeps,
  call: Pick<ChatCall, 'signal' | 'requestId'>,
  members: NamedMembers,
  record: RequestRecord,
  attempt: NamedAttempt<T>,
): Promise<NamedServed<T>> {
  const { breakers, policies } = deps;
  const { allowed, sentEstimate, target } = members;
  const spent = allowed.map((m) => policies?.deploymentBudgetSpent?.(m));
  const affordable = allowed.filter((_, i) => !spent[i]);
  // Every member's own budget is used up: the one that resets first says when to come back.
  if (affordable.length === 0) {
    const lines = spent.filter((l) => l !== undefined);
    throw budgetExceeded(
      lines.reduce((a, b) => (b.resetsAt < a.resetsAt ? b : a)),
      deps.clock.now(),
    );
  }
  const healthy = affordable.filter((m) => breakers.allows(m.name));
  if (healthy.length === 0)
    throw new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'no_healthy_deployment',
      message: `${allowed.map((m) => m.name).join(', ')}: unhealthy (circuit open); retry shortly.`,
      headers: retryWhenCircuitsOpen(
        breakers,
        affordable.map((m) => m.name),
      ),
    });
  const ready = healthy.filter((m) => !breakers.coolingDown(m.name));
  if (ready.length === 0) {
    const waitMs = Math.min(...healthy.map((m) => breakers.coolingLeftMs(m.name)));
    const cooling = new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: `${healthy.map((m) => m.name).join(', ')}: the upstream answered 429 and asked to wait; skipped until then.`,
      headers: retryHeaders(waitMs),
    });
    throw new NoHeadroom(
      cooling,
      healthy.map((m) => m.name),
      false,
    );
  }
  const ordered = target.kind === 'pool' ? deps.pools.order(target.pool, ready, false) : ready;
  const from = record.attempts.length;
  let lastError: GatewayError | undefined;
  let lastRefusal: GatewayError | undefined;
  for (const d of ordered) {
    // Past the drain deadline no attempt starts (a failover included).
    if (deps.drain?.stoppedWith) throw shuttingDownError();
    const adapter = deps.adapters.adapterFor(d);
    record.deployment = d.name;
    record.region = d.region;
    record.dataZone = d.dataZone;
    const t0 = deps.clock.perfNow();
    // Aborted only by the shutdown drain, with its typed reason.
    const stop = new AbortController();
    const untrack = deps.drain?.track(stop) ?? (() => {});
    let held = false;
    let called = false;
    // The deployment's timeout, with its own typed reason (media audit F8: an upstream that
    // timed out was told to the client as "Could not reach the upstream: 23", the code of the
    // DOMException that AbortSignal.timeout aborts with).
    const timeout = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The attempt's signal, linked to the caller's by a listener taken off when the attempt ends
    // (any-signal): the caller's may live as long as a connection (a realtime session), and
    // AbortSignal.any hung a composite on it that Node 20 kept until it ended (≈57 B each).
    let signal: ClearableSignal | undefined;
    const endAttempt = () => {
      clearTimeout(timer);
      signal?.clear();
    };
    try {
      await policies?.consumeDeployment?.(d, sentEstimate, call.signal);
      timer = setTimeout(() => timeout.abort(upstreamTimeout(d)), d.timeoutMs);
      timer.unref?.();
      signal = anySignal([call.signal, stop.signal, timeout.signal]);
      called = true;
      const { served, model } = await attempt(d, adapter, signal, t0);
      if (!members.deferSuccess || breakers.state(d.name) === 'half-open') breakers.success(d.name);
      record.attempts.push({
        deployment: d.name,
        model,
        outcome: 'ok',
        latencyMs: deps.clock.perfNow() - t0,
      });
      held = members.bodyFollows === true;
      return {
        d,
        served,
        signal,
        release: held
          ? () => {
              endAttempt();
              untrack();
            }
          : () => {},
      };
    } catch (err) {
      // Stopped in flight by the client or by the shutdown drain (its 503, not retryable, not
      // the deployment's fault, whatever the adapter made of the abort): an `aborted` attempt,
      // as the chat family records it (execute-with-failover.ts).
      const stoppedBy = call.signal.aborted
        ? call.signal
        : stop.signal.aborted
          ? stop.signal
          : undefined;
      if (stoppedBy) {
        // The upstream had the request (not a wait for the deployment's rate limit): its attempt,
        // charged its input.
        if (called)
          record.attempts.push(
            charged(abortedAttempt(d, stoppedBy, deps.clock.perfNow() - t0), members, d),
          );
        throw abortedCall(stoppedBy, record.attempts);
      }
      // Timed out: the timeout's error, whatever the adapter made of the abort. The upstream had
      // the request when the router stopped waiting, and may bill it: charged its input, as a chat
      // attempt past its deadline is (before, free: a call made and billed, counted nowhere).
      // A reply the attempt could not use was made and billed all the same (BilledFailure).
      const timedOut = timeout.signal.aborted;
      const billed = err instanceof BilledFailure ? err : undefined;
      const e = timedOut
        ? (timeout.signal.reason as GatewayError)
        : toGatewayError(billed?.error ?? err);
      const failed = failedAttempt(breakers, d, e, deps.clock.perfNow() - t0);
      if (timedOut) record.attempts.push(charged(failed, members, d));
      else if (billed && billed.costUsd > 0)
        record.attempts.push({ ...failed, costUsd: billed.costUsd });
      else record.attempts.push(failed);
      if (!e.retryable) throw e;
      lastError = e;
      if (e.status === 429) lastRefusal = e;
    } finally {
      if (!held) {
        endAttempt();
        untrack();
      }
    }
  }
  const refusedBy = rateLimitedEverywhere(record.attempts.slice(from));
  if (refusedBy) throw refusedEverywhere(lastError!, refusedBy, breakers);
  // Failures that disagree: a 429 when one was only rate-limited, else 502, as chat's.
  throw failedEverywhere(lastError!, record.attempts, from, lastRefusal, breakers);
}

/**
 * Thrown by an attempt whose upstream answered, and so billed, a reply the router cannot use (an
 * embeddings reply without one vector per input, a rerank reply naming documents not sent): the
 * attempt fails with `error` (a failover when retryable) and is charged `costUsd` there.
 */
export class BilledFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly costUsd: number,
  ) {
    super(error.message);
  }
}

/** `attempt` with what its input costs at `d` (NamedMembers.inputCostUsd), when that is > 0. */
function charged(
  attempt: AttemptRecord,
  members: NamedMembers,
  d: DeploymentConfig,
): AttemptRecord {
  const costUsd = members.inputCostUsd?.(d) ?? 0;
  return costUsd > 0 ? { ...attempt, costUsd } : attempt;
}

/**
 * Adds to a named request's record what its attempts that had the input and gave no answer were
 * charged (chargeUnansweredAttempts: their `costUsd`, each counted at its own deployment), and,
 * where it has no tokens yet (no member answered), the input's estimate, as a chat request that
 * failed keeps its counted prompt. Returns what was added: the request's cost when none answered.
 */
export function chargeUnansweredCalls(record: RequestRecord, sentEstimate: number): number {
  const costUsd = chargeUnansweredAttempts(record);
  if (costUsd > 0 && record.promptTokens === 0) record.promptTokens = sentEstimate;
  return costUsd;
}

/**
 * Adds to a named request's record the content filter's calls to a priced moderation deployment
 * on its input (AdmitContext.filterCalls, cost.ts noteFilterCalls: listed `lookup:
 * 'content_filter'`, counted there), to its cost and its baseline alike (called by name: no
 * savings claimed, none lost). Before 2026-12-06 they counted nowhere on embeddings, rerank,
 * images and speech. Returns what was added; call it before the record is settled.
 */
export function chargeFilterCalls(record: RequestRecord, admit: AdmitContext | undefined): number {
  const costUsd = noteFilterCalls(record, admit?.filterCalls);
  record.baselineCostUsd += costUsd;
  return costUsd;
}

/**
 * A named request that failed, finished: what its members were sent and did not answer
 * (chargeUnansweredCalls, `sentEstimate` its tokens) and the content filter's calls
 * (chargeFilterCalls) charged, each at its own deployment, then recorded and settled with their
 * sum (finishFailedRequest).
 */
export function finishFailedNamedRequest(
  deps: Parameters<typeof finishFailedRequest>[0],
  record: RequestRecord,
  startedPerf: number,
  err: unknown,
  admit: AdmitContext | undefined,
  sentEstimate: number,
): void {
  const unanswered = chargeUnansweredCalls(record, sentEstimate);
  const filtered = chargeFilterCalls(record, admit);
  finishFailedRequest(deps, record, startedPerf, err, admit, unanswered + filtered);
}

/** A call to `d` that had no reply within its `timeoutMs`: retryable, as chat's (504). */
function upstreamTimeout(d: DeploymentConfig): GatewayError {
  return new GatewayError({
    status: 504,
    type: 'timeout_error',
    code: 'upstream_timeout',
    message: `Deployment ${d.name}: timed out after ${d.timeoutMs / 1000} s with no reply (its timeoutMs, ${d.timeoutMs}).`,
    retryable: true,
  });
}

/**
 * `run` (a callWithFailover), and for a request that asked to wait (`rateLimits.queue`) and
 * found no member with headroom, `run` again once one has it (wait-for-headroom.ts).
 */
export async function callOrWait<T>(
  deps: NamedFailoverDeps,
  deployments: ReadonlyMap<string, DeploymentConfig>,
  admitted: AdmitResult,
  tokens: number,
  record: RequestRecord,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!admitted.patience) throw err;
    return waitForHeadroom(err, admitted, { ...deps, deployments, tokens }, run, record);
  }
}

/** The reply's headers: admission's, the upstream's, and what served it. */
export function servedHeaders(
  admitted: AdmitResult,
  upstream: Record<string, string>,
  d: DeploymentConfig,
  model: string,
  record: RequestRecord,
): Record<string, string> {
  // Object.assign, then properties, as plan-route.ts's servedHeaders (a spread literal that adds
  // properties makes a new hidden class each time on Node 20).
  const headers: Record<string, string> = Object.assign({}, admitted.headers, upstream);
  headers['x-router-deployment'] = d.name;
  headers['x-router-model'] = model;
  headers['x-router-region'] = d.region;
  // The calls at the target's members: not the content filter's (`lookup`).
  headers['x-router-attempts'] = String(record.attempts.filter((a) => !a.lookup).length);
  if (admitted.warnings?.length) headers['x-router-warnings'] = warningsHeader(admitted.warnings);
  return headers;
}
