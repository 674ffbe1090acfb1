// Rate limits, budgets and the content filter as the gateway's policy hooks (GatewayPolicies).
// admit() charges key, router, end-user and tag limits and reads the caller's budgets in ONE round
// trip to the shared state (a refused request that asked to may wait first: admission-queue.ts,
// and hands what is left of its wait to routing, for deployments out of headroom);
// settle() corrects TPM with real usage and adds real spend to the budgets. A request's budgets
// are reserved its expected cost in that same round trip (expected-cost.ts; images and audio by
// their gateway's judge), so requests running at once see each other; settle() swaps the
// reservation for the real cost (and one never settled lapses by itself:
// budgets.reservationTtlSeconds).
import type { ConfigHolder } from '../config/runtime-config.js';
import type { Config } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { KeyAuthContext } from '../auth/authenticate.js';
import type { KeyStore } from '../auth/key-store.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import {
  targetName,
  type AdmitContext,
  type AuthContext,
  type AdmitResult,
  type FilterInputResult,
  type GatewayPolicies,
  type SettleInfo,
} from '../gateway/gateway-types.js';
import type { Alert, Alerter } from '../telemetry/alerts.js';
import type { Attribution } from '../gateway/attribution.js';
import {
  budgetDetails,
  budgetOwner,
  NANO_PER_USD,
  reservationPool,
  type BudgetLine,
  type BudgetState,
  type BudgetSubject,
  type BudgetTracker,
} from './budget.js';
import type { ContentFilter } from './content-filter.js';
import type { DeploymentBudgets } from './deployment-budget.js';
import { AdmissionQueue, requestedWaitMs } from './admission-queue.js';
import { admissionCostUsd, expectedCostUsd } from './expected-cost.js';
import {
  RateLimitRefusal,
  type CheckLimitsInput,
  type LimitTicket,
  type RateLimiter,
  type TagLimit,
} from './rate-limit.js';

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

/**
 * A deployment's budget used up (routed around, or refused when called by name, until reset), or
 * past `budgets.shiftToCostAt` (a warning before that happens).
 */
function deploymentBudgetAlert(line: BudgetLine): Alert {
  const period = line.period === 'day' ? 'daily' : 'monthly';
  const spent = `${usd(line.spentUsd)} of ${usd(line.limitUsd)}`;
  const until = new Date(line.resetsAt).toISOString();
  return line.fraction >= 1
    ? {
        event: 'budget_exhausted',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is used up (${spent}): routers and pools route around it, and calls by its name are refused, until ${until}.`,
        details: budgetDetails(line),
      }
    : {
        event: 'budget_threshold',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is ${Math.round(line.fraction * 100)}% used (${spent}): once it is used up, routers and pools route around it until ${until}.`,
        details: budgetDetails(line),
      };
}

/** The budget alert a state calls for: used up, or past the Cost-mode threshold; else none. */
function budgetAlert(state: BudgetState): { alert: Alert; until: number } | undefined {
  const line = state.exhaustedLine ?? (state.shiftToCost ? maxLine(state.lines) : undefined);
  if (!line) return undefined;
  const period = line.period === 'day' ? 'daily' : 'monthly';
  const resets = new Date(line.resetsAt).toISOString();
  const spent = `${usd(line.spentUsd)} of ${usd(line.limitUsd)}`;
  const alert: Alert = state.exhaustedLine
    ? {
        event: 'budget_exhausted',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is used up (${spent}): its requests are refused until ${resets}.`,
        details: budgetDetails(line),
      }
    : {
        event: 'budget_threshold',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is ${Math.round(line.fraction * 100)}% used (${spent}): its requests are routed in Cost mode until ${resets}.`,
        details: budgetDetails(line),
      };
  // Once per budget and period: the counter key names the period.
  return { alert, until: line.resetsAt };
}

/** Dollars to the cent, or to two significant digits below a cent. */
const usd = (v: number) => (v >= 0.01 ? `$${v.toFixed(2)}` : `$${v.toPrecision(2)}`);

function maxLine(lines: readonly BudgetLine[]): BudgetLine | undefined {
  return lines.reduce<BudgetLine | undefined>(
    (m, l) => (!m || l.fraction > m.fraction ? l : m),
    undefined,
  );
}

