// Characters as people (and OpenAI's per-character limits and prices) count them: code points,
// not UTF-16 code units (String.length counts an emoji or any character above U+FFFF twice).

/** The code points of `text`: a surrogate pair counts once, a lone surrogate once. */
export function countChars(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}

/** Which character of `text` (1-based, in code points, as a person counts) index `index` is in. */
export function characterNumber(text: string, index: number): number {
  return countChars(text.slice(0, index)) + 1;
}

/** A UTF-16 code unit as Unicode writes it: `U+0000`. */
export function codeUnitName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
