// The semantic answer cache (`cache.semantic`): after an exact-cache miss, a chat request whose
// conversation reads nearly the same as one answered before (cosine of their embeddings at least
// `minSimilarity`) and whose every other part is the same (the partition, ./semantic-request.ts)
// is answered with that one's kept answer. The answers stay in the answer cache's store (shared
// in Redis); the index of vectors is in process (./semantic-index.ts), and with Redis each
// replica's index also learns the others' vectors (./shared-semantic-index.ts). The chat gateway
// imports this module only once the feature is on, so it costs nothing while off.
import { anySignal, type ClearableSignal } from 'any-signal';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ConfigHolder, RuntimeConfig } from '../config/runtime-config.js';
import type { RoutingMode } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { GatewayError } from '../core/errors.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { AttemptRecord } from '../store/request-record.js';
import type { RequestNeeds } from '../routing/eligibility.js';
import type { AnswerCache, CacheHit, CachePlan } from './answer-cache.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { callEmbeddings } from './tracked-call.js';
import { inputCostUsd, tokenCount } from './cost.js';
import type { DeploymentLoad } from './deployment-load.js';
import { abortedAttempt, failedAttempt, toGatewayError } from './attempt-records.js';
import { timeoutError } from './with-timeout.js';
import type { ChatCall, GatewayPolicies, Target } from './gateway-types.js';
import { PoolBalancer } from './pool-order.js';
import { SemanticIndex, unitVector } from './semantic-index.js';
import type { SemanticIndexFeed, SharedIndexEntry } from './shared-semantic-index.js';
import { splitSemanticRequest } from './semantic-request.js';

/** Where lookups that could not embed are told: each at debug, at most one a minute at warn. */
export interface SemanticCacheLog {
  debug(message: string): void;
  warn(message: string): void;
}

export interface SemanticCacheDeps {
  config: ConfigHolder;
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  breakers: CircuitBreakers;
  clock: Clock;
  load: DeploymentLoad;
  answerCache: AnswerCache;
  policies?: GatewayPolicies;
  log?: SemanticCacheLog;
  /** The other replicas' vectors (`state.kind: redis`); without it the index is this replica's. */
  semanticFeed?: SemanticIndexFeed;
}

/** One request's semantic lookup, once its conversation was embedded. */
export interface SemanticLookup {
  /** What the embedding call cost: part of the request's cost, hit or miss. */
  costUsd: number;
  /**
   * The embedding upstream sent no usage, so `costUsd` rests on the router's estimate of its
   * tokens: the request's record says `usageEstimated`, hit or miss.
   */
  usageEstimated: boolean;
  /**
   * The embedding call as the request's record lists it (`lookup`), so that its cost counts at
   * the embedding deployment that made it (cost.ts noteLookupCall), hit, miss or failure.
   */
  call: AttemptRecord;
  /** A kept answer that may serve the request (`hit.semantic` says how near). */
  hit?: CacheHit;
  /** Indexes this request's vector under its own exact key, once its answer is kept there. */
  remember(): void;
}

/** What one lookup needs from the chat gateway. */
export interface SemanticLookupArgs {
  snapshot: RuntimeConfig;
  plan: CachePlan;
  call: ChatCall;
  request: ChatRequest;
  target: Target;
  mode: RoutingMode | undefined;
  zone: { dataZone?: string; regions?: ReadonlySet<string> };
  needs: RequestNeeds;
}

const WARN_INTERVAL_MS = 60_000;

export class SemanticCache {
  private readonly index: SemanticIndex;
  private readonly pools: PoolBalancer;
  private lastWarnAt = -Infinity;
  private unwarned = 0;
  /** Resolves once the other replicas' entries in Redis at start are in the index. */
  readonly caughtUp: Promise<void>;

  constructor(private readonly deps: SemanticCacheDeps) {
    this.index = new SemanticIndex(deps.config.current.config.cache.semantic.maxEntries);
    this.pools = new PoolBalancer(deps.load);
    const tail = deps.semanticFeed?.follow(
      (entry) => this.learn(entry),
      () => this.index.clear(),
    );
    this.caughtUp = tail?.caughtUp ?? Promise.resolve();
    // A reload that turns it off frees the vectors; a new bound applies at once. Turned on
    // again, the index reads the shared entries from the start.
    deps.config.onChange((next, previous) => {
      const on = (c: typeof next) => c.config.cache.enabled && c.config.cache.semantic.enabled;
      if (!on(next)) return this.index.clear();
      this.index.resize(next.config.cache.semantic.maxEntries);
      if (!on(previous)) tail?.rewind();
    });
  }

