// The exact-match answer cache (config `cache`): a request the same as one answered before is
// answered again from the cache, at no upstream cost. "The same" is the caller's tenant and key
// subset, the model or router asked for, the routing mode, the data zone and regions, and the
// body (`stream` and `stream_options` aside: a stream can be answered from a JSON answer and the
// other way round). A kept answer serves only while its deployment would still be eligible for
// the request (subset, key, zone, capabilities): a config change never serves around itself.
import { createHash } from 'node:crypto';
import type { Config, RoutingMode } from '../config/schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Clock } from '../core/clock.js';
import { isObject } from '../core/is-object.js';
import type {
  ChatRequest,
  ChatResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
} from '../core/wire-types.js';
import { checkEligibility, type RequestNeeds } from '../routing/eligibility.js';
import type { AnswerCacheStore } from '../store/answer-cache-store.js';
import type { RequestRecord } from '../store/request-record.js';
import { targetMembers, targetName, type ChatCall, type Target } from './gateway-types.js';
import { headerValue, keyAllowsDeployment } from './request-target.js';

/** What the cache did for a request (the `x-router-cache` header and the request log's `cache`). */
export type CacheStatus = NonNullable<RequestRecord['cache']>;

/** One request's use of the cache. */
export interface CachePlan {
  key: string;
  /** False with `Cache-Control: no-cache` or `no-store`. */
  read: boolean;
  /** False with `Cache-Control: no-store`. */
  write: boolean;
  /** `Cache-Control: max-age=N`: the oldest answer the client takes, in seconds. */
  maxAgeSeconds?: number;
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

/** Kept vectors: the upstream's embeddings response as it came, and whence. */
export interface CachedEmbeddings {
  deployment: string;
  storedAt: number;
  /** What the request cost when it was answered (the saving of a hit). */
  baselineCostUsd: number;
  response: EmbeddingsResponse;
}

export interface CacheHit {
  answer: CachedAnswer;
  deployment: DeploymentConfig;
  ageSeconds: number;
}

export class AnswerCache {
  constructor(
    private readonly store: AnswerCacheStore,
    private readonly clock: Clock,
  ) {}

  /** Where answers are kept, and the lookups and writes it could not do (Redis down or slow). */
  status(): { store: 'memory' | 'redis'; failures: number } {
    return { store: this.store.kind, failures: this.store.failures };
  }

  /** Drops every kept answer (on every replica when they share Redis); how many there were. */
  clear(): Promise<number> {
    return this.store.clear();
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
    return planFor(config, call, [
      1,
      call.auth.tenant,
      call.auth.modelSubset ?? null,
      targetKey(target),
      mode ?? null,
      zone.dataZone ?? null,
      zone.regions ? [...zone.regions].sort() : null,
      body,
    ]);
  }

  /**
   * The cache's part in an embeddings request: the same tenant, key subset, model or pool and
   * body (inputs, dimensions, encoding) make the same vectors.
   */
  embeddingsPlan(
    config: Config['cache'],
    call: Pick<ChatCall, 'auth' | 'headers'>,
    request: EmbeddingsRequest,
    target: Target,
  ): CachePlan {
    return planFor(config, call, [
      'embeddings',
      1,
      call.auth.tenant,
      call.auth.modelSubset ?? null,
      targetKey(target),
      request,
    ]);
  }

  /** Kept vectors that may serve this request now: their deployment is still one the key may use. */
  async lookupEmbeddings(
    plan: CachePlan,
    snapshot: RuntimeConfig,
    call: ChatCall,
    target: Target,
  ): Promise<
    { answer: CachedEmbeddings; deployment: DeploymentConfig; ageSeconds: number } | undefined
  > {
    if (!plan.read) return undefined;
    const answer = parseEntry<CachedEmbeddings>(await this.store.get(plan.key), 'data');
    if (!answer) return undefined;
    const ageSeconds = this.freshAge(plan, answer.storedAt);
    if (ageSeconds === undefined) return undefined;
    const deployment = snapshot.deployments.get(answer.deployment);
    if (
      !deployment ||
      deployment.kind !== 'embeddings' ||
      !targetMembers(target).includes(deployment.name) ||
      !keyAllowsDeployment(call, target, deployment.name)
    )
      return undefined;
    return { answer, deployment, ageSeconds };
  }