/**
 * Whose budgets a caller's spend goes to: its key (with the key's own budget: the auth context's
 * overrides, else the key store's record), its tenant, and the end user and tags it names.
 */
export function budgetSubject(
  authContext: AdmitContext['call']['auth'],
  keys: GovernanceDeps['keys'],
  attribution?: Attribution,
): BudgetSubject {
  const endUser = attribution?.endUser;
  const tags = attribution?.tags;
  const auth = authContext as Partial<KeyAuthContext> & AdmitContext['call']['auth'];
  const keyBudget =
    auth.overrides?.budget ?? (auth.keyId ? keys?.get(auth.keyId)?.budget : undefined);
  return {
    keyId: auth.keyId,
    tenant: auth.tenant,
    ...(keyBudget ? { keyBudget } : {}),
    ...(endUser !== undefined ? { endUser } : {}),
    ...(tags?.length ? { tags } : {}),
  };
}

/**
 * The request's tags that `rateLimits.tags` limits, of its tenant; undefined when none is (most
 * requests: nothing is allocated for them).
 */
function limitedTags(
  limits: Config['rateLimits']['tags'],
  tenant: string,
  tags: readonly string[] | undefined,
): TagLimit[] | undefined {
  if (!limits || !tags) return undefined;
  let out: TagLimit[] | undefined;
  for (const tag of tags) {
    // Own keys only: a tag named "constructor" must not find Object.prototype's.
    const limit = Object.hasOwn(limits, tag) ? limits[tag] : undefined;
    if (limit) (out ??= []).push({ tenant, tag, limit });
  }
  return out;
}

