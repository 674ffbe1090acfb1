// `cache.semantic`: the semantic answer cache's settings, apart from schema.ts (which is long
// enough). Its cross-references (an embeddings deployment or pool, `cache.enabled`) are checked
// with the others in check-references.ts.
import { z } from 'zod';

export const SEMANTIC_CACHE_DEFAULTS = {
  enabled: false,
  minSimilarity: 0.95,
  maxEntries: 10_000,
  maxTextChars: 8_000,
  timeoutMs: 1_000,
} as const;

export const semanticCacheSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(SEMANTIC_CACHE_DEFAULTS.enabled)
      .describe(
        "After an exact-cache miss, answer a chat request from a kept answer to a request whose conversation text is close enough (cosine of their embeddings at least `minSimilarity`) and whose every other part is the same: tenant, key subset, model or router, routing mode, data zone and regions, and the body with its message texts left out (roles, turn count, tools, response_format, temperature, max tokens…). Needs `cache.enabled`. Costs one embedding call per lookup, added to the request's cost. Read per request, so a config reload applies at once.",
      ),
    embeddings: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The embedding deployment (`kind: embeddings`) or embeddings pool that embeds each conversation; required when `enabled`. Its circuit breaker, cool-downs and deployment rate limits apply; a failure or a timeout is a plain miss.',
      ),
    minSimilarity: z
      .number()
      .min(0)
      .max(1)
      .default(SEMANTIC_CACHE_DEFAULTS.minSimilarity)
      .describe(
        'The least cosine similarity (inclusive) at which a kept answer serves. Keep it high: a near-identical question with another number or name in it is another question.',
      ),
    maxEntries: z
      .number()
      .int()
      .positive()
      .default(SEMANTIC_CACHE_DEFAULTS.maxEntries)
      .describe(
        'Vectors kept per replica, least recently used dropped first. The index is in process on every replica (lookups never wait for Redis); with `state.kind: redis` each replica also learns the vectors the others keep, through a Redis stream trimmed to about this many entries, and a replica that starts loads it first. The answers themselves are in the answer cache. 10,000 vectors of 1,536 dimensions take about 67 MB on each replica (61.4 MB of them the vectors) and about 75 MB in Redis.',
      ),
    maxTextChars: z
      .number()
      .int()
      .positive()
      .default(SEMANTIC_CACHE_DEFAULTS.maxTextChars)
      .describe(
        'A conversation whose text (every turn, role-prefixed) is longer than this is not looked up or kept semantically (only exactly).',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(SEMANTIC_CACHE_DEFAULTS.timeoutMs)
      .describe(
        'How long the embedding call may take before the lookup is given up (a miss; the request goes on upstream).',
      ),
  })
  .default(SEMANTIC_CACHE_DEFAULTS)
  .describe(
    'Semantic answer cache (off by default): near-identical conversations share an answer. Replies say `x-router-cache: semantic` and `x-router-cache-similarity`.',
  );

export type SemanticCacheConfig = z.infer<typeof semanticCacheSchema>;