  /** Vectors in this replica's index. */
  get entries(): number {
    return this.index.size;
  }

  /** Drops every vector of this replica's index (the answer cache was cleared). */
  forget(): void {
    this.index.clear();
  }

  /** Another replica's entry: indexed while the feature is on and its answer lives. */
  private learn(entry: SharedIndexEntry): void {
    const { cache } = this.deps.config.current.config;
    if (!cache.enabled || !cache.semantic.enabled) return;
    if (entry.expiresAt <= this.deps.clock.now()) return;
    this.index.add(entry.partition, entry.key, entry.vector, entry.expiresAt);
  }

  /**
   * Embeds the request's conversation and looks for a near one in its partition. Undefined when
   * it is not looked up (too long) or the embedding call failed: a plain miss either way. An
   * answer with no usable vector is a miss with the call's cost (it was made and billed), and so
   * is a call stopped with the conversation sent (its deadline, the client leaving).
   */
  async lookup(args: SemanticLookupArgs): Promise<SemanticLookup | undefined> {
    const { snapshot, plan, call, target } = args;
    const settings = snapshot.config.cache.semantic;
    if (settings.embeddings === undefined) return undefined;
    const { partition, text } = splitSemanticRequest(
      call,
      args.request,
      target,
      args.mode,
      args.zone,
      settings.embeddings,
    );
    if (text.length > settings.maxTextChars) return undefined;
    const embedded = await this.embed(snapshot, settings.embeddings, text, call);
    if (!embedded) return undefined;
    const { vector, costUsd, usageEstimated, call: made } = embedded;
    // Nothing to look for, nor to index under this request's key; the call is paid all the same.
    if (!vector) return { costUsd, usageEstimated, call: made, remember: () => {} };
    const remember = () => {
      const now = this.deps.clock.now();
      const entry = { partition, key: plan.key, vector, expiresAt: now + plan.ttlMs };
      this.index.add(entry.partition, entry.key, entry.vector, entry.expiresAt);
      this.deps.semanticFeed?.publish(entry, settings.maxEntries, now);
    };
    const near = this.index.nearest(
      partition,
      vector,
      settings.minSimilarity,
      this.deps.clock.now(),
    );
    // The neighbour's answer is read as an exact hit on its key would be: fresh enough for this
    // request (max-age), from a deployment still eligible for it.
    const hit =
      near &&
      (await this.deps.answerCache.lookup(
        { ...plan, key: near.key },
        snapshot,
        call,
        target,
        args.needs,
      ));
    if (!hit) return { costUsd, usageEstimated, call: made, remember };
    return {
      costUsd,
      usageEstimated,
      call: made,
      hit: {
        ...hit,
        semantic: { similarity: near.similarity, costUsd, usageEstimated, call: made },
      },
      remember,
    };
  }

