// Execute a plan: try each deployment in order under its deadline; a retryable failure before the
// first byte reaches the client moves on to the next (STYLE.md principle 7); a non-retryable one
// stops at once. Streams are peeked: the first chunk must arrive before we commit
// (start-stream.ts).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ChatChunk, ChatResponse } from '../core/wire-types.js';
import { adaptRequestForDeployment } from '../policy/reasoning-params.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { AttemptRecord } from '../store/request-record.js';
import {
  abortedAttempt,
  abortedCall,
  failedAttempt,
  isContextOverflow,
  markStreamAborted,
  markStreamDropped,
  notLargerWindow,
  toGatewayError,
} from './attempt-records.js';
import { stoppedByDrain, type CallDrain } from './call-drain.js';
import { callSignalIfMade, callStopped, onCallStopped } from './call-stop.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { DeploymentLoad } from './deployment-load.js';
import type { ChatCall, GatewayPolicies } from './gateway-types.js';
import { bridgeCustomToolsFor, withCustomCalls } from './custom-tool-bridge.js';
import { inputCostUsd } from './cost.js';
import {
  failedEverywhere,
  rateLimitedEverywhere,
  refusedEverywhere,
  withAttempts,
} from './exhausted-errors.js';
import { startStream } from './start-stream.js';
import { timeoutError, withTimeout } from './with-timeout.js';
import { retryWhenCircuitsOpen } from './retry-when-free.js';
import type { RequestTiming } from './request-timing.js';

export type ExecutionResult =
  | {
      kind: 'json';
      response: ChatResponse;
      deployment: DeploymentConfig;
      attempts: AttemptRecord[];
      warnings: string[];
      /** The serving upstream's headers passed on (`x-upstream-*`: region, rate limits). */
      upstreamHeaders?: Record<string, string>;
    }
  | {
      kind: 'stream';
      /** The peeked first chunk (a stream that ends without one is a failed attempt). */
      first: ChatChunk | undefined;
      /** The upstream's chunk iterator, after the first chunk. */
      next(): Promise<IteratorResult<ChatChunk>>;
      /**
       * Called once when the stream ends, however it ends: releases the attempt and, unless the
       * upstream ran to its end, aborts it (a completed upstream has nothing left to stop, and
       * aborting it anyway costs an error object with a stack trace per stream). The circuit
       * hears of it here: a completed stream is a success, one the upstream broke (`failure`:
       * an upstream error, the idle deadline) a failure; one the client or a shutdown stopped
       * says nothing of the deployment.
       */
      end(completed: boolean, failure?: unknown): void;
      model: string;
      deployment: DeploymentConfig;
      attempts: AttemptRecord[];
      warnings: string[];
      /** perfNow() when the first chunk arrived. */
      firstChunkAt: number;
      /** As the JSON kind's. */
      upstreamHeaders?: Record<string, string>;
    };

export interface ExecuteArgs {
  call: ChatCall;
  ordered: DeploymentConfig[];
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  breakers: CircuitBreakers;
  /** Counts the attempt in flight and its latency (for pools ordered by load or latency). */
  load?: DeploymentLoad;
  clock: Clock;
  policies?: GatewayPolicies;
  promptTokens: number;
  /**
   * The request's attempts so far (its record's: earlier rounds of a wait for headroom); this
   * call's are added after them, and the result and errors list them all.
   */
  attempts?: AttemptRecord[];
  /** Where a shutdown finds the calls still running at its drain deadline, to stop them. */
  drain?: CallDrain;
  /**
   * Gets each attempt's wait on its upstream (request-timing.ts): from the adapter's call to its
   * reply read or its failure; a stream's to its first chunk, then each read of the rest.
   */
  timing?: RequestTiming;
}

