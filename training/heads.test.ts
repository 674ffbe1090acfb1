// What a head knows besides its weights: the answer length it prices a model's picks with.
import { describe, expect, it } from 'vitest';
import type { DataRow } from './load-rows.js';
import type { Price } from './load-prices.js';
import { DEFAULT_ANSWER_TOKENS, featurize, headStats } from './heads.js';

const price: Price = { inputPer1M: 1, outputPer1M: 2 };
const prices = new Map([
  ['terse', price],
  ['wordy', price],
  ['free-output', { inputPer1M: 1, outputPer1M: 0 }],
]);

/** A 400-character prompt (100 tokens) each model answered in `tokens` tokens, costed as such. */
function costedRow(i: number, tokens: Record<string, number>): DataRow {
  const prompt = `question ${i} `.padEnd(400, 'x');
  const costUsd = Object.fromEntries(
    Object.entries(tokens).map(([m, t]) => {
      const p = prices.get(m)!;
      return [m, (100 * p.inputPer1M + t * p.outputPer1M) / 1e6];
    }),
  );
  const scores = Object.fromEntries(Object.keys(tokens).map((m) => [m, 1]));
  return { id: `r${i}`, source: 's', prompt, scores, costUsd, contaminated: false, group: 'g' };
}

describe('expected output tokens', () => {
  it('are read back from measured costs when the file has no answer lengths', () => {
    const rows = featurize(
      Array.from({ length: 20 }, (_, i) =>
        costedRow(i, { terse: 40 + (i % 3) * 10, wordy: 1000, 'free-output': 500 }),
      ),
    );
    expect(headStats(rows, 'terse', prices).expectedOutputTokens).toBe(50);
    expect(headStats(rows, 'wordy', prices).expectedOutputTokens).toBe(1000);
    // No output price: the cost says nothing about the answer's length.
    expect(headStats(rows, 'free-output', prices).expectedOutputTokens).toBe(DEFAULT_ANSWER_TOKENS);
  });

  it('come from answer lengths where the file has them, else the default', () => {
    const measured = featurize(
      Array.from({ length: 4 }, (_, i) => ({
        ...costedRow(i, { terse: 50 }),
        outChars: { terse: 800 },
      })),
    );
    expect(headStats(measured, 'terse', prices).expectedOutputTokens).toBe(200);
    const bare = featurize(
      Array.from({ length: 4 }, (_, i) => ({ ...costedRow(i, { terse: 50 }), costUsd: undefined })),
    );
    expect(headStats(bare, 'terse', prices).expectedOutputTokens).toBe(DEFAULT_ANSWER_TOKENS);
  });
});
