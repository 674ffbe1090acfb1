// `/v1/embeddings`: an embedding model (`kind: embeddings`) called by name, not routed. The same
// governance as chat: key scope and subset, key and deployment rate limits (TPM charged an
// estimate up front, settled with the usage), budgets, the content filter on text inputs, the
// deployment's circuit breaker and timeout, and one request-log record with its cost.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ConfigHolder } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import { embeddingInputs } from '../core/prompt-text.js';
import { forbidden, GatewayError, invalidRequest } from '../core/errors.js';
import type { ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from '../core/wire-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import {
  newRequestRecord,
  type RequestRecord,
  type RequestRecorder,
} from '../store/request-record.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { costUsd } from './cost.js';
import { clientClosed, failedAttempt, toGatewayError } from './execute-with-failover.js';
import {
  targetMembers,
  targetName,
  type AdmitContext,
  type ChatCall,
  type GatewayPolicies,
} from './gateway-types.js';
import { PoolBalancer } from './pool-order.js';
import { DeploymentLoad } from './deployment-load.js';
import type { AnswerCache } from './answer-cache.js';
import { authorizeTarget, keyAllowsDeployment, resolveTarget } from './request-target.js';

export interface EmbeddingsDeps {
  config: ConfigHolder;
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  clock: Clock;
  breakers: CircuitBreakers;
  recorder: RequestRecorder;
  policies?: GatewayPolicies;
  /** The answer cache, shared with chat (`cache.enabled`); kept vectors answer repeated inputs. */
  answerCache?: AnswerCache;
  /** Calls in flight and recent latency per deployment (shared with the chat gateway). */
  load?: DeploymentLoad;
}

type EmbedReply = Awaited<ReturnType<NonNullable<ProviderAdapter['embed']>>>;

export type EmbeddingsCall = Omit<ChatCall, 'request' | 'endpoint' | 'native' | 'passThrough'> & {
  request: EmbeddingsRequest;
};

/** Rough tokens of the inputs for the up-front TPM charge (4 characters a token; ids count one). */
function estimateTokens(input: EmbeddingsRequest['input']): number {
  if (typeof input === 'string') return Math.ceil(input.length / 4);
  if (!Array.isArray(input)) return 0;
  if (typeof input[0] === 'number') return input.length;
  return (input as (string | number[])[]).reduce<number>(
    (n, x) => n + (typeof x === 'string' ? Math.ceil(x.length / 4) : x.length),
    0,
  );
}

export class EmbeddingsGateway {
  private readonly load: DeploymentLoad;
  /** Orders an embeddings pool's members (round-robin turns, load and latency are this replica's). */
  private readonly pools: PoolBalancer;

  constructor(private readonly deps: EmbeddingsDeps) {
    this.load = deps.load ?? new DeploymentLoad(deps.clock);
    this.pools = new PoolBalancer(this.load);
  }

