// Cost from usage, and the savings baseline: what the router's top deployment would have cost.
import { describe, expect, it } from 'vitest';
import { newRequestRecord } from '../store/request-record.js';
import { answerUsageCounts, baselineCostUsd, costUsd, recordTokens, usageCounts } from './cost.js';

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

describe('estimated usage in the record', () => {
  const opened = (promptTokens: number) => {
    const r = newRequestRecord({ time: 0, requestId: 'r', endpoint: 'chat', stream: false });
    r.promptTokens = promptTokens;
    r.usageEstimated = promptTokens > 0;
    return r;
  };

  it("usage the upstream reported replaces the router's count and clears the flag", () => {
    const r = opened(50);
    recordTokens(r, usageCounts({ prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 }));
    expect(r).toMatchObject({ promptTokens: 42, completionTokens: 7, usageEstimated: false });
  });

  it("usage without prompt tokens keeps the router's count, flagged", () => {
    const r = opened(50);
    recordTokens(r, usageCounts({ completion_tokens: 7 } as never));
    expect(r).toMatchObject({ promptTokens: 50, completionTokens: 7, usageEstimated: true });
  });

  it('estimated answer tokens flag the record even with the prompt reported', () => {
    const r = opened(0);
    recordTokens(r, { ...usageCounts({ prompt_tokens: 9 } as never), estimated: true });
    expect(r).toMatchObject({ promptTokens: 9, usageEstimated: true });
  });

  it('an answer without usage: its text, refusal and tool-call arguments at 4 characters a token', () => {
    const counts = answerUsageCounts({
      choices: [
        {
          message: {
            role: 'assistant',
            content: 'x'.repeat(10),
            refusal: 'y'.repeat(3),
            tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
        },
        { message: { role: 'assistant', content: null, reasoning_content: 'z'.repeat(4) } },
      ],
    });
    expect(counts).toMatchObject({ promptTokens: 0, completionTokens: 6, estimated: true });
    expect(
      answerUsageCounts({ usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
    ).toMatchObject({ promptTokens: 1, completionTokens: 2 });
    expect(
      answerUsageCounts({ usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })
        .estimated,
    ).toBeUndefined();
  });

  it("an answer without usage: reasoning sent in both fields counted once, Claude's thinking", () => {
    // vLLM 0.10 sent the same reasoning as `reasoning_content` and `reasoning`: 40 characters
    // of reasoning and 8 of answer are 12 tokens, not 22.
    const reasoning = 'r'.repeat(40);
    const both = {
      role: 'assistant',
      content: 'a'.repeat(8),
      reasoning_content: reasoning,
      reasoning,
    };
    expect(answerUsageCounts({ choices: [{ message: both }] }).completionTokens).toBe(12);
    const claude = {
      role: 'assistant',
      content: 'a'.repeat(8),
      reasoning_details: [{ type: 'thinking', thinking: 't'.repeat(12), signature: 's' }],
    };
    expect(answerUsageCounts({ choices: [{ message: claude }] }).completionTokens).toBe(5);
  });
});
