#!/usr/bin/env node
// A copy of a routing data file (the shared line format) in a script written without spaces:
// every English word (a run of ASCII letters) becomes a fixed string of one to three CJK
// ideographs, and the spaces between two such words are dropped, so a sentence reads as one run
// of ideographs between its digits and punctuation, as Chinese does. Scores, ids and every other
// field are kept. Deterministic: a word's string is drawn from the FNV-1a hash of the word in lower
// case (one character for a quarter of the words, two for half, three for a quarter) out of 3,500
// ideographs (U+4E00 on; about the number of characters in common use), so the same word is the
// same string in every prompt and on every run. Measures how the router routes such prompts
// (docs/routing.md, "Files you bring" and "Twentieth round"):
//
//   node scripts/unspaced-script-copy.mjs <in.jsonl> <out.jsonl>
//
// `unspacedCopy(text)` is exported for scripts/bench-routing.mjs's prompts in such a script.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const POOL = 3500;
const FIRST = 0x4e00;

function fnv(word) {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const strings = new Map();
/** The fixed string of ideographs that stands for `word`. */
function ideographs(word) {
  const key = word.toLowerCase();
  let s = strings.get(key);
  if (s !== undefined) return s;
  let h = fnv(key);
  const length = [1, 2, 2, 3][h & 3];
  s = '';
  for (let k = 0; k < length; k++) {
    h = Math.imul(h ^ (k + 1), 0x01000193) >>> 0;
    s += String.fromCharCode(FIRST + (h % POOL));
  }
  strings.set(key, s);
  return s;
}

/** The prompt with its English words as ideographs, no spaces between two of them. */
export function unspacedCopy(text) {
  return text
    .replace(/[A-Za-z]+/g, ideographs)
    .replace(/(?<=[\u4e00-\u9fff]) +(?=[\u4e00-\u9fff])/g, '');
}

function main() {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: node scripts/unspaced-script-copy.mjs <in.jsonl> <out.jsonl>\n');
    process.exit(2);
  }
  const lines = readFileSync(input, 'utf8').split('\n');
  const out = lines.map((line) => {
    if (!line.trim()) return line;
    const row = JSON.parse(line);
    return JSON.stringify({ ...row, prompt: unspacedCopy(row.prompt) });
  });
  writeFileSync(output, out.join('\n'));
  process.stderr.write(
    `${lines.filter((l) => l.trim()).length} prompts, ${strings.size} distinct words\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
