// The simulated fleet's reranker: Okapi BM25 (k1 1.2, b 0.75) of the query's words against each
// document, the documents themselves the corpus its word rarity is read from, squashed into [0, 1)
// by s / (s + 1). Lexical, not semantic: a document sharing rare words with the query ranks first,
// one sharing none scores 0, and the same request always gets the same scores.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { RerankRequest } from '../../core/wire-types.js';

const K1 = 1.2;
const B = 0.75;
const WORD = /[\p{L}\p{N}]+/gu;

const words = (text: string): string[] => text.toLowerCase().match(WORD) ?? [];

/** Each document's score in [0, 1) for `query`, in the documents' order. */
export function bm25Scores(query: string, documents: readonly string[]): number[] {
  const docs = documents.map(words);
  const n = docs.length;
  const avgLength = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, n) || 1;
  const terms = [...new Set(words(query))];
  const docFreq = new Map(terms.map((t) => [t, docs.filter((d) => d.includes(t)).length]));
  return docs.map((doc) => {
    let score = 0;
    for (const t of terms) {
      const tf = doc.reduce((c, w) => c + (w === t ? 1 : 0), 0);
      if (tf === 0) continue;
      const df = docFreq.get(t)!;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * doc.length) / avgLength));
    }
    return score / (score + 1);
  });
}

/**
 * A vLLM-shaped reply (`id`, `model`, `usage.total_tokens`, `results` by score, documents when
 * `return_documents`), cut to `top_n`. Equal scores keep the documents' order.
 */
export function simulatedRerank(
  body: RerankRequest,
  deployment: DeploymentConfig,
  countTokens: (text: string) => number,
  seed: number,
): Record<string, unknown> & { results: unknown[] } {
  const texts = body.documents.map((d) => (typeof d === 'string' ? d : d.text));
  const scores = bm25Scores(body.query, texts);
  const ranked = scores
    .map((relevance_score, index) => ({
      index,
      relevance_score,
      ...(body.return_documents === true ? { document: { text: texts[index]! } } : {}),
    }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  const queryTokens = countTokens(body.query);
  return {
    id: `rerank-sim${seed.toString(16)}`,
    model: deployment.model,
    usage: { total_tokens: texts.reduce((s, t) => s + queryTokens + countTokens(t), 0) },
    results: ranked.slice(0, body.top_n ?? ranked.length),
  };
}