  /** Keeps the vectors of an answered embeddings request (unless too large, or told not to). */
  keepEmbeddings(plan: CachePlan, answer: Omit<CachedEmbeddings, 'storedAt'>): void {
    this.put(plan, answer);
  }

  /** Writes an entry, stamped now, unless the plan says not to or it is too large; never throws. */
  private put(plan: CachePlan, entry: object): void {
    if (!plan.write) return;
    const value = JSON.stringify({ ...entry, storedAt: this.clock.now() });
    if (value.length > plan.maxEntryBytes) return;
    this.store.set(plan.key, value, plan.ttlMs).catch(() => undefined);
  }

  /** The age in seconds of an entry stored at `storedAt`, if it may still serve under `plan`. */
  private freshAge(plan: CachePlan, storedAt: number): number | undefined {
    const ageMs = this.clock.now() - storedAt;
    // The store expires entries itself; this also holds when the TTL was shortened since.
    if (ageMs >= plan.ttlMs) return undefined;
    const ageSeconds = Math.max(0, Math.floor(ageMs / 1000));
    if (plan.maxAgeSeconds !== undefined && ageSeconds > plan.maxAgeSeconds) return undefined;
    return ageSeconds;
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
    const answer = parseEntry<CachedAnswer>(await this.store.get(plan.key), 'choices');
    if (!answer) return undefined;
    const ageSeconds = this.freshAge(plan, answer.storedAt);
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
   * plan says not to or it is larger than `maxEntryBytes`. Never waits and never throws.
   */
  keep(plan: CachePlan, answer: Omit<CachedAnswer, 'storedAt'>): void {
    const choices = answer.response.choices;
    if (choices.length === 0) return;
    if (choices.some((c) => !c.finish_reason || c.finish_reason === 'content_filter')) return;
    this.put(plan, answer);
  }
}

/** The part of a cache key that names what was called. */
function targetKey(target: Target): string {
  return target.kind === 'deployment'
    ? target.deployment.name
    : `${target.kind}:${targetName(target)}`;
}

/** A plan for `material` (what makes two requests the same), with the request's directives. */
function planFor(
  config: Config['cache'],
  call: Pick<ChatCall, 'auth' | 'headers'>,
  material: unknown[],
): CachePlan {
  // A key that opted out is neither served from the cache nor kept in it, as with no-store.
  const controls = call.auth.noCache
    ? { read: false, write: false }
    : cacheControls(headerValue(call as ChatCall, 'cache-control'));
  return {
    key: createHash('sha256').update(JSON.stringify(material)).digest('base64url'),
    ...controls,
    ttlMs: config.ttlSeconds * 1000,
    maxEntryBytes: config.maxEntryBytes,
  };
}

/** `Cache-Control` request directives the cache honours: no-store, no-cache, max-age. */
export function cacheControls(
  header: string | undefined,
): Pick<CachePlan, 'read' | 'write' | 'maxAgeSeconds'> {
  let read = true;
  let write = true;
  let maxAgeSeconds: number | undefined;
  for (const part of (header ?? '').split(',')) {
    const [name = '', value] = part.trim().toLowerCase().split('=');
    if (name === 'no-store') read = write = false;
    else if (name === 'no-cache') read = false;
    else if (name === 'max-age' && value !== undefined && /^\d+$/.test(value))
      maxAgeSeconds = Number(value);
  }
  return { read, write, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
}

/**
 * A stored entry read back loosely: anything not shaped like a kept answer (its response's
 * `choices`) or kept vectors (`data`) is a miss.
 */
function parseEntry<T>(text: string | undefined, list: 'choices' | 'data'): T | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (
      isObject(v) &&
      typeof v.deployment === 'string' &&
      typeof v.storedAt === 'number' &&
      typeof v.baselineCostUsd === 'number' &&
      isObject(v.response) &&
      Array.isArray(v.response[list])
    )
      return v as unknown as T;
  } catch {
    // not JSON: a miss
  }
  return undefined;
}
