import { describe, expect, it } from 'vitest';
import { hasQuoted } from './has-quoted.js';

describe('hasQuoted', () => {
  it("says what `text.includes('\"' + rest)` says", () => {
    const chunk =
      '{"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"usage\\" and error"},"finish_reason":null}]}';
    const texts = [
      chunk,
      `${chunk.slice(0, -1)},"usage":{"prompt_tokens":1}}`,
      'usage"', // at the start: no quote before it
      '"usage"',
      'xusage" then "usage"', // the first occurrence is not quoted, a later one is
      '"delta":{}',
      '{"delta":{"content":"a"}}',
      '',
    ];
    for (const text of texts)
      for (const rest of ['usage"', 'error"', 'delta":{}', 'choices":[{', 'model":"'])
        expect(hasQuoted(text, rest), `${rest} in ${text}`).toBe(text.includes(`"${rest}`));
  });
});
