// What a rerank call cost: Cohere's search units at `perSearchUnit` plus its tokens at
// `inputPer1M`. Cohere (docs.cohere.com/docs/rerank, "how is rerank billed"): one search unit is
// one query with up to 100 documents; a document longer than 500 tokens with the query is split
// into chunks of 500, each counted as a document. Ours: tokens estimated at 4 characters each.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { inputCostUsd } from './cost.js';

/** Documents one search unit covers. */
export const DOCUMENTS_PER_SEARCH_UNIT = 100;
/** Tokens of query and document beyond which a document counts as one more for each. */
export const SEARCH_UNIT_CHUNK_TOKENS = 500;

/** A text's token estimate (4 characters a token, as the other named kinds estimate). */
export const estimateTextTokens = (text: string): number => Math.ceil(text.length / 4);

/** The query and documents' token estimate: what rate limits are charged up front. */
export function rerankTokenEstimate(query: string, documents: readonly string[]): number {
  return documents.reduce((s, d) => s + estimateTextTokens(d), estimateTextTokens(query));
}

/** The search units a request takes by Cohere's rule (at least one). */
export function searchUnits(query: string, documents: readonly string[]): number {
  const queryTokens = estimateTextTokens(query);
  const chunks = documents.reduce(
    (s, d) =>
      s + Math.max(1, Math.ceil((queryTokens + estimateTextTokens(d)) / SEARCH_UNIT_CHUNK_TOKENS)),
    0,
  );
  return Math.max(1, Math.ceil(chunks / DOCUMENTS_PER_SEARCH_UNIT));
}

/** `units` at `perSearchUnit` plus `tokens` at `inputPer1M`. */
export function rerankCostUsd(d: Pick<DeploymentConfig, 'prices'>, units: number, tokens: number) {
  return units * (d.prices.perSearchUnit ?? 0) + inputCostUsd(d, tokens);
}