export function createGovernancePolicies(deps: GovernanceDeps): GatewayPolicies {
  const tickets = new WeakMap<AdmitContext, LimitTicket>();
  const queue = deps.queue ?? new AdmissionQueue();

  /** The caller's key's rate limit: a key's own override, else the key store's. */
  const keyLimitOf = (auth: Partial<KeyAuthContext> & AdmitContext['call']['auth']) =>
    auth.overrides?.rateLimit ?? (auth.keyId ? deps.keys?.get(auth.keyId)?.rateLimit : undefined);

  const subjectOf = (ctx: AdmitContext): BudgetSubject =>
    budgetSubject(ctx.call.auth, deps.keys, ctx.call.attribution);

  return {
    async admit(ctx: AdmitContext): Promise<AdmitResult> {
      const auth = ctx.call.auth as Partial<KeyAuthContext> & AdmitContext['call']['auth'];
      const subject = subjectOf(ctx);
      const limited = deps.budgets?.limitedCounters(subject) ?? [];
      // A budget met for the first time starts from the request log's spend (budget.ts).
      const seeding = limited.length ? deps.budgets!.whenSeeded(limited) : undefined;
      if (seeding) await seeding;
      const keyLimit = keyLimitOf(auth);
      let ticket: LimitTicket | undefined;
      const routerLimited = ctx.target.kind === 'router' && !!ctx.target.router.rateLimit;
      // Read per request, so a config reload applies to the next one.
      const rateLimits = deps.config.current.config.rateLimits;
      const endUser =
        rateLimits.endUser && subject.endUser !== undefined
          ? { tenant: auth.tenant, name: subject.endUser, limit: rateLimits.endUser }
          : undefined;
      const tags = limitedTags(rateLimits.tags, auth.tenant, subject.tags);
      // Off (maxWaitMs 0, the default): one property read, and the header is not looked at.
      const maxWaitMs =
        rateLimits.queue.maxWaitMs > 0
          ? requestedWaitMs(ctx.call.headers, rateLimits.queue.maxWaitMs)
          : 0;
      const terms =
        maxWaitMs > 0
          ? {
              maxWaitMs,
              maxWaiting: rateLimits.queue.maxWaiting,
              signal: ctx.call.signal,
              router: ctx.target.kind === 'deployment' ? '' : targetName(ctx.target),
            }
          : undefined;
      let queuedMs: number | undefined;
      // Nothing to charge or read: skip the shared-state round trip (the hot path of direct calls).
      if (deps.limiter && (keyLimit || routerLimited || endUser || tags || limited.length > 0)) {
        const limiter = deps.limiter;
        const expected =
          limited.length > 0 ? admissionCostUsd(ctx, deps.config.current.deployments) : undefined;
        const reserve =
          expected !== undefined
            ? deps.budgets!.reservation(limited, expected, ctx.call.requestId)
            : [];
        const input: CheckLimitsInput = {
          keyId: auth.keyId,
          keyLimit,
          endUser,
          tags,
          // Direct deployment calls are charged per attempt (consumeDeployment), not here.
          router: ctx.target.kind === 'router' ? ctx.target.router : undefined,
          promptTokens: ctx.promptTokens,
          // Spend and reservations, read before this request's own reservation is made.
          ...(limited.length > 0
            ? {
                readCounters: limited.map((c) => c.key),
                pools: { read: limited.map(reservationPool), make: reserve },
              }
            : {}),
        };
        try {
          ticket = await limiter.checkLimits(input);
        } catch (err) {
          // Only a rate limit's refusal waits, and only for a request that asked to.
          if (!(err instanceof RateLimitRefusal) || !terms) throw err;
          // A drain that began during the re-check's round trip wins: the charge is given back.
          const recheck = async () => {
            const admitted = await limiter.checkLimits(input);
            try {
              queue.admitRound(terms.signal);
            } catch (stopped) {
              await limiter.refund(admitted).catch(() => {});
              throw stopped;
            }
            return admitted;
          };
          const waited = await queue.wait(err, recheck, terms);
          ticket = waited.value;
          queuedMs = waited.queuedMs;
        }
        tickets.set(ctx, ticket);
      }
      const result: AdmitResult = { headers: { ...(ticket?.headers ?? {}) } };
      if (queuedMs !== undefined) result.headers!['x-router-queued-ms'] = String(queuedMs);
      // What is left of the wait, for a deployment out of headroom (gateway/wait-for-headroom.ts).
      if (terms) result.patience = queue.patience(terms, queuedMs ?? 0);
      if (deps.budgets && limited.length) {
        // A request is admitted while the spend and the other requests' reservations are under
        // the limit: alone, it may still cross it by its own cost, as before reservations.
        const state = ticket
          ? deps.budgets.evaluate(limited, ticket.counters, ticket.pools)
          : await deps.budgets.budgetState(subject);
        // Alerts speak of money spent, not of what requests in flight hold for a moment.
        const spent = state.lines.some((l) => l.reservedUsd)
          ? deps.budgets.evaluate(
              limited,
              state.lines.map((l) => Math.round(l.spentUsd * NANO_PER_USD)),
            )
          : state;
        if (deps.alerts && (spent.exhausted || spent.shiftToCost)) {
          const a = budgetAlert(spent);
          if (a) deps.alerts.emit(a.alert, a.until);
        }
        if (state.exhausted) {
          if (ticket && deps.limiter) await deps.limiter.refund(ticket).catch(() => {});
          tickets.delete(ctx);
          deps.budgets.assertWithinBudget(state);
        }
        result.headers!['x-router-budget-used'] = state.fraction.toFixed(3);
        if (state.shiftToCost) {
          result.modeOverride = 'cost';
          result.warnings = [
            `budget ${Math.round(state.fraction * 100)}% used: routing in cost mode`,
          ];
        }
      }
      return result;
    },

    async chargeKeyRequest(callerAuth: AuthContext): Promise<void> {
      const auth = callerAuth as Partial<KeyAuthContext> & AuthContext;
      const keyLimit = keyLimitOf(auth);
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

    headroomHeaders(deployment: DeploymentConfig): Record<string, string> {
      return deps.limiter ? deps.limiter.headroomHeaders(deployment) : {};
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
      const ticket = await deps.limiter?.consumeDeployment(deployment, tokens);
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

    // Synchronous when no filter is configured: no promise on the hot path for nothing.
    filterInput(request: ChatRequest): Promise<FilterInputResult> | FilterInputResult {
      const filter = deps.contentFilter?.();
      if (!filter) return { request };
      return filter.filterInput(request);
    },

    filterOutput(response: ChatResponse): Promise<ChatResponse> | ChatResponse {
      const filter = deps.contentFilter?.();
      return filter ? filter.filterOutput(response) : response;
    },

    filterStream(chunks: AsyncIterable<ChatChunk>): AsyncIterable<ChatChunk> {
      const filter = deps.contentFilter?.();
      return filter ? filter.filterStream(chunks) : chunks;
    },
  };
}
