// The planning step of a chat request: which deployments may serve it (eligibility), and in what
// order (a pool's strategy, or a router's decision with session affinity and its receipt). Kept
// apart from the gateway so deciding reads as one step (STYLE.md principle 8). Also the routing
// headers a served reply carries, which say what was decided.
import { resolveMaxPrice } from './max-price.js';
import { orderByPreferences, resolveProviderPreferences } from './provider-preferences.js';
import type { RoutingMode } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { budgetExceeded } from '../policy/budget.js';
import {
  checkEligibility,
  CIRCUIT_HALF_OPEN_DESCRIPTION,
  requestNeeds,
  type CandidateEligibility,
} from '../routing/eligibility.js';
import type { OutputTokenStats } from '../routing/output-token-stats.js';
import { buildReceipt, type StoredReceipt } from '../routing/receipt.js';
import type { RoutingDecision } from '../routing/router-types.js';
import type { RequestRecord } from '../store/request-record.js';
import type { GatewayDeps } from './gateway-deps.js';
import type { ExecutionResult } from './execute-with-failover.js';
import {
  targetMembers,
  targetName,
  type AdmitResult,
  type BatchForwardOffer,
  type ChatCall,
  type Target,
} from './gateway-types.js';
import type { DeploymentLoad } from './deployment-load.js';
import type { PoolBalancer } from './pool-order.js';
import { noEligibleFor } from './no-eligible-error.js';
import { effectiveMode, keyAllowsDeployment, resolveZone } from './request-target.js';
import { resolveSessionAffinity } from './session-affinity.js';
import { retryWhenFree, retryWhenSoonestFree } from './retry-when-free.js';
import { warningsHeader } from '../core/header-text.js';

/** What planning needs: the gateway's deps, its pool balancer and its learned output sizes. */
export type PlanDeps = Pick<
  GatewayDeps,
  'breakers' | 'policies' | 'clock' | 'routerFor' | 'affinity' | 'decisions'
> & {
  pools: PoolBalancer;
  outputTokens: OutputTokenStats;
  /** For `provider.sort: "latency"`: what the pools' `latency` strategy reads. */
  load: DeploymentLoad;
};

/** A `models` entry that could not serve, and the error code that said why. */
export interface TargetTried {
  name: string;
  code: string;
}

/** The deployments to try in order, and for a router why: its decision and receipt. */
export interface RoutePlan {
  ordered: DeploymentConfig[];
  mode: RoutingMode | undefined;
  decision?: RoutingDecision;
  receipt?: StoredReceipt;
  routingMicros?: number;
  zone?: string;
  sessionKey?: string;
  topDeployment?: DeploymentConfig;
  /** Preferences accepted and not applied (provider-preferences.ts), for `x-router-warnings`. */
  warnings?: string[];
  /**
   * Every candidate's eligibility, with the tokens headroom was judged at: when the eligible ones
   * all fail, the error's `retry-after` says when the soonest of those left out only for now
   * (cooling down, out of headroom, circuit open) frees up (`retryWhenPassedOverFree`).
   */
  checked?: { checks: CandidateEligibility[]; tokens: number };
}

/**
 * Checks every deployment the target may serve from by the same rules and orders the eligible
 * ones; throws the typed error that says why none is (a spent budget, cooling down, unfit).
 */
