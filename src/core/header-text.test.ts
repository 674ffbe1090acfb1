// Header-safe warnings (audits of 2026-12-06: a warning quoting "0–1", a plugin id with a line
// break or a CJK character, made Node refuse the header after the upstream had answered).
import { describe, expect, it } from 'vitest';
import { MAX_WARNINGS_HEADER, headerSafe, headerText, warningsHeader } from './header-text.js';

describe('header text', () => {
  it('keeps ASCII, spells our typography in ASCII, and marks anything else', () => {
    expect(headerText('plain; text\tok')).toBe('plain; text\tok');
    expect(headerText("temperature 1.5 sent as 1: Anthropic's range is 0–1")).toBe(
      "temperature 1.5 sent as 1: Anthropic's range is 0-1",
    );
    expect(headerText('transforms 中文\r\nX-Evil: 1 not applied')).toBe(
      'transforms ????X-Evil: 1 not applied',
    );
    expect(headerText('😀')).toBe('?');
  });

  it('joins warnings and cuts them to 4 KB, saying so', () => {
    expect(warningsHeader(['a', 'b–c'])).toBe('a; b-c');
    const long = warningsHeader(['x'.repeat(20_000), 'y']);
    expect(long.length).toBe(MAX_WARNINGS_HEADER);
    expect(long).toMatch(/\.\.\. \(cut at 4 KB\)$/);
  });

  it('makes every value of a header set safe, lists included', () => {
    expect(headerSafe({ a: 'é\nb', b: ['ok', '→'], c: 3 })).toEqual({
      a: '? b',
      b: ['ok', '->'],
      c: 3,
    });
  });
});
