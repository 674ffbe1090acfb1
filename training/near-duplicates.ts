// Near-copies of a prompt (the same text with a suffix, or a few words changed) grouped, so that
// training's folds and hold-outs put them on one side: a copy on each side lets the heads learn a
// prompt's grades and then be "scored out of sample" on the same prompt, calibrating in-sample.
//
// MinHash over word 3-shingles, with LSH banding for candidates (Broder 1997; Leskovec, Rajaraman
// and Ullman, "Mining of Massive Datasets", ch. 3), each candidate confirmed by the exact Jaccard
// similarity of the two prompts' shingle sets, and union-find over the confirmed pairs. npm's
// `minhash` hashes every string once per permutation with a product past 2^53 (imprecise) and
// has no confirmation step, and `bloom-filters` brings eight dependencies for a MinHash without
// LSH, so it is written here: about 2 s for the shared files' 16,968 prompts.
import { promptKey } from './prompt-hash.js';

/**
 * Shingle sets at least this similar (Jaccard) are near-copies: one word changed in 15 is 0.63,
 * a three-word suffix on an eight-word prompt 0.64 between two copies. At 0.5 templated questions
 * chain together (446 of routellm's MMLU "moral scenarios" prompts in one group); at 0.6 the
 * shared files' largest group is 6 prompts.
 */
export const NEAR_COPY_JACCARD = 0.6;
/** Words per shingle. */
const SHINGLE_WORDS = 3;
/** LSH bands × rows per band = MinHash values per prompt: a pair at Jaccard 0.6 is a candidate
 * with probability 1 − (1 − 0.6^4)^16 ≈ 0.93 (0.99 at 0.7), at 0.3 with 0.12 (and is not
 * confirmed); a copy missed on one pair is still joined through another copy. */
const BANDS = 16;
const ROWS = 4;
/** Prompts a bucket keeps to compare newcomers with; a bucket of templated prompts stays cheap. */
const BUCKET_LEADERS = 8;

// Words much as the features read them: runs of letters and digits (punctuation and symbols are
// left out), and each character of a script written without spaces (Han, Kana, Hangul, Thai,
// Lao, Khmer, Myanmar) a word by itself.
const WORD =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]|[\p{L}\p{N}\p{M}_]+/gu;

/** FNV-1a of a string's UTF-16 units, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** MurmurHash3's finaliser: a bijection of 32-bit integers that mixes every bit. */
function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** One salt per MinHash value: min over a prompt's shingles of fmix32(shingle ^ salt). */
const SALTS = Uint32Array.from({ length: BANDS * ROWS }, (_, i) => fmix32(0x9e3779b9 + i));

/** A prompt's distinct shingle hashes, sorted (a prompt of fewer words: its words as one). */
function shingles(key: string): Uint32Array {
  const words = key.match(WORD) ?? [];
  const hashes = new Set<number>();
  if (words.length <= SHINGLE_WORDS) hashes.add(fnv1a(words.join(' ')));
  for (let i = 0; i + SHINGLE_WORDS <= words.length; i++)
    hashes.add(fnv1a(words.slice(i, i + SHINGLE_WORDS).join(' ')));
  return Uint32Array.from(hashes).sort();
}

/** The Jaccard similarity of two sorted sets. */
function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++;
    else if (a[i]! > b[j]!) j++;
    else {
      shared++;
      i++;
      j++;
    }
  }
  return shared / (a.length + b.length - shared);
}

/** The LSH bucket of each band of a shingle set's MinHash signature. */
function bandBuckets(set: Uint32Array): Uint32Array {
  const sig = new Uint32Array(BANDS * ROWS).fill(0xffffffff);
  for (const h of set)
    for (let k = 0; k < sig.length; k++) {
      const v = fmix32(h ^ SALTS[k]!);
      if (v < sig[k]!) sig[k] = v;
    }
  const buckets = new Uint32Array(BANDS);
  for (let b = 0; b < BANDS; b++) {
    let h = b;
    for (let r = 0; r < ROWS; r++) h = fmix32(h ^ sig[b * ROWS + r]!) + r;
    buckets[b] = h >>> 0;
  }
  return buckets;
}

/**
 * Each prompt's near-copy group, named by its first member: a map from every prompt's key
 * (`promptKey`: exact copies are one) to the smallest key of its group, in code-unit order, so
 * the answer depends on the set of prompts only, not their order. A prompt with no near-copy maps
 * to its own key, so where a file has none, hashing the group's name is hashing the prompt.
 */
export function nearCopyGroups(
  prompts: Iterable<string>,
  threshold = NEAR_COPY_JACCARD,
): Map<string, string> {
  const keys = [...new Set([...prompts].map(promptKey))].sort();
  const parent = keys.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const sets: Uint32Array[] = [];
  const leaders = Array.from({ length: BANDS }, () => new Map<number, number[]>());
  keys.forEach((key, i) => {
    const set = shingles(key);
    sets.push(set);
    const buckets = bandBuckets(set);
    for (let b = 0; b < BANDS; b++) {
      const here = leaders[b]!.get(buckets[b]!);
      if (!here) {
        leaders[b]!.set(buckets[b]!, [i]);
        continue;
      }
      let joined = false;
      for (const l of here) {
        const [rl, ri] = [find(l), find(i)];
        if (rl === ri) {
          joined = true;
          break;
        }
        const other = sets[l]!;
        // Sizes alone can rule a pair out: J ≤ min/max.
        const [small, large] = set.length < other.length ? [set, other] : [other, set];
        if (small.length < threshold * large.length) continue;
        if (jaccard(set, other) >= threshold) {
          // The smaller index is the root, so a group is named by its smallest key.
          if (rl < ri) parent[ri] = rl;
          else parent[rl] = ri;
          joined = true;
          break;
        }
      }
      if (!joined && here.length < BUCKET_LEADERS) here.push(i);
    }
  });
  return new Map(keys.map((key, i) => [key, keys[find(i)]!]));
}