export function planRoute(
  deps: PlanDeps,
  snapshot: RuntimeConfig,
  call: ChatCall,
  target: Target,
  promptTokens: number,
  modeOverride: RoutingMode | undefined,
  offer?: BatchForwardOffer,
): RoutePlan {
  const zone = resolveZone(call, target);
  const prefs = resolveProviderPreferences(call.request);
  // Every field named, not `{ ...zone, maxPrice, providers }`: a spread then new keys makes a
  // hidden class a request on Node 20 (≈5 µs; docs/benchmarks.md, the eighteenth session).
  const needs = requestNeeds(call.request, promptTokens, {
    dataZone: zone.dataZone,
    regions: zone.regions,
    maxPrice: resolveMaxPrice(call),
    providers: prefs?.narrowing,
  });
  const warnings = [...(prefs?.warnings ?? [])];
  const policies = deps.policies;
  const probes = {
    circuitAllows: (name: string) => deps.breakers.allows(name),
    coolingDown: (name: string) => deps.breakers.coolingDown(name),
    hasHeadroom: policies?.hasHeadroom?.bind(policies),
    withinBudget: policies?.deploymentBudgetSpent
      ? (d: DeploymentConfig) => !policies.deploymentBudgetSpent!(d)
      : undefined,
    keyAllows: (name: string) => keyAllowsDeployment(call, target, name),
  };
  // The deployments the target may serve from, each checked by the same rules.
  const candidates =
    target.kind === 'deployment'
      ? [target.deployment]
      : targetMembers(target)
          .map((name) => snapshot.deployments.get(name))
          .filter((d): d is DeploymentConfig => d !== undefined);
  const routingStart = deps.clock.perfNow();
  const { eligible, checks } = checkEligibility(candidates, needs, probes);
  // Called by name and only its budget stands in the way: which budget, and when it resets.
  const spent =
    target.kind === 'deployment' && checks[0]?.failed.join() === 'budget_exhausted'
      ? policies?.deploymentBudgetSpent?.(target.deployment)
      : undefined;
  if (spent) throw budgetExceeded(spent, deps.clock.now());
  if (eligible.length === 0)
    throw retryWhenFree(
      noEligibleFor(
        call,
        candidates,
        checks,
        targetName(target),
        (name, rule) =>
          rule === 'circuit_open' && deps.breakers.state(name) === 'half-open'
            ? CIRCUIT_HALF_OPEN_DESCRIPTION
            : undefined,
        needs,
      ),
      checks,
      {
        breakers: deps.breakers,
        policies,
        deployments: snapshot.deployments,
        tokens: needs.promptTokens + needs.outputTokens,
      },
    );
  const checked = { checks, tokens: needs.promptTokens + needs.outputTokens };
  if (target.kind !== 'router') {
    const streaming = call.request.stream === true;
    let ordered =
      target.kind === 'pool' ? deps.pools.order(target.pool, eligible, streaming) : eligible;
    if (prefs && target.kind === 'pool')
      ordered = orderByPreferences(ordered, prefs, deps.load, streaming);
    if (ordered.length === 0)
      throw invalidRequest(
        `provider.order names none of the deployments of "${targetName(target)}" that can serve this request (${eligible.map((d) => d.name).join(', ')}), and provider.allow_fallbacks is false: name one of them, or allow fallbacks.`,
        'provider.order',
        'no_eligible_deployment',
      );
    return { ordered, mode: undefined, zone: zone.dataZone, warnings, checked };
  }
  const router = target.router;
  // The routing model picks among a router's deployments: a caller's order or sort does not
  // override its decision (x-router-mode: cost asks for the cheapest capable one).
  if (prefs?.order || prefs?.sort)
    warnings.push(
      `provider.${prefs.order ? 'order' : 'sort'} not applied: router deployment "${router.name}" orders its deployments by its routing decision (x-router-mode: cost picks the cheapest capable)`,
    );
  const { mode, keyCap, budgetShift } = effectiveMode(call, router, modeOverride);
  if (keyCap) warnings.push(keyCap);
  const decision = deps.routerFor(router).decide({
    request: call.request,
    router,
    mode,
    // A batch line that may be held for a Batch API is priced where it would be served: at the
    // deployment's batch price, so the saving modes weigh the discount (the receipt shows it).
    candidates: offer ? eligible.map((d) => atBatchPrice(d, offer)) : eligible,
    promptTokens,
    outputTokens: deps.outputTokens,
  });
  const affinity = resolveSessionAffinity(call, decision, eligible, deps.affinity);
  // `provider.allow_fallbacks: false`: the pick only, as the receipt then says.
  const orderedNames = prefs?.noFallbacks ? affinity.ordered.slice(0, 1) : affinity.ordered;
  const byName = new Map(eligible.map((d) => [d.name, d]));
  const ordered = orderedNames
    .map((n) => byName.get(n))
    .filter((d): d is DeploymentConfig => d !== undefined);
  const routingMicros = (deps.clock.perfNow() - routingStart) * 1000;
  const receipt = buildReceipt({
    id: newId('dec_'),
    time: deps.clock.now(),
    requestId: call.requestId,
    router: router.name,
    decision: {
      ...decision,
      ordered: orderedNames,
      // Why the mode is not the one asked for, beside why the pick.
      reason: [decision.reason, keyCap, budgetShift].filter(Boolean).join('; '),
    },
    checks,
    sessionAffinity: affinity.receipt,
    tenant: call.auth.tenant,
  });
  deps.decisions.put(receipt);
  return {
    ordered,
    mode,
    decision,
    receipt,
    routingMicros,
    zone: zone.dataZone,
    sessionKey: affinity.sessionKey,
    topDeployment: snapshot.deployments.get(decision.topDeployment),
    warnings,
    checked,
  };
}

/**
 * `err`, the failure of every candidate a plan called, with `retry-after` when the plan passed
 * over others only for now and the error does not already say when to retry: the soonest of those
 * frees up (fault audit F5, 2026-12-06: a pool whose other member cooled down after a 429 answered
 * its last member's 503 with no `retry-after`, and clients retried at once into the same refusal).
 */
