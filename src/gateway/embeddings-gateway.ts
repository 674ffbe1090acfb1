// `/v1/embeddings`: an embedding model (`kind: embeddings`) called by name, not routed. The same
// governance as chat: key scope and subset, key and deployment rate limits (TPM charged an
// estimate up front, settled with the usage), budgets, the content filter on text inputs, the
// deployment's circuit breaker and timeout, and one request-log record with its cost. The calls
// with failover are embed-with-failover.ts; waiting for headroom, wait-for-headroom.ts.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { embeddingInputs, embeddingItems, type EmbeddingItem } from '../core/prompt-text.js';
import type { ChatRequest, EmbeddingsRequest, EmbeddingsResponse } from '../core/wire-types.js';
import type { RequestRecord } from '../store/request-record.js';
import { inputCostUsd, tokenCount } from './cost.js';
import { finishRecord, openRecord } from './finish-record.js';
import type { AdmitContext, ChatCall } from './gateway-types.js';
import type { AnswerCache } from './answer-cache.js';
import {
  assembleVectors,
  estimateItemTokens,
  estimateTokens,
  pickInputs,
  shareTokens,
} from './embedding-batch.js';
import type { EmbeddingsCachePlan, VectorHit } from './embeddings-cache.js';
import {
  embedWithFailover,
  type EmbedFailoverDeps,
  type EmbeddingData,
} from './embed-with-failover.js';
import {
  callOrWait,
  chargeFilterCalls,
  chargeUnansweredCalls,
  finishFailedNamedRequest,
  namedFailoverDeps,
  servedHeaders,
  type NamedGatewayDeps,
} from './named-failover.js';
import { resolveNamedModel } from './request-target.js';
import { noteQueued } from './wait-for-headroom.js';
import { checkEmbeddingWindow } from './embedding-window.js';

export interface EmbeddingsDeps extends NamedGatewayDeps {
  /** The answer cache, shared with chat (`cache.enabled`); kept vectors answer repeated inputs. */
  answerCache?: AnswerCache;
}

export type EmbeddingsCall = Omit<ChatCall, 'request' | 'endpoint' | 'native' | 'passThrough'> & {
  request: EmbeddingsRequest;
};

export class EmbeddingsGateway {
  /** The upstream calls' parts; its pool balancer's turns, load and latency are this replica's. */
  private readonly failover: EmbedFailoverDeps;

  constructor(private readonly deps: EmbeddingsDeps) {
    this.failover = namedFailoverDeps(deps);
  }

  async handle(
    call: EmbeddingsCall,
  ): Promise<{ response: EmbeddingsResponse; headers: Record<string, string> }> {
    const snapshot = this.deps.config.current;
    const startedPerf = this.deps.clock.perfNow();
    const record = openRecord(this.deps.clock, call, 'embeddings', false);
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
    /** The estimate of the inputs sent upstream: a failed request's tokens when it was charged. */
    let sentTokens = 0;
    try {
      const { target, name, allowed } = resolveNamedModel(snapshot, asChat, 'embeddings');
      if (target.kind === 'pool') record.router = name;
      await checkEmbeddingWindow(embeddingItems(call.request.input), allowed, name);
      const estimate = estimateTokens(call.request.input);
      admit = { call: asChat, target, promptTokens: estimate };
      const admitted = policies?.admit ? await policies.admit(admit) : {};
      noteQueued(record, admitted);
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
      // The answer cache, per input: the same input (after redaction) for the same model and
      // options gives the same vector, so only the inputs it does not keep go upstream.
      const cache = this.deps.answerCache;
      const plan =
        cache && snapshot.config.cache.enabled && (target.kind !== 'pool' || target.pool.cache)
          ? cache.embeddings.plan(snapshot.config.cache, call, request, target)
          : undefined;
      let hits: (VectorHit | undefined)[] = [];
      if (plan) {
        record.cache = plan.read || plan.write ? 'miss' : 'bypass';
        hits = await cache!.embeddings.lookup(plan, snapshot, asChat, target);
        if (hits.length > 0 && hits.every((h) => h !== undefined)) {
          return this.answerFromCache(hits as VectorHit[], record, startedPerf, admit, admitted);
        }
      }
      const items = embeddingItems(request.input);
      const missing = items.map((_, i) => i).filter((i) => !hits[i]);
      const partial = missing.length < items.length;
      // The upstream is asked only for what the cache does not keep, in the client's order.
      const sent = partial ? { ...request, input: pickInputs(request.input, missing) } : request;
      const sentEstimate = partial ? estimateTokens(sent.input) : estimate;
      sentTokens = sentEstimate;
      const sending = {
        target,
        allowed,
        sent,
        sentEstimate,
        // One vector per input sent, cache or not (media audit F1: a reply short of vectors was
        // passed on when nothing came from the cache, its vectors no longer lining up).
        expect: missing.length,
        partial,
        // A call that timed out or was stopped with the inputs sent: charged them, estimated.
        inputCostUsd: (d: DeploymentConfig) => inputCostUsd(d, sentEstimate),
      };
      const served = await callOrWait(
        this.failover,
        snapshot.deployments,
        admitted,
        sentEstimate,
        record,
        () => embedWithFailover(this.failover, call, sending, record),
      );
      const { d, reply, vectors } = served;
      const upstream = reply.response;
      record.servedModel = upstream.model;
      // What the upstream was charged for: the inputs sent, not those the cache answered.
      // A count that is no count (fault audit F1) is none: the estimate stands.
      const reported = tokenCount(upstream.usage?.prompt_tokens);
      record.promptTokens = reported ?? sentEstimate;
      record.usageEstimated = reported === undefined && sentEstimate > 0;
      // A reply with no usage gets the router's estimate, as chat's does (media audit F8: it was
      // passed on without, and clients that read `usage.prompt_tokens` broke).
      if (reported === undefined)
        upstream.usage = { prompt_tokens: sentEstimate, total_tokens: sentEstimate };
      // Called by name, not routed: what it cost is the baseline (no savings claimed), plus
      // what the inputs answered from the cache cost when they were first answered.
      record.costUsd = inputCostUsd(d, record.promptTokens);
      record.baselineCostUsd =
        record.costUsd + hits.reduce((s, h) => s + (h?.vector.baselineCostUsd ?? 0), 0);
      if (partial) record.cache = 'partial';
      // And what members tried before it were charged (timed out with the inputs), at their own.
      chargeUnansweredCalls(record, sentEstimate);
      chargeFilterCalls(record, admit); // the content filter's moderation calls on the inputs
      policies?.settle?.(admit, {
        deployment: d,
        usage: {
          prompt_tokens: record.promptTokens,
          completion_tokens: 0,
          total_tokens: record.promptTokens,
        },
        costUsd: record.costUsd,
        status: 200,
        attempts: record.attempts,
      });
      if (plan && vectors) this.keep(plan, missing, items, d, upstream.model, record, vectors);
      const response: EmbeddingsResponse =
        partial && vectors
          ? {
              ...upstream,
              data: assembleVectors(
                hits.map((h) => h?.vector.embedding),
                vectors,
              ),
            }
          : upstream;
      finishRecord(this.deps, record, startedPerf, 200);
      return {
        response,
        headers: {
          ...servedHeaders(admitted, reply.headers, d, response.model, record),
          ...(plan ? { 'x-router-cache': record.cache ?? 'miss' } : {}),
        },
      };
    } catch (err) {
      // What was sent and not answered, and the content filter's calls, each at its deployment.
      finishFailedNamedRequest(this.deps, record, startedPerf, err, admit, sentTokens);
      throw err;
    }
  }

