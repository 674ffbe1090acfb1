// Rate limits, budgets and the content filter as the gateway's policy hooks (GatewayPolicies).
// admit() charges key, router, end-user and tag limits and reads the caller's budgets in ONE round
// trip to the shared state (a refused request that asked to may wait first: admission-queue.ts,
// and hands what is left of its wait to routing, for deployments out of headroom; the admission
// itself lives in governance-admit.ts);
// settle() corrects TPM with real usage and adds real spend to the budgets. A request's budgets
// are reserved its expected cost in that same round trip (expected-cost.ts; images and audio by
// their gateway's judge), so requests running at once see each other; settle() swaps the
// reservation for the real cost (and one never settled lapses by itself:
// budgets.reservationTtlSeconds).
import type { ConfigHolder } from '../config/runtime-config.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { KeyAuthContext } from '../auth/authenticate.js';
import type { KeyStore } from '../auth/key-store.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import type {
  AdmitContext,
  AuthContext,
  AdmitResult,
  FilterInputResult,
  GatewayPolicies,
  SettleInfo,
} from '../gateway/gateway-types.js';
import type { Alerter } from '../telemetry/alerts.js';
import type { BudgetLine, BudgetSubject, BudgetTracker } from './budget.js';
import type { ContentFilter } from './content-filter.js';
import type { FilterCallSink } from './filters/filter-types.js';
import type { DeploymentBudgets } from './deployment-budget.js';
import { AdmissionQueue } from './admission-queue.js';
import { expectedCostUsd } from './expected-cost.js';
import type { RateLimiter } from './rate-limit.js';
import type { LimitTicket } from './rate-limit-types.js';
import { admitRequest } from './governance-admit.js';
import { onCallStopped } from '../gateway/call-stop.js';
import { deploymentBudgetAlert } from './governance-alerts.js';
import { budgetSubject, keyLimitOf } from './governance-subject.js';

export interface GovernanceDeps {
  config: ConfigHolder;
  limiter?: RateLimiter;
  budgets?: BudgetTracker;
  /** Per-key limits and budgets for contexts that do not carry `overrides`. */
  keys?: KeyStore;
  /** The current content filter (rebuilt by the caller on config reload); undefined = off. */
  contentFilter?: () => ContentFilter | undefined;
  /** Background failures (settle is fire-and-forget): log and count them. */
  onError?: (err: unknown, what: 'settle-limits' | 'settle-budget') => void;
  /** Where a budget that passes its threshold or runs out is reported (alerts.webhooks). */
  alerts?: Alerter;
  /** Deployments' own spend budgets (`deployments[].budget`). */
  deploymentBudgets?: DeploymentBudgets;
  /** Where rate-limited requests that asked to wait do (`rateLimits.queue`); one per replica. */
  queue?: AdmissionQueue;
}

