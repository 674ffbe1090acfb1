import { describe, expect, it } from 'vitest';
import type { EmbeddingsResponse } from '../core/wire-types.js';
import { embeddingItems } from '../core/prompt-text.js';
import {
  assembleVectors,
  estimateTokens,
  orderedVectors,
  pickInputs,
  shareTokens,
} from './embedding-batch.js';

const vector = (index: number, embedding: number[] | string) => ({
  object: 'embedding' as const,
  index,
  embedding,
});
const reply = (data: EmbeddingsResponse['data']): EmbeddingsResponse => ({
  object: 'list',
  data,
  model: 'm',
  usage: { prompt_tokens: 1, total_tokens: 1 },
});

describe('embedding batches', () => {
  it('takes a request apart into inputs: a string or a flat token array is one', () => {
    expect(embeddingItems('a')).toEqual(['a']);
    expect(embeddingItems(['a', 'b'])).toEqual(['a', 'b']);
    expect(embeddingItems([1, 2, 3])).toEqual([[1, 2, 3]]);
    expect(
      embeddingItems([
        [1, 2],
        [3, 4],
      ]),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(embeddingItems([])).toEqual([]);
    expect(estimateTokens(['abcdefgh', 'a'])).toBe(3);
    expect(estimateTokens([7, 8, 9])).toBe(3);
  });

  it('narrows the input to the missing positions in their order, keeping a lone input as sent', () => {
    expect(pickInputs(['a', 'b', 'c', 'd'], [1, 3])).toEqual(['b', 'd']);
    expect(pickInputs(['a', 'b'], [0])).toEqual(['a']);
    expect(pickInputs('a', [0])).toBe('a');
    expect(pickInputs([5, 6], [0])).toEqual([5, 6]);
    expect(
      pickInputs(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [0, 2],
      ),
    ).toEqual([
      [1, 2],
      [5, 6],
    ]);
  });

  it('orders the upstream’s vectors by index, else as listed, and refuses a wrong count', () => {
    const a = vector(0, [1]);
    const b = vector(1, [2]);
    expect(orderedVectors(reply([b, a]), 2)).toEqual([a, b]);
    const unnumbered = [vector(0, [1]), vector(0, [2])];
    expect(orderedVectors(reply(unnumbered), 2)).toEqual(unnumbered);
    expect(orderedVectors(reply([a]), 2)).toBeUndefined();
    expect(orderedVectors(reply([a, b]), 1)).toBeUndefined();
  });

  it('puts kept and fresh vectors together in the client’s order with the client’s indexes', () => {
    const fresh = [{ ...vector(0, 'Zm9v'), extra: 1 }, vector(1, 'YmFy')];
    expect(assembleVectors(['k0', undefined, 'k2', undefined], fresh)).toEqual([
      vector(0, 'k0'),
      { ...vector(1, 'Zm9v'), extra: 1 },
      vector(2, 'k2'),
      vector(3, 'YmFy'),
    ]);
  });

  it('shares a batch’s tokens in whole tokens that add up, in proportion to the estimates', () => {
    expect(shareTokens([1, 1, 2], 8)).toEqual([2, 2, 4]);
    const shares = shareTokens([1, 1, 1], 10);
    expect(shares.reduce((s, n) => s + n, 0)).toBe(10);
    expect(shares).toEqual([4, 3, 3]);
    expect(shareTokens([0, 0], 3)).toEqual([2, 1]);
    expect(shareTokens([5], 0)).toEqual([0]);
  });
});
