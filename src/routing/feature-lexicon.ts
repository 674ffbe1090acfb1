// The lexicon of the feature function (features.ts): the reasoning efforts' levels, the code and
// maths signal words in one open-addressing table of word hashes, and feature version 6's kind of
// each UTF-16 unit. Tables built once at load; lookups are a probe or two of a typed array.

/** One step of 32-bit FNV-1a, as the scanner hashes words. */
export function fnv(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

export const EFFORT: Record<string, number> = {
  none: 0,
  minimal: 0.2,
  low: 0.4,
  medium: 0.6,
  high: 0.8,
  xhigh: 1,
  max: 1,
};
const CODE_WORD_LIST = [
  'def',
  'function',
  'return',
  'class',
  'import',
  'const',
  'var',
  'let',
  'int',
  'void',
  'print',
  'python',
  'code',
  'sql',
  'select',
  'java',
  'javascript',
  'implement',
  'program',
  'bug',
  'compile',
];
const MATH_WORD_LIST = [
  'solve',
  'equation',
  'calculate',
  'compute',
  'integral',
  'derivative',
  'prove',
  'probability',
  'sum',
  'how',
  'many',
  'much',
  'total',
  'percent',
  'ratio',
  'find',
  'value',
  'matrix',
  'theorem',
  'sqrt',
];

/** Words are compared by their FNV-1a hash (computed as the scanner does), so no strings are built. */
function hashWord(w: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = fnv(h, w.charCodeAt(i));
  return h & 0x3fffffff; // small-integer range: fast Set lookups
}
/** Signal words in one open-addressing table of word hashes (1 = code, 2 = maths): a probe or two
 * of a typed array per word, no Set lookups on the hot path. 1,024 slots (4 KB) for 41 words: a
 * word that is not one (nearly all) finds an empty slot at its first probe, where 256 slots sent
 * one in six on to a second, a branch mispredicted (the scan 5–8% faster, thirty-sixth session). */
const SIGNAL_BITS = 10;
const SIGNAL_KEYS = new Int32Array(1 << SIGNAL_BITS).fill(-1);
const SIGNAL_KIND = new Uint8Array(1 << SIGNAL_BITS);
function addSignal(word: string, kind: number): void {
  const h = hashWord(word);
  let slot = h & ((1 << SIGNAL_BITS) - 1);
  while (SIGNAL_KEYS[slot] !== -1 && SIGNAL_KEYS[slot] !== h)
    slot = (slot + 1) & ((1 << SIGNAL_BITS) - 1);
  if (SIGNAL_KEYS[slot] === h) return; // first list wins (as the Set order did: code before maths)
  SIGNAL_KEYS[slot] = h;
  SIGNAL_KIND[slot] = kind;
}
for (const w of CODE_WORD_LIST) addSignal(w, 1);
for (const w of MATH_WORD_LIST) addSignal(w, 2);
export function signalKind(h: number): number {
  let slot = h & ((1 << SIGNAL_BITS) - 1);
  for (;;) {
    const k = SIGNAL_KEYS[slot]!;
    if (k === h) return SIGNAL_KIND[slot]!;
    if (k === -1) return 0;
    slot = (slot + 1) & ((1 << SIGNAL_BITS) - 1);
  }
}
/**
 * Feature version 6 (artefacts from 2026-12-04): a character of a script written without spaces
 * between words (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) and a Hangul syllable is a
 * word by itself, so such a run reads as character unigrams and, through the word bigrams,
 * character bigrams (docs/routing.md, "Twentieth round"); CJK and full-width punctuation and the
 * ideographic space end a word as ASCII punctuation does (。！ a sentence, ？ a question too).
 * Before, all of these were letters, and a run was one "word". Astral characters (surrogate
 * pairs: rare ideographs, emoji) are read as before.
 */
export const CHARACTER_WORDS_VERSION = 6;
/** Version 6's kind of each UTF-16 unit: 0 as before, 1 a word by itself, 2 punctuation, 3 a
 * sentence's end, 4 a question mark. */
export const CHARACTER_KIND = new Uint8Array(0x10000);
for (const [from, to, kind] of [
  [0x0e00, 0x0eff, 1], // Thai, Lao
  [0x1000, 0x109f, 1], // Myanmar
  [0x1780, 0x17ff, 1], // Khmer
  [0x3000, 0x3004, 2], // ideographic space, 、。〃〄
  [0x3008, 0x303f, 2], // brackets 「」『』【】…, marks
  [0x3040, 0x30ff, 1], // Hiragana, Katakana
  [0x31f0, 0x31ff, 1], // Katakana phonetic extensions
  [0x3400, 0x4dbf, 1], // CJK Unified Ideographs Extension A
  [0x4e00, 0x9fff, 1], // CJK Unified Ideographs
  [0xac00, 0xd7a3, 1], // Hangul syllables
  [0xf900, 0xfaff, 1], // CJK Compatibility Ideographs
  [0xff01, 0xff0f, 2], // full-width ！＂＃…／
  [0xff1a, 0xff20, 2], // full-width ：；＜＝＞？＠
  [0xff3b, 0xff40, 2], // full-width ［＼］＾＿｀
  [0xff5b, 0xff65, 2], // full-width ｛｜｝～, half-width ｡｢｣､･
  [0xff66, 0xff9f, 1], // half-width Katakana
] as const)
  CHARACTER_KIND.fill(kind, from, to + 1);
CHARACTER_KIND[0x3002] = 3; // 。
CHARACTER_KIND[0xff61] = 3; // ｡
CHARACTER_KIND[0xff01] = 3; // ！
CHARACTER_KIND[0xff1f] = 4; // ？
