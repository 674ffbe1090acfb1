// What a line forwarded to a Batch API costs: its token prices less the batch discount (each of
// them, the 1-hour cache write included), and a web search at its own price.
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import { costUsd } from '../../gateway/cost.js';
import { discountedPrices } from './record-forwarded.js';

describe('discountedPrices', () => {
  it('halves every token price, and keeps the price of a web search', () => {
    const claude = claudeDeployment({
      prices: {
        inputPer1M: 3,
        outputPer1M: 15,
        cachedInputPer1M: 0.3,
        cacheWriteInputPer1M: 3.75,
        cacheWrite1hInputPer1M: 6,
        perWebSearch: 0.01,
      },
      batchApi: { enabled: true, discount: 0.5 },
    });
    expect(discountedPrices(claude).prices).toEqual({
      inputPer1M: 1.5,
      outputPer1M: 7.5,
      cachedInputPer1M: 0.15,
      cacheWriteInputPer1M: 1.875,
      cacheWrite1hInputPer1M: 3,
      perWebSearch: 0.01,
    });
    // A forwarded answer that searched twice and wrote 1,000 tokens to the hour-long cache.
    const cost = costUsd(discountedPrices(claude), {
      promptTokens: 1000,
      cachedTokens: 0,
      cacheWriteTokens: 1000,
      cacheWrite1hTokens: 1000,
      completionTokens: 0,
      reasoningTokens: 0,
      webSearches: 2,
    });
    expect(cost).toBeCloseTo((1000 * 3) / 1e6 + 2 * 0.01, 12);
  });
});