export function createGovernancePolicies(deps: GovernanceDeps): GatewayPolicies {
  const tickets = new WeakMap<AdmitContext, LimitTicket>();
  const queue = deps.queue ?? new AdmissionQueue();

  // Read per call, so a config reload applies to the next request.
  const tenantHeaders = () => deps.config.current.config.rateLimits.headers === 'tenant';

  const subjectOf = (ctx: AdmitContext): BudgetSubject =>
    budgetSubject(ctx.call.auth, deps.keys, ctx.call.attribution);

  return {
    admit(ctx: AdmitContext): Promise<AdmitResult> {
      return admitRequest(deps, queue, tickets, ctx);
    },

    async chargeKeyRequest(callerAuth: AuthContext): Promise<void> {
      const auth = callerAuth as Partial<KeyAuthContext> & AuthContext;
      const keyLimit = keyLimitOf(auth, deps.keys);
      if (!deps.limiter || !auth.keyId || keyLimit?.rpm === undefined) return;
      // Requests only: a count uses no model tokens, so the key's TPM is not charged.
      await deps.limiter.checkLimits({
        keyId: auth.keyId,
        keyLimit: { rpm: keyLimit.rpm },
        promptTokens: 0,
      });
    },

    async checkBudget(ctx: AdmitContext): Promise<void> {
      const subject = subjectOf(ctx);
      if (!deps.budgets || deps.budgets.limitedCounters(subject).length === 0) return;
      deps.budgets.assertWithinBudget(await deps.budgets.budgetState(subject));
    },

    hasHeadroom(deployment: DeploymentConfig, tokens: number): boolean {
      return deps.limiter ? deps.limiter.hasHeadroom(deployment, tokens) : true;
    },

    headroomInMs(deployment: DeploymentConfig, tokens: number): number | undefined {
      return deps.limiter ? deps.limiter.headroomInMs(deployment, tokens) : 0;
    },

    headroomHeaders(deployment: DeploymentConfig, tokens: number): Record<string, string> {
      const limiter = deps.limiter;
      if (!limiter) return {};
      // A deployment's level is every tenant's: by default only when this request fits is told.
      if (!tenantHeaders()) return limiter.headroomHeaders(deployment);
      return limiter.headroomHeaders(
        deployment,
        limiter.headroomInMs(deployment, tokens) ?? limiter.windowMs,
      );
    },

    deploymentBudgetSpent(deployment: DeploymentConfig): BudgetLine | undefined {
      const line = deps.deploymentBudgets?.exhausted(deployment);
      if (line) deps.alerts?.emit(deploymentBudgetAlert(line), line.resetsAt);
      return line;
    },

    async consumeDeployment(
      deployment: DeploymentConfig,
      tokens: number,
      signal?: AbortSignal,
    ): Promise<void> {
      const ticket = await deps.limiter?.consumeDeployment(deployment, tokens, tenantHeaders());
      if (!signal) return;
      // A queue waiter's round, and the drain began during the charge: nothing goes upstream.
      try {
        queue.admitRound(signal);
      } catch (stopped) {
        if (ticket) await deps.limiter?.refund(ticket).catch(() => {});
        throw stopped;
      }
    },

    settleDeployment(deployment: DeploymentConfig, charged: number, actualTokens: number): void {
      deps.limiter
        ?.settleDeployment(deployment, charged, actualTokens)
        .catch((err: unknown) => deps.onError?.(err, 'settle-limits'));
    },

    narrowReservation(ctx: AdmitContext, pick: DeploymentConfig): void {
      const ticket = tickets.get(ctx);
      const reserved = ticket?.reserved;
      if (!ticket || !reserved?.length || !deps.budgets) return;
      const narrowed = deps.budgets.narrow(
        reserved,
        ctx.expectedCostUsd?.(pick) ?? expectedCostUsd(ctx.call.request, ctx.promptTokens, [pick]),
      );
      if (!narrowed) return;
      // Set, not taken off: a settle that comes first releases the entries, and the change then
      // finds them gone (it never makes one); another pick never raises them again.
      ticket.reserved = narrowed.kept;
      narrowed.sent.catch((err: unknown) => deps.onError?.(err, 'settle-budget'));
    },

    settle(ctx: AdmitContext, outcome: SettleInfo): void {
      // Taken back once: a second settle of the same request finds none.
      const reserved = tickets.get(ctx)?.reserved;
      if (reserved) tickets.get(ctx)!.reserved = undefined;
      const usage = outcome.usage;
      if (
        deps.limiter &&
        usage &&
        (tickets.has(ctx) || outcome.deployment?.rateLimit?.tpm !== undefined)
      ) {
        const actual =
          usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
        const admitted = tickets.get(ctx);
        const onError = (err: unknown) => deps.onError?.(err, 'settle-limits');
        if (admitted) deps.limiter.settle([admitted], actual).catch(onError);
        // consumeDeployment charged the prompt tokens of the attempt that served.
        const d = outcome.deployment;
        if (d) deps.limiter.settleDeployment(d, ctx.promptTokens, actual).catch(onError);
      }
      tickets.delete(ctx);
      const tracker = deps.deploymentBudgets;
      const spendAt = (budgeted: DeploymentConfig | undefined, costUsd: number) => {
        if (!tracker || !budgeted?.budget || !(costUsd > 0)) return;
        tracker
          .record(budgeted, costUsd)
          .then(() => {
            // Past the threshold and not yet used up: one warning per budget and period.
            const shiftAt = deps.config.current.config.budgets.shiftToCostAt;
            for (const line of tracker.lines(budgeted))
              if (line.fraction >= shiftAt && line.fraction < 1)
                deps.alerts?.emit(deploymentBudgetAlert(line), line.resetsAt);
          })
          .catch((err: unknown) => deps.onError?.(err, 'settle-budget'));
      };
      // Attempts charged though they gave no answer (timed out, stopped in flight) spent at
      // their own deployment; the rest of the request's cost is the one that served.
      let elsewhere = 0;
      for (const a of outcome.attempts ?? [])
        if (a.costUsd) {
          elsewhere += a.costUsd;
          spendAt(deps.config.current.deployments.get(a.deployment), a.costUsd);
        }
      spendAt(outcome.deployment, outcome.costUsd - elsewhere);
      // The real cost replaces the reservation: once every request ended, the spend counters
      // hold exactly what they cost and the reservations none.
      if (
        deps.budgets &&
        (reserved?.length ||
          (outcome.costUsd > 0 && deps.budgets.limitedCounters(subjectOf(ctx)).length > 0))
      ) {
        deps.budgets
          .recordSpend(subjectOf(ctx), outcome.costUsd, reserved)
          .catch((err: unknown) => deps.onError?.(err, 'settle-budget'));
      }
    },

    // Synchronous when no filter is configured: no promise on the hot path for nothing. The
    // filter's calls at the router's own moderation deployments are kept on the request's
    // context (`filterCalls`), for its gateway to count in its record.
    filterInput(
      request: ChatRequest,
      ctx?: AdmitContext,
    ): Promise<FilterInputResult> | FilterInputResult {
      const filter = deps.contentFilter?.();
      if (!filter) return { request };
      return filter.filterInput(request, filterCallsOf(ctx));
    },

    // The checks on an answer, JSON or streamed, stop once its client left (nobody reads their
    // verdicts).
    filterOutput(response: ChatResponse, ctx?: AdmitContext): Promise<ChatResponse> | ChatResponse {
      const filter = deps.contentFilter?.();
      return filter
        ? filter.filterOutput(response, filterCallsOf(ctx), clientGoneOf(ctx))
        : response;
    },

    filterStream(chunks: AsyncIterable<ChatChunk>, ctx?: AdmitContext): AsyncIterable<ChatChunk> {
      const filter = deps.contentFilter?.();
      if (!filter) return chunks;
      return filter.filterStream(chunks, filterCallsOf(ctx), clientGoneOf(ctx));
    },
  };
}

/**
 * Calls `fn` once the client of the request of `ctx` left (at once if it has); returns what takes
 * it back. None for a context with no client (a batch line forwarded to a Batch API).
 */
function clientGoneOf(ctx: AdmitContext | undefined): ((fn: () => void) => () => void) | undefined {
  const call = ctx?.call;
  if (!call || !(call.stop || 'signal' in call)) return undefined;
  return (fn) => onCallStopped(call, fn);
}

/** Where the content filter's calls for the request of `ctx` are kept (AdmitContext.filterCalls). */
function filterCallsOf(ctx: AdmitContext | undefined): FilterCallSink | undefined {
  return ctx && ((call) => (ctx.filterCalls ??= []).push(call));
}
