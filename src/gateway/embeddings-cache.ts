// The answer cache for `/v1/embeddings`, one entry per input: a batch with one new input sends
// only that input upstream and takes the rest from the cache. An input's key is everything else
// that decides its vector: tenant, key subset, the model or pool called, and the body's other
// fields (`dimensions`, `encoding_format`, any a compatible server reads), but not `user`, which
// names who asked, not what. Vectors are kept as the upstream sent them (floats or base64), so
// `encoding_format` is part of the key rather than converted.
import type { Config } from '../config/schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { Clock } from '../core/clock.js';
import type { EmbeddingsRequest } from '../core/wire-types.js';
import type { AnswerCacheStore } from '../store/answer-cache-store.js';
import {
  freshAge,
  parseEntry,
  requestCacheControls,
  type CacheControls,
} from './cache-controls.js';
import { hashKey, targetKey } from './cache-key.js';
import { embeddingItems } from '../core/prompt-text.js';
import { targetMembers, type ChatCall, type Target } from './gateway-types.js';
import { keyAllowsDeployment } from './request-target.js';

/** One input's kept vector, as the upstream sent it, and whence. */
export interface CachedVector {
  deployment: string;
  /** The model the upstream named in its reply. */
  model: string;
  /** Epoch ms when it was kept. */
  storedAt: number;
  embedding: number[] | string;
  /** This input's share of its batch's prompt tokens, and what that cost (a hit's saving). */
  promptTokens: number;
  baselineCostUsd: number;
}

export interface VectorHit {
  vector: CachedVector;
  deployment: DeploymentConfig;
  ageSeconds: number;
}

/** One embeddings request's use of the cache. */
export interface EmbeddingsCachePlan extends CacheControls {
  /** One key per input, in the request's order. */
  keys: string[];
  ttlMs: number;
  /** Per entry: one input's vector. */
  maxEntryBytes: number;
}

export class EmbeddingsCache {
  constructor(
    private readonly store: AnswerCacheStore,
    private readonly clock: Clock,
  ) {}

  /** The keys of the request's inputs (after redaction) and its directives. */
  plan(
    config: Config['cache'],
    call: Pick<ChatCall, 'auth' | 'headers'>,
    request: EmbeddingsRequest,
    target: Target,
  ): EmbeddingsCachePlan {
    // `model` is named by the target; `user` and `input` are not part of the shared head.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { input, model, user, ...rest } = request;
    // The head is serialised once, keys sorted; each input adds only its own text to hash (a
    // string or an array of numbers: no keys to sort).
    const head = canonicalJson([
      'embedding',
      2,
      call.auth.tenant,
      call.auth.modelSubset ?? null,
      targetKey(target),
      rest,
    ]);
    return {
      keys: embeddingItems(input).map((item) => hashKey(head + JSON.stringify(item))),
      ...requestCacheControls(call),
      ttlMs: config.ttlSeconds * 1000,
      maxEntryBytes: config.maxEntryBytes,
    };
  }

  /**
   * The kept vector of each input, in one store round trip, where one may serve now: young enough
   * and from a deployment of the target the key may still use. Undefined where not.
   */
  async lookup(
    plan: EmbeddingsCachePlan,
    snapshot: RuntimeConfig,
    call: ChatCall,
    target: Target,
  ): Promise<(VectorHit | undefined)[]> {
    if (!plan.read || plan.keys.length === 0) return plan.keys.map(() => undefined);
    const texts = await this.store.getMany(plan.keys);
    const now = this.clock.now();
    const usable = new Map<string, DeploymentConfig | undefined>();
    const usableDeployment = (name: string) => {
      if (!usable.has(name)) {
        const d = snapshot.deployments.get(name);
        const ok =
          d?.kind === 'embeddings' &&
          targetMembers(target).includes(d.name) &&
          keyAllowsDeployment(call, target, d.name);
        usable.set(name, ok ? d : undefined);
      }
      return usable.get(name);
    };
    return plan.keys.map((_, i) => {
      const vector = parseEntry<CachedVector>(texts[i], isVector);
      if (!vector) return undefined;
      const ageSeconds = freshAge(plan, vector.storedAt, now);
      if (ageSeconds === undefined) return undefined;
      const deployment = usableDeployment(vector.deployment);
      return deployment && { vector, deployment, ageSeconds };
    });
  }

  /**
   * Keeps the vectors of inputs answered upstream (by their position in the request), each in one
   * entry, stamped now, in one store round trip; one larger than `maxEntryBytes` is not kept.
   * Never waits and never throws.
   */
  keep(
    plan: EmbeddingsCachePlan,
    answered: readonly { position: number; vector: Omit<CachedVector, 'storedAt'> }[],
  ): void {
    if (!plan.write) return;
    const storedAt = this.clock.now();
    const entries: [string, string][] = [];
    for (const { position, vector } of answered) {
      const key = plan.keys[position];
      const value = JSON.stringify({ ...vector, storedAt });
      if (key !== undefined && value.length <= plan.maxEntryBytes) entries.push([key, value]);
    }
    if (entries.length) this.store.setMany(entries, plan.ttlMs).catch(() => undefined);
  }
}

/** A kept vector's shape, checked on what the store gives back. */
function isVector(v: Record<string, unknown>): boolean {
  return (
    typeof v.deployment === 'string' &&
    typeof v.model === 'string' &&
    typeof v.storedAt === 'number' &&
    typeof v.promptTokens === 'number' &&
    typeof v.baselineCostUsd === 'number' &&
    (typeof v.embedding === 'string' || Array.isArray(v.embedding))
  );
}
