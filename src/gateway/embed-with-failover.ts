// The upstream part of an embeddings request: which of the target's members may be called now
// (own budget left, circuit closed, not cooling down after an upstream 429), in the pool's order,
// and the calls, failing over on a retryable error. Apart from the gateway so that a request
// that may wait (wait-for-headroom.ts) can run it again once a member has headroom.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/wire-types.js';
import { budgetExceeded } from '../policy/budget.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { RequestRecord } from '../store/request-record.js';
import { callEmbeddings, type EmbedReply } from './call-embeddings.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { DeploymentLoad } from './deployment-load.js';
import { orderedVectors } from './embedding-batch.js';
import {
  clientClosed,
  failedAttempt,
  rateLimitedEverywhere,
  toGatewayError,
} from './execute-with-failover.js';
import type { ChatCall, GatewayPolicies, Target } from './gateway-types.js';
import type { PoolBalancer } from './pool-order.js';
import { NoHeadroom } from './wait-for-headroom.js';

export type EmbeddingData = EmbeddingsResponse['data'][number];

/** What the calls need: the gateway's parts (built once per gateway, not per request). */
export interface EmbedFailoverDeps {
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  clock: Clock;
  breakers: CircuitBreakers;
  load: DeploymentLoad;
  pools: PoolBalancer;
  policies?: GatewayPolicies;
}

/** The members a request may use and what it sends them. */
export interface EmbedMembers {
  target: Target;
  /** Members the caller's key may use, in the configured order. */
  allowed: readonly DeploymentConfig[];
  sent: EmbeddingsRequest;
  sentEstimate: number;
  /** Vectors the reply must hold, one per input sent, when the cache keeps them by position. */
  expect: number | undefined;
  /** Some inputs came from the cache: a reply without one vector each cannot be used. */
  partial: boolean;
}

/** The call that served (its attempt in the record): deployment, reply, vectors in order. */
export interface EmbedServed {
  d: DeploymentConfig;
  reply: EmbedReply;
  vectors?: EmbeddingData[];
}

/** The 502 for a reply without one vector per input sent: it cannot be put in order. */
function wrongCount(d: DeploymentConfig, sent: number, response: EmbeddingsResponse): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'upstream_malformed_response',
    message: `${d.name}: the upstream answered ${response.data.length} vectors for ${sent} inputs.`,
    retryable: true,
  });
}

/**
 * Calls the members that may be called, in order, until one answers; each attempt, the one that
 * answered included, goes into `record`. Throws why none could (a spent budget, open circuits, cool-downs: NoHeadroom), or the
 * last failure (NoHeadroom when every member called refused with a 429).
 */
export async function embedWithFailover(
  deps: EmbedFailoverDeps,
  call: Pick<ChatCall, 'signal' | 'requestId'>,
  members: EmbedMembers,
  record: RequestRecord,
): Promise<EmbedServed> {
  const { breakers, policies } = deps;
  const { allowed, sent, sentEstimate, target } = members;
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
      headers: { 'retry-after': '5' },
    });
  const ready = healthy.filter((m) => !breakers.coolingDown(m.name));
  if (ready.length === 0) {
    const waitMs = Math.min(...healthy.map((m) => breakers.coolingLeftMs(m.name)));
    const cooling = new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: `${healthy.map((m) => m.name).join(', ')}: the upstream answered 429 and asked to wait; skipped until then.`,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
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
  for (const d of ordered) {
    const adapter = deps.adapters.adapterFor(d);
    if (!adapter.embed) throw invalidRequest(`${d.name}'s provider serves no embeddings.`, 'model');
    record.deployment = d.name;
    record.region = d.region;
    record.dataZone = d.dataZone;
    const t0 = deps.clock.perfNow();
    try {
      await policies?.consumeDeployment?.(d, sentEstimate);
      const reply = await callEmbeddings(
        deps,
        adapter,
        {
          deployment: d,
          body: { ...sent, model: d.model },
          signal: AbortSignal.any([call.signal, AbortSignal.timeout(d.timeoutMs)]),
          requestId: call.requestId,
        },
        t0,
      );
      // Kept vectors are put together with the upstream's by position: one each, or none.
      const vectors =
        members.expect !== undefined ? orderedVectors(reply.response, members.expect) : undefined;
      if (members.partial && !vectors) throw wrongCount(d, members.expect!, reply.response);
      breakers.success(d.name);
      record.attempts.push({
        deployment: d.name,
        model: reply.response.model,
        outcome: 'ok',
        latencyMs: deps.clock.perfNow() - t0,
      });
      return { d, reply, vectors };
    } catch (err) {
      if (call.signal.aborted) throw clientClosed(record.attempts);
      const e = toGatewayError(err);
      record.attempts.push(failedAttempt(breakers, d, e, deps.clock.perfNow() - t0));
      if (!e.retryable) throw e;
      lastError = e;
    }
  }
  const refusedBy = rateLimitedEverywhere(record.attempts.slice(from));
  throw refusedBy ? new NoHeadroom(lastError!, refusedBy, true) : lastError!;
}
