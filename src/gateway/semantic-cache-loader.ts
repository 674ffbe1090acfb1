// The semantic cache, imported and built the first time a request finds `cache.semantic.enabled`
// on, never before: a router that leaves it off loads none of its code and holds no index.
import type { AnswerCache } from './answer-cache.js';
import type { SemanticCache, SemanticCacheDeps } from './semantic-cache.js';

/** Builds the chat gateway's semantic cache once, on first use, and says how full it is. */
export class SemanticCacheLoader {
  private loading?: Promise<SemanticCache>;
  private built?: SemanticCache;

  constructor(private readonly deps: Omit<SemanticCacheDeps, 'answerCache'>) {}

  /** Vectors in the semantic cache's index on this replica (undefined until it is first used). */
  get entries(): number | undefined {
    return this.built?.entries;
  }

  /**
   * Builds it now (the config turned it on) and resolves once its index holds the other
   * replicas' entries kept in Redis, so a replica starts warm.
   */
  async warm(answerCache: AnswerCache): Promise<void> {
    await (
      await this.load(answerCache)
    ).caughtUp;
  }

  /**
   * Clears the index once the answer cache was cleared: this replica's, and with Redis every
   * replica's and the shared stream's, built or not here (`ttlMs`: the answers' TTL).
   */
  async clear(ttlMs: number): Promise<void> {
    this.built?.forget();
    await this.deps.semanticFeed?.clear(ttlMs);
  }

  /** The semantic cache over `answerCache`, imported and built on the first call. */
  load(answerCache: AnswerCache): Promise<SemanticCache> {
    return (this.loading ??= import('./semantic-cache.js')
      .then(({ SemanticCache }) => new SemanticCache({ ...this.deps, answerCache }))
      .then((built) => (this.built = built)));
  }
}
