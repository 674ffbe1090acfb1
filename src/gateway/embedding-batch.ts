// A batch of embedding inputs taken apart and put back together: the answer cache keeps each
// input on its own, sends only the ones it does not have upstream, and answers in the client's
// order with the client's indexes.
import { embeddingItems, type EmbeddingItem } from '../core/prompt-text.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/wire-types.js';

type EmbeddingData = EmbeddingsResponse['data'][number];

/** The request's `input` narrowed to the items at `positions`, in their order. */
export function pickInputs(
  input: EmbeddingsRequest['input'],
  positions: readonly number[],
): EmbeddingsRequest['input'] {
  const items = embeddingItems(input);
  // A lone string or token array stays as it was sent.
  if (items.length === 1 && positions.length === 1) return input;
  return positions.map((i) => items[i]!) as EmbeddingsRequest['input'];
}

/** Rough tokens of one input for the up-front TPM charge (4 characters a token; ids count one). */
export function estimateItemTokens(item: EmbeddingItem): number {
  return typeof item === 'string' ? Math.ceil(item.length / 4) : item.length;
}

/** Rough tokens of a request's inputs. */
export function estimateTokens(input: EmbeddingsRequest['input']): number {
  return embeddingItems(input).reduce((n, item) => n + estimateItemTokens(item), 0);
}

/**
 * The upstream's vectors in the order of the inputs sent: by their `index` when those number the
 * inputs, else as listed. Undefined when there is not one vector per input (nothing to assemble).
 */
export function orderedVectors(
  response: EmbeddingsResponse,
  count: number,
): EmbeddingData[] | undefined {
  const data = response.data;
  if (data.length !== count) return undefined;
  const byIndex: EmbeddingData[] = [];
  for (const d of data) {
    if (!Number.isInteger(d.index) || d.index < 0 || d.index >= count || byIndex[d.index]) {
      return [...data];
    }
    byIndex[d.index] = d;
  }
  return byIndex;
}

/**
 * The reply's vectors in the client's order: kept embeddings where there are some, the
 * upstream's (in the order sent) for the rest, each with its index in the client's batch.
 */
export function assembleVectors(
  kept: readonly (number[] | string | undefined)[],
  fresh: readonly EmbeddingData[],
): EmbeddingData[] {
  let next = 0;
  return kept.map((embedding, index) =>
    embedding !== undefined
      ? { object: 'embedding', index, embedding }
      : { ...fresh[next++]!, index },
  );
}

/**
 * `total` tokens shared among inputs in proportion to `weights` (their estimates), in whole
 * tokens that add up to `total` (largest remainder): what each kept vector records as its cost.
 */
export function shareTokens(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (sum > 0 ? (w * total) / sum : total / weights.length));
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((s, n) => s + n, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i]!++;
    left--;
  }
  return shares;
}
