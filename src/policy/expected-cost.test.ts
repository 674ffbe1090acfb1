import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/test-config.js';
import type { ChatRequest } from '../core/wire-types.js';
import { TYPICAL_ANSWER_TOKENS, expectedCostUsd } from './expected-cost.js';

const fleet = testConfig().deployments; // big $10/$30, mid $1/$4, small $0.1/$0.4 per 1M
const ask = (extra: Partial<ChatRequest> = {}) =>
  ({ model: 'model-router', messages: [{ role: 'user', content: 'hi' }], ...extra }) as ChatRequest;

describe('expectedCostUsd', () => {
  it("prices the prompt and the request's answer bound at the dearest candidate", () => {
    // big: 1,000 prompt tokens at $10/1M, 500 answer tokens at $30/1M.
    expect(expectedCostUsd(ask({ max_tokens: 500 }), 1000, fleet)).toBeCloseTo(0.025, 12);
    // max_completion_tokens wins over max_tokens, as upstreams read them; n answers cost n times.
    expect(
      expectedCostUsd(ask({ max_tokens: 500, max_completion_tokens: 100, n: 3 }), 1000, fleet),
    ).toBeCloseTo(0.01 + 0.009, 12);
  });

  it("without a bound: the deployment's usual answer, within its maxOutputTokens when bounded", () => {
    // The test fleet's simulated deployments write 20 tokens (their declared usual answer).
    expect(expectedCostUsd(ask(), 0, fleet)).toBeCloseTo((20 * 30) / 1e6, 12);
    const plain = fleet.map((d) => ({ ...d, provider: 'openai' as const, simulation: undefined }));
    expect(expectedCostUsd(ask(), 0, plain)).toBeCloseTo((TYPICAL_ANSWER_TOKENS * 30) / 1e6, 12);
    // A bound beyond what the deployment can write counts as its maximum (16,384 here).
    expect(expectedCostUsd(ask({ max_tokens: 1_000_000 }), 0, fleet)).toBeCloseTo(
      (16_384 * 30) / 1e6,
      12,
    );
    expect(expectedCostUsd(ask(), 100, [])).toBe(0);
  });
});