export function retryWhenPassedOverFree(
  err: unknown,
  plan: RoutePlan,
  deps: Pick<PlanDeps, 'breakers' | 'policies'>,
  snapshot: RuntimeConfig,
): void {
  if (!plan.checked || !(err instanceof GatewayError) || !err.retryable) return;
  if (err.status < 429 || err.headers['retry-after'] !== undefined) return;
  // The eligible ones were called (they failed); retryWhenSoonestFree passes over the others
  // that waiting will not free.
  const passedOver = plan.checked.checks.filter((c) => c.failed.length > 0);
  retryWhenSoonestFree(err, passedOver, {
    breakers: deps.breakers,
    policies: deps.policies,
    deployments: snapshot.deployments,
    tokens: plan.checked.tokens,
  });
}

/** `d` priced as its Batch API charges when `offer` would hold a line for it, else `d`. */
function atBatchPrice(d: DeploymentConfig, offer: BatchForwardOffer): DeploymentConfig {
  if (!d.batchApi || !offer.accepts(d)) return d;
  const keep = 1 - d.batchApi.discount;
  const p = d.prices;
  return {
    ...d,
    prices: {
      ...p,
      inputPer1M: p.inputPer1M * keep,
      outputPer1M: p.outputPer1M * keep,
      ...(p.cachedInputPer1M !== undefined ? { cachedInputPer1M: p.cachedInputPer1M * keep } : {}),
      ...(p.cacheWriteInputPer1M !== undefined
        ? { cacheWriteInputPer1M: p.cacheWriteInputPer1M * keep }
        : {}),
    },
  };
}

/**
 * The routing headers of a served reply: admission's (limits, budget, queueing), the serving
 * upstream's passed on (`x-upstream-*`), who served and in how many attempts (every round's),
 * warnings, for a router its decision (the receipt's id and mode), and with `models` fallbacks
 * the target that served and those tried before it.
 */
export function servedHeaders(
  admitted: AdmitResult,
  plan: RoutePlan,
  result: ExecutionResult,
  fallbacks?: { served: { target: Target }; tried: readonly TargetTried[] },
): Record<string, string> {
  // Object.assign, then properties: a literal that spreads and then adds properties makes a new
  // hidden class each time on Node 20 (5.8 µs a reply against 0.3–0.5 µs, a micro-benchmark of
  // this function on a loaded machine; sse-writer.ts mergeHeaders). The serving upstream's own (`x-upstream-x-ms-region`, its rate limits) are
  // passed on, as named calls' are.
  const headers: Record<string, string> = Object.assign(
    {},
    admitted.headers,
    result.upstreamHeaders,
  );
  headers['x-router-deployment'] = result.deployment.name;
  headers['x-router-region'] = result.deployment.region;
  headers['x-router-attempts'] = String(result.attempts.length);
  const warnings = [...(admitted.warnings ?? []), ...(plan.warnings ?? []), ...result.warnings];
  if (warnings.length) headers['x-router-warnings'] = warningsHeader(warnings);
  // With `models` fallbacks: the entry that served, and those before it that could not (why).
  if (fallbacks) {
    headers['x-router-target'] = targetName(fallbacks.served.target);
    if (fallbacks.tried.length)
      headers['x-router-targets-tried'] = fallbacks.tried
        .map((t) => `${t.name} (${t.code})`)
        .join(', ');
  }
  if (plan.decision && plan.receipt) {
    headers['x-router-decision-id'] = plan.receipt.id;
    headers['x-router-mode'] = plan.decision.mode;
    headers['x-router-version'] = plan.decision.version;
  }
  return headers;
}

/** What the request log keeps of a plan, noted before any call (a failed request keeps it too). */
export function notePlan(record: RequestRecord, plan: RoutePlan): void {
  record.routingMode = plan.mode;
  record.routerVersion = plan.decision?.version;
  record.decisionId = plan.receipt?.id;
  record.receipt = plan.receipt;
  record.routingMicros = plan.routingMicros;
  record.dataZone = plan.zone;
}

/**
 * Who served, in the request log and the decision's receipt, with every attempt it took (every
 * round's, when it waited for headroom: the record's own list).
 */
export function noteServed(record: RequestRecord, plan: RoutePlan, result: ExecutionResult): void {
  record.attempts = result.attempts;
  if (plan.receipt) {
    plan.receipt.attempts = result.attempts;
    plan.receipt.servedBy = result.deployment.name;
  }
  record.deployment = result.deployment.name;
  record.region = result.deployment.region;
  record.dataZone = result.deployment.dataZone;
}