  /**
   * One call to the embedding deployment, or to the first of the pool's healthy members in its
   * strategy's order, under its circuit breaker and deployment rate limit, within `timeoutMs`;
   * with no `vector` when the answer held none usable or the call was stopped after it was sent
   * (its input's cost is spent all the same).
   */
  private async embed(
    snapshot: RuntimeConfig,
    name: string,
    text: string,
    call: ChatCall,
  ): Promise<
    | { vector?: Float32Array; costUsd: number; usageEstimated: boolean; call: AttemptRecord }
    | undefined
  > {
    const { breakers, clock } = this.deps;
    const pool = snapshot.pools.get(name);
    const ready = (pool ? pool.deployments : [name])
      .map((member) => snapshot.deployments.get(member))
      .filter(
        (d): d is DeploymentConfig =>
          d?.kind === 'embeddings' && breakers.allows(d.name) && !breakers.coolingDown(d.name),
      );
    const d = (pool ? this.pools.order(pool, ready) : ready)[0];
    if (!d) return this.missed(`${name}: no embedding deployment is available (circuit open)`);
    const adapter = this.deps.adapters.adapterFor(d);
    if (!adapter.embed) return this.missed(`${d.name}'s provider serves no embeddings`);
    const estimate = Math.ceil(text.length / 4);
    const t0 = clock.perfNow();
    // Past the deployment's rate limit: the upstream was called.
    let called = false;
    const timeoutMs = snapshot.config.cache.semantic.timeoutMs;
    let deadline: AbortSignal | undefined;
    // The call's signal lives as long as a Responses WebSocket connection (each turn's call has
    // it): linked by a listener taken off once the lookup ends (any-signal), where
    // AbortSignal.any hung a composite on it that Node 20 kept until the connection ended.
    let signal: ClearableSignal | undefined;
    try {
      await this.deps.policies?.consumeDeployment?.(d, estimate);
      called = true;
      deadline = AbortSignal.timeout(timeoutMs);
      signal = anySignal([call.signal, deadline]);
      const { response } = await callEmbeddings(
        this.deps,
        adapter,
        {
          deployment: d,
          body: { model: d.model, input: text },
          signal,
          requestId: call.requestId,
        },
        t0,
      );
      breakers.success(d.name);
      const vector = readVector(response.data[0]?.embedding);
      if (!vector) this.missed(`${d.name} answered no usable vector`);
      // Without the upstream's usage, its tokens (and so the cost) are the router's estimate.
      const reported = tokenCount(response.usage?.prompt_tokens);
      const counted = reported ?? estimate;
      // The deployment's TPM took the estimate: corrected with the upstream's usage, as a chat
      // attempt's is when its request settles.
      const total = tokenCount(response.usage?.total_tokens) ?? reported;
      if (typeof total === 'number' && total !== estimate)
        this.deps.policies?.settleDeployment?.(d, estimate, total);
      const costUsd = inputCostUsd(d, counted);
      return {
        vector,
        costUsd,
        usageEstimated: typeof reported !== 'number' && estimate > 0,
        call: {
          deployment: d.name,
          model: d.model,
          outcome: 'ok',
          latencyMs: clock.perfNow() - t0,
          costUsd,
          lookup: 'semantic_cache',
        },
      };
    } catch (err) {
      const latencyMs = clock.perfNow() - t0;
      // Stopped with the conversation sent (its deadline, the client leaving): a miss that is paid
      // for, as a chat attempt stopped so is charged its prompt (execute-with-failover.ts); before,
      // a call made and billed, counted nowhere. A client that left says nothing of the upstream.
      const stopped = !called
        ? undefined
        : call.signal.aborted
          ? abortedAttempt(d, call.signal, latencyMs)
          : deadline?.aborted
            ? failedAttempt(breakers, d, lookupTimeout(d, timeoutMs), latencyMs)
            : undefined;
      if (stopped) {
        this.missed(`${d.name}: ${stopped.errorMessage ?? stopped.errorCode}`);
        const costUsd = inputCostUsd(d, estimate);
        return {
          costUsd,
          usageEstimated: estimate > 0,
          call: { ...stopped, costUsd, lookup: 'semantic_cache' },
        };
      }
      const e = toGatewayError(err);
      if (called && !call.signal.aborted) failedAttempt(breakers, d, e, latencyMs);
      return this.missed(`${d.name}: ${e.message}`);
    } finally {
      signal?.clear();
    }
  }

  private missed(reason: string): undefined {
    const message = `semantic cache: could not embed the conversation, a miss (${reason})`;
    const log = this.deps.log;
    log?.debug(message);
    const now = this.deps.clock.now();
    if (now - this.lastWarnAt < WARN_INTERVAL_MS) {
      this.unwarned++;
      return undefined;
    }
    const more = this.unwarned ? `; ${this.unwarned} more since the last warning` : '';
    log?.warn(message + more);
    this.lastWarnAt = now;
    this.unwarned = 0;
    return undefined;
  }
}

/** The lookup's embedding call past `cache.semantic.timeoutMs`: a 504 as a chat deadline's. */
function lookupTimeout(d: DeploymentConfig, timeoutMs: number): GatewayError {
  return timeoutError(
    d,
    'upstream_timeout',
    `no embedding within ${timeoutMs} ms (cache.semantic.timeoutMs)`,
  );
}

/** A reply's vector as a unit Float32Array: floats, or base64 of little-endian float32s. */
function readVector(embedding: unknown): Float32Array | undefined {
  if (Array.isArray(embedding))
    return embedding.every((x) => typeof x === 'number') ? unitVector(embedding) : undefined;
  if (typeof embedding !== 'string') return undefined;
  const bytes = Buffer.from(embedding, 'base64');
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  const floats = new Float32Array(bytes.length / 4);
  for (let i = 0; i < floats.length; i++) floats[i] = bytes.readFloatLE(i * 4);
  return unitVector(floats);
}
