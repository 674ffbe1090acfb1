// The batch's usage adds up every answer's, whichever API's shape it is in (a moderation has none).
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

  it("reads an images reply's usage (gpt-image-1: text and image input tokens)", () => {
    const total = emptyUsage();
    // openapi.yaml ImagesResponse.usage (ImageGenUsage).
    addUsage(total, {
      input_tokens: 50,
      input_tokens_details: { text_tokens: 10, image_tokens: 40 },
      output_tokens: 4160,
      total_tokens: 4210,
    });
    expect(total).toMatchObject({ input_tokens: 50, output_tokens: 4160, total_tokens: 4210 });
    expect(total.input_tokens_details.cached_tokens).toBe(0);
  });

  it('ignores what is not a usage object', () => {
    const total = emptyUsage();
    addUsage(total, undefined);
    addUsage(total, 'lots');
    expect(total).toEqual(emptyUsage());
  });
});
