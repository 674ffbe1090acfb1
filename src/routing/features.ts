// THE feature function of the routing model, shared by training and serving: it reads the whole
// request (system prompt, every turn, tools and tool_choice, response_format, reasoning_effort),
// not only the last message. Text → hashed word uni/bigrams (from feature version 6 a character of
// a script written without spaces is a word); plus dense signals (length, code,
// maths, language, structure; the form of the text: how the last user turn starts and ends,
// capitals, numbers, sentences). Written for speed: one pass over characters, no regex per call.
// Dense features are only ever appended: an artefact reads the first `dense.length` of them.
// Serving and `eval` extract the features of the artefact's own feature version. The words it
// looks for and the kinds of characters are its lexicon (feature-lexicon.ts).
import type { ChatRequest } from '../core/wire-types.js';
import { TEXT, fillText, firstVisible, requestPieces } from './request-text.js';
import {
  CHARACTER_KIND,
  CHARACTER_WORDS_VERSION,
  EFFORT,
  fnv,
  signalKind,
} from './feature-lexicon.js';
import { FEATURE_VERSION } from './routing-model.js';

/**
 * Hash space of the sparse part (word uni- and bigrams) as extracted. A head may use a smaller
 * power of two (`index & (size − 1)`, the same buckets as hashing into that size directly), so
 * artefacts with 2^14 heads read the same features as ones with 2^16 heads.
 */
export const HASH_BITS = 16;
export const HASH_SIZE = 1 << HASH_BITS;
/** The smallest head size a trainer uses (and the only one before artefact 2026-11-30b). */
export const MIN_HASH_BITS = 14;
/** Words hashed per request: enough to characterise a prompt, bounded for a fixed cost. */
export const MAX_WORDS = 700;

export const DENSE_NAMES = [
  'bias',
  'log_chars',
  'log_words',
  'turns',
  'has_system',
  'tools',
  'tool_choice_forced',
  'json_output',
  'reasoning_effort',
  'digit_ratio',
  'code_signal',
  'math_signal',
  'question_marks',
  'non_ascii_ratio',
  'newline_ratio',
  'choice_options',
  'long_words',
  // The form of the text (artefacts from 2026-11-30c; older ones read only the names above).
  'starts_lower',
  'ends_question',
  'ends_open',
  'ends_colon',
  'upper_ratio',
  'capitalised_words',
  'numbers', // runs of digits
  'sentences',
] as const;
/** Dense features the first artefacts (before the form features) were trained on. */
export const LEGACY_DENSE_SIZE = 17;
export const DENSE_SIZE = DENSE_NAMES.length;

export interface Features {
  /** Hashed n-gram indices (may repeat); each carries weight `sparseValue` (× its `values`). */
  indices: Int32Array;
  sparseValue: number;
  /**
   * Weighed features only (term-weights.ts): each index's own value (the indices are then
   * distinct buckets of the idf's size) and the idf they were weighed by.
   */
  values?: Float64Array;
  idf?: Float32Array;
  dense: Float64Array;
  /** Characters of text read (for cost estimates: ≈4 characters a token). */
  chars: number;
}

/** Scratch buffer for indices (uni + bigram per word). */
const SCRATCH = new Int32Array(MAX_WORDS * 2);

/**
 * Features of a chat request, as `featureVersion` (an artefact's; by default this build's, which
 * training uses) defines them. Training builds `{messages:[{role:'user',content:prompt}]}`.
 */