  /**
   * Every input answered from the cache: no embedding call, no cost but the content filter's
   * moderation calls, their first cost saved.
   */
  private answerFromCache(
    hits: VectorHit[],
    record: RequestRecord,
    startedPerf: number,
    admit: AdmitContext,
    admitted: { headers?: Record<string, string> },
  ): { response: EmbeddingsResponse; headers: Record<string, string> } {
    const first = hits[0]!;
    const response: EmbeddingsResponse = {
      object: 'list',
      data: assembleVectors(
        hits.map((h) => h.vector.embedding),
        [],
      ),
      model: first.vector.model,
      // Usage says what the upstream charged for this request: nothing.
      usage: { prompt_tokens: 0, total_tokens: 0 },
    };
    record.cache = 'hit';
    record.deployment = first.deployment.name;
    record.region = first.deployment.region;
    record.dataZone = first.deployment.dataZone;
    record.servedModel = first.vector.model;
    record.promptTokens = 0;
    record.costUsd = 0;
    record.baselineCostUsd = hits.reduce((s, h) => s + h.vector.baselineCostUsd, 0);
    chargeFilterCalls(record, admit); // the content filter's calls on the inputs, at theirs
    // No upstream tokens were used: the up-front TPM charge is handed back.
    this.deps.policies?.settle?.(admit, {
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      costUsd: record.costUsd,
      status: 200,
      attempts: record.attempts,
    });
    finishRecord(this.deps, record, startedPerf, 200);
    return {
      response,
      headers: {
        ...(admitted.headers ?? {}),
        'x-router-deployment': first.deployment.name,
        'x-router-model': first.vector.model,
        'x-router-region': first.deployment.region,
        'x-router-attempts': '0',
        'x-router-cache': 'hit',
        // The oldest vector's age: the reply is as old as its oldest part.
        age: String(Math.max(...hits.map((h) => h.ageSeconds))),
      },
    };
  }

  /**
   * Keeps each input answered upstream under its own key, with its share of the batch's tokens
   * and cost (shared by the inputs' estimated sizes), so a later hit saves what it cost.
   */
  private keep(
    plan: EmbeddingsCachePlan,
    missing: readonly number[],
    items: readonly EmbeddingItem[],
    d: DeploymentConfig,
    model: string,
    record: RequestRecord,
    vectors: readonly EmbeddingData[],
  ): void {
    const tokens = shareTokens(
      missing.map((i) => Math.max(1, estimateItemTokens(items[i]!))),
      record.promptTokens,
    );
    this.deps.answerCache!.embeddings.keep(
      plan,
      missing.map((position, j) => ({
        position,
        vector: {
          deployment: d.name,
          model,
          embedding: vectors[j]!.embedding,
          promptTokens: tokens[j]!,
          baselineCostUsd: inputCostUsd(d, tokens[j]!),
        },
      })),
    );
  }
}
