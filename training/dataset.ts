// Reading routing data (the shared JSONL line format, any models) and price files, with errors
// that name the file and line; prompt-hash splits; per-prompt cost as the data's README defines it.
import { bareNameMatches } from '../src/core/model-names.js';
import { isPriceNote } from '../src/core/price-note.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface DataRow {
  id: string;
  source: string;
  prompt: string;
  scores: Record<string, number>;
  costUsd?: Record<string, number>;
  outChars?: Record<string, number>;
  contaminated: boolean;
  /** The data file (its base name): the group whose scores are comparable. */
  group: string;
}

export interface Price {
  inputPer1M: number;
  outputPer1M: number;
}

export type PriceTable = Map<string, Map<string, Price>>;

export class DataError extends Error {}

/**
 * A `model → number` field: an object whose every value is a number in [min, max], or null (JSON's
 * "no value": that model is left out, as if the field did not name it; `nulls` counts them). Says
 * which model's value is wrong, and how, when it is not.
 */
function checkModelNumbers(
  v: unknown,
  field: string,
  where: string,
  nulls: { count: number },
  min: number,
  max = Infinity,
): Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new DataError(`${where}: "${field}" must be an object of model → number`);
  const label = field === 'scores' ? 'score' : field;
  // No prototype: a model named `__proto__` is kept as any other (on `{}` its assignment is
  // dropped), and one named `valueOf` or `constructor` reads as not given where it is not.
  const out = Object.create(null) as Record<string, number>;
  for (const [m, x] of Object.entries(v as Record<string, unknown>)) {
    if (!m.trim())
      throw new DataError(
        `${where}: "${field}" names a model ${JSON.stringify(m)}: a model name cannot be empty`,
      );
    if (x === null) {
      nulls.count++;
      continue;
    }
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new DataError(
        // JSON.stringify says "null" for Infinity (a 1e999 in the file), so name numbers as they are.
        `${where}: ${label} of ${m} must be a finite number, got ${typeof x === 'number' ? String(x) : JSON.stringify(x)}`,
      );
    if (x < min || x > max)
      throw new DataError(
        `${where}: ${label} of ${m} is ${x}, ${max === Infinity ? `below ${min}` : `outside [${min}, ${max}]`}${field === 'scores' && x > max ? ' (quality is on a 0–1 scale: divide a 1–10 grade by 10, a percentage by 100)' : ''}`,
      );
    out[m] = x;
  }
  return out;
}

/**
 * Whether `bytes` look like UTF-16 text without a byte-order mark: a JSON Lines file in UTF-8
 * has no NUL byte, while ASCII text in UTF-16 has one in every other byte (the first of each pair
 * big-endian, the second little-endian). Judged on the first 1,000 bytes.
 */
function utf16WithoutMark(bytes: Buffer): 'little-endian' | 'big-endian' | undefined {
  const n = Math.min(bytes.length, 1000) & ~1;
  if (n < 2) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd >= 0.4 * pairs && even < 0.1 * pairs) return 'little-endian';
  if (even >= 0.4 * pairs && odd < 0.1 * pairs) return 'big-endian';
  return undefined;
}

/**
 * The line numbers of `text` (`bytes` read as UTF-8) where a byte was not UTF-8 (a Latin-1 "é"),
 * which reading replaced with U+FFFD; none when the bytes are UTF-8 throughout.
 */
function linesNotUtf8(bytes: Buffer, text: string): number[] {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return [];
  } catch {
    const lines: number[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.includes('\ufffd')) lines.push(i + 1);
    });
    return lines;
  }
}

/**
 * Loads one JSONL file; every malformed line is an error naming file and line. What the format
 * allows but carries nothing is passed over and told to `note` once per file: a null value (a
 * model with no score, cost or length there), a row no model has a score on (a judge that
 * graded none of the answers) and a row whose prompt is empty or only white space (nothing to
 * route on), which can neither train nor test a router. A UTF-8 byte-order mark
 * and Windows line ends are read through.
 */
