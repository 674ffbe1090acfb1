// The semantic cache's index, in process (one per replica; with Redis it also holds the vectors
// the other replicas kept, ./shared-semantic-index.ts): unit vectors grouped by partition
// (what must match exactly), each naming the answer-cache key of the answer it stands for. A
// lookup is brute force over one partition (dot products of unit Float32Arrays: the cosine),
// which at 10,000 entries of 1,536 dimensions is ≈15 M multiply-adds at worst, and usually far
// fewer since partitions split the entries. Bounded by entries, least recently used dropped first:
// each entry is its vector (4 bytes a dimension: 6 KB at 1,536) and ≈0.6 KB of bookkeeping, so
// 10,000 entries of 1,536 dimensions take ≈67 MB (61.4 MB of vectors; measured with --expose-gc).

interface IndexEntry {
  key: string;
  partition: string;
  vector: Float32Array;
  /** Epoch ms after which the answer it stands for has left the answer cache (its TTL). */
  expiresAt: number;
}

export interface Neighbour {
  /** The answer-cache key of the kept answer. */
  key: string;
  /** Cosine similarity, in [-1, 1]. */
  similarity: number;
}

/** `vector` scaled to unit length in a new Float32Array; undefined for a zero or non-finite one. */
export function unitVector(vector: ArrayLike<number>): Float32Array | undefined {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i]! * out[i]!;
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return out;
}

export class SemanticIndex {
  /** Every entry by key, oldest use first (a Map keeps insertion order: re-set on use). */
  private readonly byKey = new Map<string, IndexEntry>();
  private readonly partitions = new Map<string, Map<string, IndexEntry>>();

  constructor(private maxEntries: number) {}

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The nearest live entry of `partition` to the unit vector `query`, if its similarity is at
   * least `minSimilarity` (inclusive). A hit counts as a use; expired entries met are dropped.
   */
  nearest(
    partition: string,
    query: Float32Array,
    minSimilarity: number,
    now: number,
  ): Neighbour | undefined {
    const entries = this.partitions.get(partition);
    if (!entries) return undefined;
    let best: IndexEntry | undefined;
    let bestSimilarity = -Infinity;
    for (const entry of entries.values()) {
      if (entry.expiresAt <= now) {
        this.delete(entry.key);
        continue;
      }
      const v = entry.vector;
      // Vectors of another length (the embedding model changed its dimensions) never compare.
      if (v.length !== query.length) continue;
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * query[i]!;
      if (dot > bestSimilarity) {
        bestSimilarity = dot;
        best = entry;
      }
    }
    if (!best || bestSimilarity < minSimilarity) return undefined;
    this.byKey.delete(best.key);
    this.byKey.set(best.key, best);
    return { key: best.key, similarity: Math.min(1, bestSimilarity) };
  }

  /**
   * Adds (or replaces) the entry for `key`, a unit vector, then drops the least recently used
   * entries past the bound.
   */
  add(partition: string, key: string, vector: Float32Array, expiresAt: number): void {
    this.delete(key);
    const entry: IndexEntry = { key, partition, vector, expiresAt };
    this.byKey.set(key, entry);
    let entries = this.partitions.get(partition);
    if (!entries) this.partitions.set(partition, (entries = new Map()));
    entries.set(key, entry);
    this.evict();
  }

  /** A new bound (a config reload), applied at once. */
  resize(maxEntries: number): void {
    this.maxEntries = maxEntries;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry) return;
    this.byKey.delete(key);
    const entries = this.partitions.get(entry.partition);
    entries?.delete(key);
    if (entries?.size === 0) this.partitions.delete(entry.partition);
  }

  clear(): void {
    this.byKey.clear();
    this.partitions.clear();
  }

  private evict(): void {
    while (this.byKey.size > this.maxEntries) {
      const oldest = this.byKey.keys().next();
      if (oldest.done) return;
      this.delete(oldest.value);
    }
  }
}
