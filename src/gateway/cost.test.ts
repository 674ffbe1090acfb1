// Cost from usage, and the savings baseline: what the router's top deployment would have cost.
import { describe, expect, it } from 'vitest';
import { baselineCostUsd, costUsd } from './cost.js';

const prices = { inputPer1M: 2, cachedInputPer1M: 0.5, outputPer1M: 8 };
const usage = {
  promptTokens: 1000,
  cachedTokens: 400,
  completionTokens: 385,
  reasoningTokens: 256,
};

describe('cost', () => {
  it('bills cached prompt tokens at the cached price and reasoning inside completion', () => {
    expect(costUsd({ prices }, usage)).toBeCloseTo((600 * 2 + 400 * 0.5 + 385 * 8) / 1e6, 12);
  });

  it('leaves hidden reasoning tokens out of the baseline when the top deployment does not reason', () => {
    const plain = { prices, capabilities: { reasoning: false } } as Parameters<
      typeof baselineCostUsd
    >[0];
    const thinker = { prices, capabilities: { reasoning: true } } as Parameters<
      typeof baselineCostUsd
    >[0];
    expect(baselineCostUsd(plain, usage)).toBeCloseTo((600 * 2 + 400 * 0.5 + 129 * 8) / 1e6, 12);
    expect(baselineCostUsd(thinker, usage)).toBeCloseTo(costUsd({ prices }, usage), 12);
    const noReasoning = { ...usage, completionTokens: 100, reasoningTokens: 0 };
    expect(baselineCostUsd(plain, noReasoning)).toBeCloseTo(costUsd({ prices }, noReasoning), 12);
  });
});
