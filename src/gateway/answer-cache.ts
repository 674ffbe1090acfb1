// The exact-match answer cache (config `cache`): a request the same as one answered before is
// answered again from the cache, at no upstream cost. "The same" is the caller's tenant and key
// subset, the model or router asked for, the routing mode, the data zone and regions, and the
// body (`stream` and `stream_options` aside: a stream can be answered from a JSON answer and the
// other way round; object keys in any order, arrays in theirs). A kept answer serves only while
// its deployment would still be eligible for the request (subset, key, zone, capabilities): a
// config change never serves around itself.
// Embeddings are kept per input (./embeddings-cache.ts) in the same store; the semantic cache
// (./semantic-cache.ts) serves kept chat answers to near-identical conversations.
import type { Config, RoutingMode } from '../config/schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { isObject } from '../core/is-object.js';
import { WEB_SEARCH_TOOL_FIELD, type ChatRequest, type ChatResponse } from '../core/wire-types.js';
import { checkEligibility, type RequestNeeds } from '../routing/eligibility.js';
import type { AnswerCacheStore } from '../store/answer-cache-store.js';
import type { AttemptRecord, RequestRecord } from '../store/request-record.js';
import {
  freshAge,
  parseEntry,
  requestCacheControls,
  type CacheControls,
} from './cache-controls.js';
import { answerScope, cacheKey } from './cache-key.js';
import { webSearchOptions } from '../core/web-search.js';
import { EmbeddingsCache } from './embeddings-cache.js';
import { targetMembers, type ChatCall, type Target } from './gateway-types.js';
import { keyAllowsDeployment } from './request-target.js';

/** What the cache did for a request (the `x-router-cache` header and the request log's `cache`). */
export type CacheStatus = NonNullable<RequestRecord['cache']>;

/** One request's use of the cache. */
export interface CachePlan extends CacheControls {
  key: string;
  ttlMs: number;
  maxEntryBytes: number;
}

/** A kept answer: the upstream's response as it came (before output filters), and whence. */
export interface CachedAnswer {
  deployment: string;
  /** Epoch ms when it was kept. */
  storedAt: number;
  /** What the request cost on the router's top model when it was answered (savings of a hit). */
  baselineCostUsd: number;
  response: ChatResponse;
}

export interface CacheHit {
  answer: CachedAnswer;
  deployment: DeploymentConfig;
  ageSeconds: number;
  /**
   * A semantic hit (./semantic-cache.ts): how near the conversations are, what embedding cost,
   * whether that cost rests on the router's token estimate (the upstream sent no usage), and the
   * embedding call as the record lists it.
   */
  semantic?: { similarity: number; costUsd: number; usageEstimated: boolean; call: AttemptRecord };
}

export class AnswerCache {
  /** Embedding vectors, one entry per input, in the same store. */
  readonly embeddings: EmbeddingsCache;
  /** What runs after each clear (whenCleared). */
  private readonly onCleared: (() => Promise<void>)[] = [];

  constructor(
    private readonly store: AnswerCacheStore,
    private readonly clock: Clock,
  ) {
    this.embeddings = new EmbeddingsCache(store, clock);
  }

  /** Where answers are kept, and the lookups and writes it could not do (Redis down or slow). */
  status(): { store: 'memory' | 'redis'; failures: number } {
    return { store: this.store.kind, failures: this.store.failures };
  }

  /**
   * Drops every kept answer (on every replica when they share Redis), then tells what indexes
   * them (the semantic cache); how many answers there were. Throws when the store does not answer.
   */
  async clear(): Promise<number> {
    const deleted = await this.store.clear();
    for (const cleared of this.onCleared) await cleared();
    return deleted;
  }

  /** `cleared` runs after each clear; a rejection fails the clear (the caller may try again). */
  whenCleared(cleared: () => Promise<void>): void {
    this.onCleared.push(cleared);
  }

  /** The cache's part in this request (the caller checks that the cache is on). */
  plan(
    config: Config['cache'],
    call: ChatCall,
    request: ChatRequest,
    target: Target,
    mode: RoutingMode | undefined,
    zone: { dataZone?: string; regions?: ReadonlySet<string> },
  ): CachePlan {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { stream, stream_options, ...body } = request;
    return {
      key: cacheKey([1, ...answerScope(call, target, mode, zone), body]),
      // A web search asks what the web says now: never answered from the cache, nor kept in it;
      // nor is a request that offers the model a search tool (the Responses API's hosted web search).
      ...(webSearchOptions(request) || request[WEB_SEARCH_TOOL_FIELD] !== undefined
        ? { read: false, write: false }
        : requestCacheControls(call)),
      ttlMs: config.ttlSeconds * 1000,
      maxEntryBytes: config.maxEntryBytes,
    };
  }

  /** A kept answer that may serve this request now, if there is one. */
  async lookup(
    plan: CachePlan,
    snapshot: RuntimeConfig,
    call: ChatCall,
    target: Target,
    needs: RequestNeeds,
  ): Promise<CacheHit | undefined> {
    if (!plan.read) return undefined;
    const answer = parseEntry<CachedAnswer>(await this.store.get(plan.key), isAnswer);
    if (!answer) return undefined;
    const ageSeconds = freshAge(plan, answer.storedAt, this.clock.now());
    if (ageSeconds === undefined) return undefined;
    const deployment = snapshot.deployments.get(answer.deployment);
    if (!deployment) return undefined;
    if (!targetMembers(target).includes(deployment.name)) return undefined;
    // Eligible as a pick would be, but for upstream health and headroom: no upstream is called.
    const { eligible } = checkEligibility([deployment], needs, {
      circuitAllows: () => true,
      keyAllows: (name) => keyAllowsDeployment(call, target, name),
    });
    return eligible.length === 1 ? { answer, deployment, ageSeconds } : undefined;
  }

  /**
   * Keeps a whole answer (every choice finished, none stopped by a content filter), unless the
   * plan says not to or it is larger than `maxEntryBytes`; whether it was sent to the store.
   * Never waits and never throws.
   */
  keep(plan: CachePlan, answer: Omit<CachedAnswer, 'storedAt'>): boolean {
    const choices = answer.response.choices;
    if (choices.length === 0) return false;
    if (choices.some((c) => !c.finish_reason || c.finish_reason === 'content_filter')) return false;
    if (!plan.write) return false;
    const value = JSON.stringify({ ...answer, storedAt: this.clock.now() });
    if (value.length > plan.maxEntryBytes) return false;
    this.store.set(plan.key, value, plan.ttlMs).catch(() => undefined);
    return true;
  }
}

/** A kept answer's shape, checked on what the store gives back. */
function isAnswer(v: Record<string, unknown>): boolean {
  return (
    typeof v.deployment === 'string' &&
    typeof v.storedAt === 'number' &&
    typeof v.baselineCostUsd === 'number' &&
    isObject(v.response) &&
    Array.isArray(v.response.choices)
  );
}