export function loadRows(
  file: string,
  note: (message: string) => void = (m) => process.stderr.write(`note: ${m}\n`),
  /** Prompts only (`calibrate --background`): rows need no "scores", and keep theirs if any. */
  promptsOnly = false,
): DataRow[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new DataError(`cannot read ${file}: ${(err as Error).message}`);
  }
  // Read as UTF-8 these would fail on line 1 as "not valid JSON" with a garbled excerpt.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b)
    throw new DataError(`${file}: is gzip-compressed; decompress it first (gunzip)`);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw new DataError(`${file}: is UTF-16 text; save it as UTF-8`);
  const unmarked = utf16WithoutMark(bytes);
  if (unmarked)
    throw new DataError(
      `${file}: is UTF-16 text (${unmarked}, without a byte-order mark); save it as UTF-8 (iconv -f UTF-16${unmarked === 'little-endian' ? 'LE' : 'BE'} -t UTF-8)`,
    );
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const notUtf8 = linesNotUtf8(bytes, text);
  if (notUtf8.length)
    note(
      `${file}: ${countOf(notUtf8.length, 'line')} ${notUtf8.length === 1 ? 'is' : 'are'} not valid UTF-8 (${notUtf8.length === 1 ? 'line' : 'lines'} ${notUtf8.slice(0, 5).join(', ')}${notUtf8.length > 5 ? ', …' : ''}): read with U+FFFD in place of the bytes that are not; a Latin-1 or Windows-1252 file reads as written once converted (iconv -f WINDOWS-1252 -t UTF-8)`,
    );
  const group = basename(file);
  const rows: DataRow[] = [];
  const nulls = { count: 0 };
  const unscored: number[] = [];
  const blank: number[] = [];
  const lines = text.split('\n');
  // Every bad line is reported, not only the first, so one run shows all there is to fix; a
  // file that is not JSON Lines at all (one array, pretty-printed) is said once, at once.
  const bad: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    try {
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(line) as Record<string, unknown>;
      } catch (err) {
        throw lineError(
          `${where}: not valid JSON (${(err as Error).message})`,
          notJsonLinesHint(lines, i, true),
        );
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw lineError(
          `${where}: each line must be a JSON object with "prompt" and "scores"`,
          notJsonLinesHint(lines, i, false),
        );
      if (raw.prompt === undefined)
        throw new DataError(
          `${where}: "prompt" is missing; it holds the user text (the first user turn)`,
        );
      if (typeof raw.prompt !== 'string')
        throw new DataError(
          `${where}: "prompt" must be a string (the user text), got ${Array.isArray(raw.prompt) ? 'an array: put the first user turn\'s text in "prompt" (a chat\'s messages are not read)' : JSON.stringify(raw.prompt)}`,
        );
      if (!raw.prompt.trim()) {
        blank.push(i + 1);
        continue;
      }
      if (raw.scores === undefined && !promptsOnly)
        throw new DataError(
          `${where}: "scores" is missing; it maps each model to its quality in [0, 1]`,
        );
      const scores =
        raw.scores == null && promptsOnly
          ? {}
          : checkModelNumbers(raw.scores, 'scores', where, nulls, 0, 1);
      if (Object.keys(scores).length === 0 && !promptsOnly) {
        unscored.push(i + 1);
        continue;
      }
      const costUsd =
        raw.cost_usd == null
          ? undefined
          : checkModelNumbers(raw.cost_usd, 'cost_usd', where, nulls, 0);
      const outChars =
        raw.out_chars == null
          ? undefined
          : checkModelNumbers(raw.out_chars, 'out_chars', where, nulls, 0);
      if (raw.source != null && typeof raw.source !== 'string')
        throw new DataError(
          `${where}: "source" must be a string (the collection/task, e.g. "mmlu/anatomy"), got ${JSON.stringify(raw.source)}; leave it out to use the file's name`,
        );
      const meta = (raw.meta ?? {}) as Record<string, unknown>;
      rows.push({
        id:
          typeof raw.id === 'string' || typeof raw.id === 'number'
            ? String(raw.id)
            : `${group}:${i + 1}`,
        // An empty source is no source: the file's name, as when the field is left out.
        source: typeof raw.source === 'string' && raw.source.trim() ? raw.source : group,
        prompt: raw.prompt,
        scores,
        costUsd,
        outChars,
        contaminated: meta.routellm_contaminated === true,
        group,
      });
    } catch (err) {
      if (!(err instanceof DataError) || err instanceof NotJsonLines) throw err;
      bad.push(err.message);
    }
  }
  if (bad.length === 1) throw new DataError(bad[0]);
  if (bad.length > 1) {
    const shown = bad.slice(0, MAX_BAD_LINES_SHOWN).map((m) => `  ${m}`);
    if (bad.length > MAX_BAD_LINES_SHOWN)
      shown.push(`  … and ${bad.length - MAX_BAD_LINES_SHOWN} more`);
    throw new DataError(
      `${file}: ${bad.length} bad lines; fix each and run again:\n${shown.join('\n')}`,
    );
  }
  if (nulls.count)
    note(
      `${file}: ${countOf(nulls.count, 'null value')} in "scores", "cost_usd" or "out_chars" read as not given for that model`,
    );
  if (unscored.length) note(`${file}: ${passedOver(unscored, 'with no model scored')}`);
  if (blank.length) note(`${file}: ${passedOver(blank, 'with an empty prompt')}`);
  if (rows.length === 0)
    throw new DataError(
      `${file}: no rows${unscored.length ? ' with a score (each needs at least one model\'s score in "scores")' : blank.length ? ' with a prompt' : ''}`,
    );
  return rows;
}

