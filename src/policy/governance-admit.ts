// Admission, the governance policies' admit() (governance-policies.ts): charges key, router,
// end-user and tag limits and reads the caller's budgets in ONE round trip to the shared state,
// reserving the request's expected cost in that same trip; a refused request that asked to may
// wait first (admission-queue.ts), and hands what is left of its wait to routing.
import type { Config } from '../config/schema.js';
import type { KeyAuthContext } from '../auth/authenticate.js';
import { targetName, type AdmitContext, type AdmitResult } from '../gateway/gateway-types.js';
import { NANO_PER_USD, reservationPool } from './budget.js';
import { requestedWaitMs, type AdmissionQueue } from './admission-queue.js';
import { admissionCostUsd } from './expected-cost.js';
import { RateLimitRefusal } from './rate-limit-refusal.js';
import type { CheckLimitsInput, LimitTicket, TagLimit } from './rate-limit-types.js';
import { budgetAlert } from './governance-alerts.js';
import { budgetSubject, keyLimitOf } from './governance-subject.js';
import type { GovernanceDeps } from './governance-policies.js';

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

/**
 * Admits a request under its limits and budgets, or throws the refusal (rate limit, budget). The
 * ticket it charged is kept in `tickets` for settle() and narrowReservation() to find.
 */
export async function admitRequest(
  deps: GovernanceDeps,
  queue: AdmissionQueue,
  tickets: WeakMap<AdmitContext, LimitTicket>,
  ctx: AdmitContext,
): Promise<AdmitResult> {
  const auth = ctx.call.auth as Partial<KeyAuthContext> & AdmitContext['call']['auth'];
  const subject = budgetSubject(ctx.call.auth, deps.keys, ctx.call.attribution);
  const limited = deps.budgets?.limitedCounters(subject) ?? [];
  // A budget met for the first time starts from the request log's spend (budget.ts).
  const seeding = limited.length ? deps.budgets!.whenSeeded(limited) : undefined;
  if (seeding) await seeding;
  const keyLimit = keyLimitOf(auth, deps.keys);
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
      // Shared limits' headers show the tenant's own use of them (rateLimits.headers).
      ...(rateLimits.headers === 'tenant' ? { tenantView: auth.tenant } : {}),
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
      result.warnings = [`budget ${Math.round(state.fraction * 100)}% used: routing in cost mode`];
    }
  }
  return result;
}