export function extractFeatures(
  request: ChatRequest,
  transient = false,
  featureVersion = FEATURE_VERSION,
): Features {
  const characterWords = featureVersion >= CHARACTER_WORDS_VERSION;
  const { pieces, length, turns, hasSystem, lastUser } = requestPieces(request);
  const n = fillText(pieces, length);
  const text = TEXT;
  text[n] = 32; // ends the last word
  let count = 0;
  let words = 0;
  let digits = 0;
  let nonAscii = 0;
  let newlines = 0;
  let questions = 0;
  let codeSignal = 0;
  let mathSignal = 0;
  let longWords = 0;
  let choiceOptions = 0;
  let numbers = 0;
  let upper = 0;
  let letters = 0;
  let capitalised = 0;
  let sentences = 0;
  let h = 0x811c9dc5;
  let wordLen = 0;
  let prev = 0;
  // One pass, with the word's end handled inline (a closure over these counters would keep them
  // in a heap context instead of registers).
  for (let i = 0; i <= n; i++) {
    let c = text[i]!;
    // `(c - 97) >>> 0 < 26`: c is a lower-case letter, in one unsigned comparison.
    if ((c - 97) >>> 0 < 26) {
      // A run of lower-case letters, most of any text: the shortest path, counted once at its end
      // (the space at text[n] ends a run at the end). The character after it is read below.
      const start = i;
      do {
        h = fnv(h, c);
        c = text[++i]!;
      } while ((c - 97) >>> 0 < 26);
      letters += i - start;
      wordLen += i - start;
    }
    // A space, the most common character after a word, only ends it: it skips the tests below.
    if (c !== 32) {
      if (c >= 65 && c <= 90) {
        upper++;
        if (wordLen === 0) capitalised++;
        c += 32; // lower-case ASCII
      }
      // ASCII takes one comparison more here: the kinds are only read past 127.
      if (c > 127 && characterWords && CHARACTER_KIND[c] !== 0) {
        const kind = CHARACTER_KIND[c]!;
        if (kind !== 1) {
          // CJK punctuation (feature version 6): it ends the word before it.
          nonAscii++;
          if (kind === 4) questions++;
          if (kind >= 3) sentences++;
        } else if (wordLen !== 0) {
          // A word by itself (feature version 6): it ends the word before it, and is read again
          // once that word is counted.
          i--;
        } else {
          // ... and is then the word, ended below.
          letters++;
          nonAscii++;
          h = fnv(h, c);
          wordLen = 1;
        }
      } else {
        const isLetter = (c >= 97 && c <= 122) || c > 127;
        const isDigit = c >= 48 && c <= 57;
        if (isLetter) letters++;
        if (isDigit) {
          digits++;
          if (wordLen === 0) numbers++;
        }
        if (c > 127) nonAscii++;
        if (isLetter || isDigit) {
          h = fnv(h, c);
          wordLen++;
          continue;
        }
        // Counted before the word this character ends (its signal words below): the signals are
        // sums of 1s and 0.25s, exact in any order.
        switch (c) {
          case 10:
            newlines++;
            // "A." / "(A)" at a line start: multiple-choice options.
            if (
              i + 2 < n &&
              ((text[i + 2] === 46 && text[i + 1]! >= 65 && text[i + 1]! <= 68) ||
                text[i + 1] === 40)
            )
              choiceOptions++;
            break;
          case 63:
            questions++;
            sentences++;
            break;
          case 46:
          case 33:
            // A full stop followed by a space or the end: a sentence (not "3.5" or "e.g").
            if (i + 1 >= n || text[i + 1]! <= 32) sentences++;
            break;
          case 123:
          case 125:
          case 59:
          case 96:
            codeSignal += 0.25;
            break;
          case 61:
          case 43:
          case 94:
          case 92:
          case 42:
          case 47:
            mathSignal += 0.25;
            break;
        }
      }
    }
    if (wordLen !== 0) {
      const uni = h & 0x3fffffff;
      if (words < MAX_WORDS) {
        SCRATCH[count++] = uni & (HASH_SIZE - 1);
        if (prev !== 0)
          SCRATCH[count++] = (Math.imul(prev, 31) ^ uni ^ 0x5bd1e995) & (HASH_SIZE - 1);
        prev = uni | 1;
      }
      if (wordLen < 16) {
        const kind = signalKind(uni);
        if (kind === 1) codeSignal++;
        else if (kind === 2) mathSignal++;
      }
      if (wordLen > 12) longWords++;
      words++;
      wordLen = 0;
      h = 0x811c9dc5;
    }
  }
  const chars = length;
  const dense = new Float64Array(DENSE_SIZE);
  const tools = Array.isArray(request.tools) ? request.tools.length : 0;
  const choice = request.tool_choice;
  const rf = (request.response_format as { type?: string } | undefined)?.type;
  const effort =
    typeof request.reasoning_effort === 'string' ? (EFFORT[request.reasoning_effort] ?? 0.5) : 0;
  const perChar = n > 0 ? 1 / n : 0; // shares over the scanned text
  dense[0] = 1;
  dense[1] = Math.log1p(chars) / 10;
  dense[2] = Math.log1p(words) / 8;
  dense[3] = Math.min(turns, 20) / 10;
  dense[4] = hasSystem ? 1 : 0;
  dense[5] = Math.min(tools, 10) / 5;
  dense[6] = choice === 'required' || (typeof choice === 'object' && choice !== null) ? 1 : 0;
  dense[7] = rf === 'json_object' || rf === 'json_schema' ? 1 : 0;
  dense[8] = effort;
  dense[9] = Math.min(1, digits * perChar * 5);
  dense[10] = Math.log1p(codeSignal) / 4;
  dense[11] = Math.log1p(mathSignal) / 4;
  dense[12] = Math.log1p(questions) / 3;
  dense[13] = Math.min(1, nonAscii * perChar * 3);
  dense[14] = Math.min(1, newlines * perChar * 20);
  dense[15] = Math.min(choiceOptions, 8) / 4;
  dense[16] = Math.log1p(longWords) / 4;
  // The form of the last user turn: how it starts and ends tells a cloze from a question, a
  // search-box query from an exam item.
  const first = firstVisible(lastUser, false);
  const last = firstVisible(lastUser, true);
  dense[17] = first >= 97 && first <= 122 ? 1 : 0;
  dense[18] = last === 63 ? 1 : 0;
  dense[19] =
    (last >= 97 && last <= 122) || (last >= 65 && last <= 90) || (last >= 48 && last <= 57) ? 1 : 0;
  dense[20] = last === 58 ? 1 : 0;
  dense[21] = letters > 0 ? Math.min(1, (upper / letters) * 5) : 0;
  dense[22] = words > 0 ? capitalised / words : 0;
  dense[23] = Math.log1p(numbers) / 4;
  dense[24] = Math.log1p(sentences) / 4;
  return {
    // Serving decides synchronously and drops the features at once: a view of the scratch buffer
    // (valid until the next call) saves an allocation per decision. Training keeps copies.
    indices: transient ? SCRATCH.subarray(0, count) : SCRATCH.slice(0, count),
    sparseValue: count > 0 ? 1 / Math.sqrt(count) : 0,
    dense,
    chars,
  };
}

/** The request a training row stands for: its prompt as one user turn. */
export function requestFromPrompt(prompt: string): ChatRequest {
  return { model: 'training', messages: [{ role: 'user', content: prompt }] } as ChatRequest;
}