/** Bad lines listed in the error about a file; the rest are counted. */
const MAX_BAD_LINES_SHOWN = 10;

/** The whole file is not JSON Lines: said once, not for each of its lines. */
class NotJsonLines extends DataError {}

/** A line's error, with `notJsonLinesHint`'s hint; a hint about the whole file stops the read. */
function lineError(message: string, hint: { text: string; wholeFile: boolean }): DataError {
  return hint.wholeFile
    ? new NotJsonLines(`${message}${hint.text}`)
    : new DataError(`${message}${hint.text}`);
}

/**
 * What to do when the file is not JSON Lines at all, judged from line `i` (0-based): one JSON
 * array (`[` on the first line), or pretty-printed JSON (a line that is only `{` or `[`); or,
 * for a line that does not parse (`unparsed`) and is the file's last with no line break after
 * it, that the file may have been cut off.
 */
function notJsonLinesHint(
  lines: string[],
  i: number,
  unparsed: boolean,
): { text: string; wholeFile: boolean } {
  const line = lines[i]!.trim();
  if (line.startsWith('[') && !lines.slice(0, i).some((l) => l.trim()))
    return {
      text: ': the file looks like one JSON array; the format is JSON Lines, one object a line (`jq -c ".[]"` converts it)',
      wholeFile: true,
    };
  if (line === '{' || line === '[')
    return {
      text: ': the file looks pretty-printed; the format is JSON Lines, each object whole on one line (`jq -c .` converts it)',
      wholeFile: true,
    };
  if (unparsed && i === lines.length - 1)
    return {
      text: ': it is the last line and the file does not end with a line break; was the file cut off?',
      wholeFile: false,
    };
  return { text: '', wholeFile: false };
}

/** "1 row", "3 rows": a count and its noun, in the plural unless it is one. */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "3 rows <why> passed over (lines 2, 5, 9)", at most five line numbers. */
function passedOver(lines: number[], why: string): string {
  const list = `${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''}`;
  return `${countOf(lines.length, 'row')} ${why} passed over (${lines.length === 1 ? 'line' : 'lines'} ${list})`;
}

/**
 * Prices: `models.json` layout (`{datasets: {<file>: {<model>: {input_per_1m_usd, output_per_1m_usd}}}}`,
 * looked up by the data file's base name; a file it does not list is priced by model name from
 * the files it does) or a flat `{<model>: {input_per_1m_usd, output_per_1m_usd}}` that applies to
 * every file.
 */
export function loadPrices(
  file: string,
  warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
): (group: string) => Map<string, Price> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataError(`${file}: cannot read prices: ${(err as Error).message}`);
  }
  const parseTable = (obj: unknown, where: string): Map<string, Price> => {
    const out = new Map<string, Price>();
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new DataError(
        `${where}: expected an object of model → {input_per_1m_usd, output_per_1m_usd}`,
      );
    for (const [model, p] of Object.entries(obj)) {
      if (isPriceNote(model, p)) continue;
      const v = p as { input_per_1m_usd?: unknown; output_per_1m_usd?: unknown };
      // An unknown price (null) leaves the model unpriced: it is dropped from the pool with a warning.
      if (v?.input_per_1m_usd === null || v?.output_per_1m_usd === null) continue;
      if (
        typeof v?.input_per_1m_usd !== 'number' ||
        typeof v?.output_per_1m_usd !== 'number' ||
        !Number.isFinite(v.input_per_1m_usd) ||
        !Number.isFinite(v.output_per_1m_usd)
      )
        throw new DataError(
          `${where}.${model}: needs numeric input_per_1m_usd and output_per_1m_usd (finite USD per 1M tokens, null where unknown)`,
        );
      if (v.input_per_1m_usd < 0 || v.output_per_1m_usd < 0)
        throw new DataError(`${where}.${model}: a price cannot be negative`);
      out.set(model, { inputPer1M: v.input_per_1m_usd, outputPer1M: v.output_per_1m_usd });
    }
    return out;
  };
  // JSON `null`, a list, a number: neither layout (parseTable says what is expected).
  const datasets =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as { datasets?: unknown }).datasets
      : undefined;
  if (
    datasets !== undefined &&
    (typeof datasets !== 'object' || datasets === null || Array.isArray(datasets))
  )
    throw new DataError(
      `${file}: "datasets" must be an object of data file name → {model → {input_per_1m_usd, output_per_1m_usd}}, as in the shared models.json`,
    );
  if (datasets) {
    const tables = new Map(
      Object.entries(datasets).map(([f, t]) => [f, parseTable(t, `${file}: datasets.${f}`)]),
    );
    // A file not listed (a renamed copy, a held-out part) is priced by model name from the listed
    // ones: a model's list price is the same whichever file scored it (first file by name wins).
    const byModel = new Map<string, Price>();
    const firstFile = new Map<string, string>();
    const conflicts: string[] = [];
    for (const f of [...tables.keys()].sort())
      for (const [model, price] of tables.get(f)!) {
        const taken = byModel.get(model);
        if (!taken) {
          byModel.set(model, price);
          firstFile.set(model, f);
        } else if (taken.inputPer1M !== price.inputPer1M || taken.outputPer1M !== price.outputPer1M)
          conflicts.push(
            `${model} (${priceText(taken)} in ${firstFile.get(model)!}, ${priceText(price)} in ${f})`,
          );
      }
    // Which of two prices a file not listed gets is a guess: said once per such file.
    const warned = new Set<string>();
    return (group) => {
      const listed = tables.get(group);
      if (listed) return listed;
      if (conflicts.length && !warned.has(group)) {
        warned.add(group);
        warn(
          `${file}: ${group} is not listed under "datasets", so its models are priced by name from the listed files, where ${conflicts.length === 1 ? 'a model has' : 'models have'} two prices: ${conflicts.join('; ')}; the first file's by name is taken. List ${group} under "datasets" to price it as you mean`,
        );
      }
      return byModel;
    };
  }
  const flat = parseTable(raw, file);
  return () => flat;
}

