// Characters as OpenAI's per-character limits count them: code points, not UTF-16 units.
import { describe, expect, it } from 'vitest';
import { countChars } from './char-count.js';

describe('countChars', () => {
  it('counts a surrogate pair once, and anything else as String.length does', () => {
    expect(countChars('')).toBe(0);
    expect(countChars('héllo')).toBe(5);
    expect(countChars('a😀b𝄞')).toBe(4);
    // A lone surrogate (a cut string) is one character; so is one at the end.
    expect(countChars('\ud83d')).toBe(1);
    expect(countChars('a\ude00\ud83d')).toBe(3);
    expect(countChars('\ud83d\ud83d\ude00')).toBe(2);
  });
});
