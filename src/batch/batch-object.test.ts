// The batch's usage adds up every answer's, whichever API's shape it is in.
import { describe, expect, it } from 'vitest';
import { addUsage, emptyUsage } from './batch-object.js';

describe('addUsage', () => {
  it('reads Chat Completions, Responses and Anthropic Messages usage into one total', () => {
    const total = emptyUsage();
    addUsage(total, {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    addUsage(total, {
      input_tokens: 7,
      output_tokens: 3,
      total_tokens: 10,
      input_tokens_details: { cached_tokens: 1 },
      output_tokens_details: { reasoning_tokens: 1 },
    });
    // Anthropic's input_tokens leave out the cache's reads and writes: 2 + 30 + 8 = 40 in.
    addUsage(total, {
      input_tokens: 2,
      output_tokens: 6,
      cache_read_input_tokens: 30,
      cache_creation_input_tokens: 8,
    });
    expect(total).toEqual({
      input_tokens: 57,
      input_tokens_details: { cached_tokens: 35 },
      output_tokens: 14,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 71,
    });
  });

  it('ignores what is not a usage object', () => {
    const total = emptyUsage();
    addUsage(total, undefined);
    addUsage(total, 'lots');
    expect(total).toEqual(emptyUsage());
  });
});