/** A price as a price file gives it, input/output USD per 1M tokens. */
function priceText(p: Price): string {
  return `${p.inputPer1M}/${p.outputPer1M} USD per 1M`;
}

/**
 * `prices` with an entry for each of `models` the price file names otherwise: a model with no
 * price under its own name takes the one price whose name is the same without provider prefix
 * and case (`Mixtral-8x7B-Instruct-v0.1` ↔ `mistralai/Mixtral-8x7B-Instruct-v0.1`), and `warn`
 * says so. A name that matches none, or several, stays unpriced; for several, `warn` names them
 * (the price to give it is one of theirs). `prices` itself is not changed.
 */
export function pricesByBareName(
  prices: Map<string, Price>,
  models: Iterable<string>,
  where: string,
  warn: (message: string) => void,
): Map<string, Price> {
  let out = prices;
  const lookup = bareNameMatches(prices.keys());
  for (const model of models) {
    if (prices.has(model)) continue;
    const matches = lookup(model);
    if (matches.length > 1)
      warn(
        `${where}: model "${model}" has no price under that name, and the price file has several it could be (${matches.map((m) => `"${m}"`).join(', ')}); give it a price under its own name`,
      );
    if (matches.length !== 1) continue;
    const match = matches[0]!;
    if (out === prices) out = new Map(prices);
    const price = prices.get(match)!;
    out.set(model, price);
    warn(
      `${where}: model "${model}" has no price under that name; priced as "${match}" (${price.inputPer1M} / ${price.outputPer1M} USD per 1M input / output tokens)`,
    );
  }
  return out;
}

/** A prompt as duplicates are told apart: its text trimmed and lower-cased. */
export function promptKey(prompt: string): string {
  return prompt.trim().toLowerCase();
}

/** Salted hash of the prompt text in [0, 1): duplicates always land on the same side. */
export function promptHash(prompt: string, salt = 'model-router-split-v1'): number {
  const h = createHash('sha1').update(salt).update(promptKey(prompt)).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

export function splitByHash<T extends { prompt: string }>(
  rows: T[],
  testFraction: number,
  salt?: string,
): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  for (const r of rows) (promptHash(r.prompt, salt) < testFraction ? test : train).push(r);
  return { train, test };
}

const DEFAULT_ANSWER_CHARS = 1200;

/** Cost of one model on one prompt: measured `cost_usd`, else chars/4 tokens × list price. */
export function promptCost(row: DataRow, model: string, price: Price): number {
  const measured = row.costUsd?.[model];
  if (measured !== undefined) return measured;
  const outChars = row.outChars?.[model] ?? DEFAULT_ANSWER_CHARS;
  return ((row.prompt.length / 4) * price.inputPer1M + (outChars / 4) * price.outputPer1M) / 1e6;
}

/**
 * A model's answer length in tokens on one prompt, read back from its measured `cost_usd` (the
 * inverse of `promptCost`: the cost less the prompt's chars/4 tokens at the input price, over the
 * output price; at least 0); undefined without a measured cost or an output price.
 */
export function answerTokensFromCost(
  row: DataRow,
  model: string,
  price: Price,
): number | undefined {
  const measured = row.costUsd?.[model];
  if (measured === undefined || !(price.outputPer1M > 0)) return undefined;
  const input = (row.prompt.length / 4) * price.inputPer1M;
  return Math.max(0, (measured * 1e6 - input) / price.outputPer1M);
}

/** `by_source` key: the first two `/`-segments of `source`. */
export function sourceGroup(source: string): string {
  return source.split('/').slice(0, 2).join('/');
}