export async function executeWithFailover(args: ExecuteArgs): Promise<ExecutionResult> {
  const { call, clock, breakers } = args;
  const attempts = args.attempts ?? [];
  const from = attempts.length;
  let lastError: GatewayError | undefined;
  /** The last 429 among the failures (a candidate only rate-limited), for `failedEverywhere`. */
  let lastRefusal: GatewayError | undefined;
  /** An upstream refused the prompt as too long: only a larger context window may serve it. */
  let tooLong: { error: GatewayError; deployment: DeploymentConfig } | undefined;
  for (const [i, deployment] of args.ordered.entries()) {
    if (callStopped(call)) throw abortedCall(call.signal, attempts);
    if (args.drain?.stoppedWith) throw withAttempts(args.drain.stoppedWith, attempts);
    if (tooLong && deployment.contextWindow <= tooLong.deployment.contextWindow) {
      attempts.push(notLargerWindow(deployment, tooLong.deployment));
      continue;
    }
    if (!breakers.allows(deployment.name)) {
      attempts.push({
        deployment: deployment.name,
        model: deployment.model,
        outcome: 'skipped',
        errorCode: 'circuit_open',
        latencyMs: 0,
      });
      continue;
    }
    const t0 = clock.perfNow();
    const controller = new AbortController();
    // The attempt's signal is the request's only one: the client's going is heard without one.
    const offClientAbort = onCallStopped(call, () =>
      controller.abort(new Error('client closed request')),
    );
    const untrack = args.drain?.track(controller);
    // In flight from the upstream call until the answer, the failure or the stream's end.
    let inFlight = false;
    let probe = false;
    /** perfNow() when the request went to the adapter, until that wait is counted. */
    let sentAt: number | undefined;
    const release = () => {
      offClientAbort();
      untrack?.();
      if (inFlight) args.load?.end(deployment.name);
      inFlight = false;
    };
    try {
      // A queued waiter's signal was made when it queued; a call with none is no waiter.
      if (args.policies?.consumeDeployment)
        await args.policies.consumeDeployment(
          deployment,
          args.promptTokens,
          callSignalIfMade(call),
        );
      const adapted = adaptRequestForDeployment(call.request, deployment);
      const { warnings } = adapted;
      // Custom tools where the upstream has none: function tools up, custom calls back.
      const { body, bridged } = bridgeCustomToolsFor(adapted.body, deployment);
      probe = breakers.begin(deployment.name);
      args.load?.begin(deployment.name);
      inFlight = true;
      const own = args.adapters.adapterFor(deployment);
      const adapter = bridged ? withCustomCalls(own, bridged) : own;
      const upstream = {
        deployment,
        body,
        signal: controller.signal,
        requestId: call.requestId,
        ...(call.native ? { native: call.native } : {}),
        // Bridged chunks are rewritten, so they must come parsed.
        ...(call.passThrough && !bridged ? { passThrough: true } : {}),
      };
      if (call.request.stream === true) {
        sentAt = clock.perfNow();
        const { reads, ...result } = await startStream(
          adapter,
          upstream,
          deployment,
          controller,
          clock,
          args.timing,
        );
        args.timing?.upstreamSince(sentAt, result.firstChunkAt);
        sentAt = undefined;
        args.load?.observe(deployment.name, 'firstToken', result.firstChunkAt - t0);
        // The circuit hears at the stream's end (a stream that breaks mid-way is a failure):
        // a half-open probe that streams holds the probe until then.
        const attempt: AttemptRecord = {
          deployment: deployment.name,
          model: result.model,
          outcome: 'ok',
          latencyMs: clock.perfNow() - t0,
        };
        attempts.push(attempt);
        const end = (completed: boolean, failure?: unknown) => {
          reads.stop();
          release();
          // The attempt that streamed and then broke says so wherever it is shown (the record,
          // the receipt: the same object), not the `ok` it had when its first chunk came.
          const clientGone = callStopped(call);
          const stopped = clientGone || stoppedByDrain(controller.signal);
          if (!completed && failure !== undefined && !stopped) markStreamDropped(attempt, failure);
          // Stopped mid-answer by the client (or the shutdown drain): `aborted`, as a call in
          // flight before its first chunk is, not the `ok` its first chunk gave it (fault audit
          // F8: a 499 row said its only call succeeded).
          if (!completed && stopped)
            markStreamAborted(attempt, clientGone ? call.signal : controller.signal);
          if (completed) breakers.success(deployment.name);
          else if (failure !== undefined && upstreamFault(failure) && !clientGone)
            breakers.failure(deployment.name);
          else if (probe) breakers.abandonProbe(deployment.name);
          if (!completed) controller.abort(new Error('stream stopped before its end'));
        };
        return { kind: 'stream', ...result, end, deployment, attempts, warnings };
      }
      sentAt = clock.perfNow();
      const reply = await withTimeout(
        adapter.chat(upstream),
        deployment.timeoutMs,
        controller,
        () =>
          timeoutError(
            deployment,
            'upstream_timeout',
            `no reply within ${deployment.timeoutMs} ms`,
          ),
      );
      const repliedAt = clock.perfNow();
      args.timing?.upstreamSince(sentAt, repliedAt);
      sentAt = undefined;
      release();
      args.load?.observe(deployment.name, 'answer', repliedAt - t0);
      breakers.success(deployment.name);
      const response = reply.response;
      if (!response.model) response.model = deployment.model;
      attempts.push({
        deployment: deployment.name,
        model: response.model,
        outcome: 'ok',
        latencyMs: repliedAt - t0,
      });
      return {
        kind: 'json',
        response,
        deployment,
        attempts,
        warnings,
        upstreamHeaders: reply.headers,
      };
    } catch (err) {
      // A failed attempt's wait is the upstream's too (a deadline's included).
      if (sentAt !== undefined) args.timing?.upstreamSince(sentAt);
      const called = inFlight;
      release();
      // Why we aborted the call, when we did (a deadline, the shutdown drain), is its failure.
      const reason: unknown = controller.signal.reason;
      controller.abort(new Error('attempt failed'));
      // A retryable failure re-opens the circuit below; anything else must not hold the probe.
      if (probe) breakers.abandonProbe(deployment.name);
      // Stopped in flight by the client, a cancel, or the shutdown drain (which aborts the
      // attempt's own controller): an `aborted` attempt, charged its prompt (finish-record.ts),
      // not a failure of the deployment (before, the drain's stop was an `error` at $0: ops
      // audit F1, 2026-12-06).
      const stoppedBy = callStopped(call)
        ? call.signal
        : stoppedByDrain(controller.signal)
          ? controller.signal
          : undefined;
      if (stoppedBy) {
        // The upstream had the prompt (not a wait for the deployment's rate limit): its attempt.
        if (called)
          attempts.push({
            ...abortedAttempt(deployment, stoppedBy, clock.perfNow() - t0),
            costUsd: inputCostUsd(deployment, args.promptTokens),
          });
        throw abortedCall(stoppedBy, attempts);
      }
      const e = toGatewayError(reason instanceof GatewayError ? reason : err);
      const failed = failedAttempt(breakers, deployment, e, clock.perfNow() - t0);
      // A deadline that passed is the slowest answer there is; other failures are not latency.
      // The upstream had the prompt when the router stopped waiting, and may bill it: the
      // attempt is charged it, as one the client stopped is (before 2026-12-06 it was free, so a
      // timeout's failover under-reported spend: observability audit F4).
      if (e.code === 'upstream_timeout' || e.code === 'first_token_timeout') {
        args.load?.observe(
          deployment.name,
          e.code === 'first_token_timeout' ? 'firstToken' : 'answer',
          clock.perfNow() - t0,
        );
        failed.costUsd = inputCostUsd(deployment, args.promptTokens);
      }
      attempts.push(failed);
      if (e.retryable) {
        lastError = e;
        if (e.status === 429) lastRefusal = e;
        continue;
      }
      // The prompt is too long for this deployment: a later one with a larger window may take it
      // (the router's own count, which eligibility judged, can fall short of the upstream's).
      if (isContextOverflow(e)) {
        const window = Math.max(deployment.contextWindow, tooLong?.deployment.contextWindow ?? 0);
        const larger = args.ordered.slice(i + 1).some((d) => d.contextWindow > window);
        if (larger) {
          // Reached only with a larger window than any that refused before it.
          tooLong = { error: e, deployment };
          continue;
        }
        // None after it is larger: each is passed over, and the record and receipt say why.
        for (const rest of args.ordered.slice(i + 1))
          attempts.push(
            notLargerWindow(
              rest,
              deployment.contextWindow >= window ? deployment : tooLong!.deployment,
            ),
          );
      }
      throw withAttempts(e, attempts);
    }
  }
  // Every larger window tried failed the same way, or was skipped: the caller's 400.
  if (tooLong && !lastError) throw withAttempts(tooLong.error, attempts);
  if (lastError) {
    const exhausted = withAttempts(lastError, attempts, args.ordered.length > 1);
    const refusedBy = rateLimitedEverywhere(attempts.slice(from));
    if (refusedBy) throw refusedEverywhere(exhausted, refusedBy, breakers);
    throw failedEverywhere(exhausted, attempts, from, lastRefusal, breakers);
  }
  throw new GatewayError({
    status: 503,
    type: 'server_error',
    code: 'no_healthy_deployment',
    message: 'Every eligible deployment is unhealthy (circuit open); retry shortly.',
    headers: retryWhenCircuitsOpen(
      breakers,
      args.ordered.map((d) => d.name),
    ),
    details: { attempts },
  });
}

/** Whether a stream's failure is the upstream's (counts against its circuit), as failedAttempt. */
function upstreamFault(failure: unknown): boolean {
  const e = toGatewayError(failure);
  return e.retryable && e.code !== 'deployment_rate_limited';
}