  async handle(
    call: EmbeddingsCall,
  ): Promise<{ response: EmbeddingsResponse; headers: Record<string, string> }> {
    const snapshot = this.deps.config.current;
    const startedPerf = this.deps.clock.perfNow();
    const record = newRequestRecord({
      time: this.deps.clock.now(),
      requestId: call.requestId,
      endpoint: 'embeddings',
      tenant: call.auth.tenant,
      keyId: call.auth.keyId,
      endUser: call.attribution?.endUser,
      tags: call.attribution?.tags,
      stream: false,
    });
    // The governance hooks speak chat: they see the caller and the inputs as user messages.
    const texts = embeddingInputs(call.request.input);
    const asChat: ChatCall = {
      ...call,
      endpoint: 'embeddings',
      request: {
        model: call.request.model,
        messages: texts.map((content) => ({ role: 'user', content })),
      } as ChatRequest,
    };
    const policies = this.deps.policies;
    let admit: AdmitContext | undefined;
    try {
      const target = resolveTarget(snapshot, asChat);
      if (target.kind === 'router')
        throw invalidRequest(
          `"${target.router.name}" is a router deployment: routers route chat. Name an embedding deployment or pool as model.`,
          'model',
          'model_not_embeddings',
        );
      const name = targetName(target);
      const members = targetMembers(target)
        .map((n) => snapshot.deployments.get(n))
        .filter((m): m is DeploymentConfig => m !== undefined);
      if (members.some((m) => m.kind !== 'embeddings'))
        throw invalidRequest(
          `"${name}" is a chat ${target.kind}, not an embedding model (kind: embeddings).`,
          'model',
          'model_not_embeddings',
        );
      authorizeTarget(asChat, target);
      const allowed = members.filter((m) => keyAllowsDeployment(asChat, target, m.name));
      if (allowed.length === 0) throw forbidden(`This API key may not use "${name}".`);
      if (target.kind === 'pool') record.router = name;
      const estimate = estimateTokens(call.request.input);
      admit = { call: asChat, target, promptTokens: estimate };
      const admitted = policies?.admit ? await policies.admit(admit) : {};
      let request = call.request;
      // Text inputs only: token ids carry no text a rule could read.
      const input = call.request.input;
      const textInput =
        typeof input === 'string' ||
        (Array.isArray(input) && input.every((x: unknown) => typeof x === 'string'));
      if (policies?.filterInput && textInput) {
        const filtered = await policies.filterInput(asChat.request, admit);
        const redacted = filtered.request.messages.map((m) => String(m.content ?? ''));
        request = { ...request, input: typeof input === 'string' ? redacted[0]! : redacted };
      }
      // The answer cache: the same inputs (after redaction) for the same model give the same vectors.
      const cache = this.deps.answerCache;
      const plan =
        cache && snapshot.config.cache.enabled && (target.kind !== 'pool' || target.pool.cache)
          ? cache.embeddingsPlan(snapshot.config.cache, call, request, target)
          : undefined;
      if (plan) {
        record.cache = plan.read || plan.write ? 'miss' : 'bypass';
        const hit = await cache!.lookupEmbeddings(plan, snapshot, asChat, target);
        if (hit) {
          const response = hit.answer.response;
          record.cache = 'hit';
          record.deployment = hit.deployment.name;
          record.region = hit.deployment.region;
          record.dataZone = hit.deployment.dataZone;
          record.servedModel = response.model;
          record.promptTokens = response.usage?.prompt_tokens ?? estimate;
          record.costUsd = 0;
          record.baselineCostUsd = hit.answer.baselineCostUsd;
          // No upstream tokens were used: the up-front TPM charge is handed back.
          policies?.settle?.(admit, {
            usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
            costUsd: 0,
            status: 200,
          });
          this.finish(record, startedPerf, 200);
          return {
            response,
            headers: {
              ...(admitted.headers ?? {}),
              'x-router-deployment': hit.deployment.name,
              'x-router-model': response.model,
              'x-router-region': hit.deployment.region,
              'x-router-attempts': '0',
              'x-router-cache': 'hit',
              age: String(hit.ageSeconds),
            },
          };
        }
      }
      const breakers = this.deps.breakers;
      const healthy = allowed.filter((m) => breakers.allows(m.name));
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
        throw new GatewayError({
          status: 429,
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          message: `${healthy.map((m) => m.name).join(', ')}: the upstream answered 429 and asked to wait; skipped until then.`,
          headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
        });
      }
      const ordered = target.kind === 'pool' ? this.pools.order(target.pool, ready, false) : ready;
      let served: { d: DeploymentConfig; reply: EmbedReply; t0: number } | undefined;
      let lastError: GatewayError | undefined;
      for (const d of ordered) {
        const adapter = this.deps.adapters.adapterFor(d);
        if (!adapter.embed)
          throw invalidRequest(`${d.name}'s provider serves no embeddings.`, 'model');
        record.deployment = d.name;
        record.region = d.region;
        record.dataZone = d.dataZone;
        const t0 = this.deps.clock.perfNow();
        let inFlight = false;
        try {
          await policies?.consumeDeployment?.(d, estimate);
          breakers.begin(d.name);
          this.load.begin(d.name);
          inFlight = true;
          const reply = await adapter.embed({
            deployment: d,
            body: { ...request, model: d.model },
            signal: AbortSignal.any([call.signal, AbortSignal.timeout(d.timeoutMs)]),
            requestId: call.requestId,
          });
          this.load.observe(d.name, 'answer', this.deps.clock.perfNow() - t0);
          served = { d, reply, t0 };
          break;
        } catch (err) {
          if (call.signal.aborted) throw clientClosed(record.attempts);
          const e = toGatewayError(err);
          record.attempts.push(failedAttempt(breakers, d, e, this.deps.clock.perfNow() - t0));
          if (!e.retryable) throw e;
          lastError = e;
        } finally {
          if (inFlight) this.load.end(d.name);
        }
      }
      if (!served) throw lastError!;
      const { d, reply, t0 } = served;
      this.deps.breakers.success(d.name);
      const response = reply.response;
      record.attempts.push({
        deployment: d.name,
        model: response.model,
        outcome: 'ok',
        latencyMs: this.deps.clock.perfNow() - t0,
      });
      record.servedModel = response.model;
      record.promptTokens = response.usage?.prompt_tokens ?? estimate;
      // Called by name, not routed: what it cost is also the baseline (no savings claimed).
      record.costUsd = costUsd(d, {
        promptTokens: record.promptTokens,
        cachedTokens: 0,
        completionTokens: 0,
        reasoningTokens: 0,
      });
      record.baselineCostUsd = record.costUsd;
      policies?.settle?.(admit, {
        deployment: d,
        usage: {
          prompt_tokens: record.promptTokens,
          completion_tokens: 0,
          total_tokens: record.promptTokens,
        },
        costUsd: record.costUsd,
        status: 200,
      });
      if (plan)
        cache!.keepEmbeddings(plan, {
          deployment: d.name,
          baselineCostUsd: record.costUsd,
          response,
        });
      this.finish(record, startedPerf, 200);
      return {
        response,
        headers: {
          ...(admitted.headers ?? {}),
          ...reply.headers,
          'x-router-deployment': d.name,
          'x-router-model': response.model,
          'x-router-region': d.region,
          'x-router-attempts': String(record.attempts.length),
          ...(plan ? { 'x-router-cache': record.cache ?? 'miss' } : {}),
          ...(admitted.warnings?.length
            ? { 'x-router-warnings': admitted.warnings.join('; ') }
            : {}),
        },
      };
    } catch (err) {
      const e = err instanceof GatewayError ? err : undefined;
      if (admit) policies?.settle?.(admit, { costUsd: 0, status: e?.status ?? 500 });
      this.finish(record, startedPerf, e?.status ?? 500, e?.code ?? 'internal_error');
      throw err;
    }
  }

  private finish(record: RequestRecord, startedPerf: number, status: number, code?: string): void {
    record.status = status;
    record.errorCode = code;
    record.latencyMs = this.deps.clock.perfNow() - startedPerf;
    this.deps.recorder.record(record);
  }
}
