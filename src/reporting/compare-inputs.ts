// What `model-router compare` reads: a prompt file (`.txt`, one prompt a line; `.jsonl`, one
// object a line with optional references and scores) and a flat prices file.
import { readFileSync } from 'node:fs';
import { describeValue } from '../core/describe-value.js';
import { fileReadReason } from '../core/file-read-reason.js';
import { isPriceNote } from '../core/price-note.js';
import { badLinesMessage, notUtf8Text, unparsedLineHint } from '../../training/load-rows.js';

export interface ComparePrompt {
  id: string;
  messages: { role: string; content: string }[];
  /** The text that stands for the prompt in reports (the last user turn). */
  text: string;
  reference?: string;
  /** Known quality per model or deployment name (e.g. from a benchmark), 0..1. */
  scores?: Record<string, number>;
  source?: string;
  category?: string;
}

export class PromptFileError extends Error {}

/** The prompts file is not JSON Lines at all: said once, not for each of its lines. */
class NotJsonLines extends PromptFileError {}

/** `.txt`: one prompt per non-empty line. `.jsonl`: one object per line with `prompt` (or
 * `messages`, or `input`), optional `id`, `reference`/`answer`, `scores`, `source`, `category`.
 * A row whose `prompt` (or `input`) is empty or blank is passed over, told to `note`, as the
 * training commands pass it over: there is nothing to send. Every bad line is in the one error. */
export function loadPrompts(
  file: string,
  note: (message: string) => void = (m) => process.stderr.write(`note: ${m}\n`),
): ComparePrompt[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new PromptFileError(`cannot read the prompts file ${file}: ${fileReadReason(err)}`);
  }
  // gzip or UTF-16: said as train says it, not as line 1's garbled "not valid JSON".
  const encoding = notUtf8Text(file, bytes);
  if (encoding) throw new PromptFileError(encoding);
  const raw = bytes.toString('utf8');
  // A UTF-8 byte-order mark (Windows editors write one) is read through, as the training
  // commands read it: before, line 1 was "not valid JSON" over an invisible character.
  const lines = raw.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: ComparePrompt[] = [];
  if (!/\.jsonl?$/i.test(file)) {
    lines.forEach((l, i) => {
      const text = l.trim();
      if (text)
        out.push({ id: `line-${i + 1}`, messages: [{ role: 'user', content: text }], text });
    });
  } else {
    const blank: number[] = [];
    // Every bad line is said, not only the first, as train says a data file's (the first ten,
    // then how many more), so one run shows all there is to fix; a file that is not JSON Lines
    // at all (one array, pretty-printed) is said once.
    const bad: string[] = [];
    const readLine = (l: string, i: number): void => {
      if (!l.trim()) return;
      const where = `${file}:${i + 1}`;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch (err) {
        // With train's hint: a NaN or Python value and how to write it, or a cut-off last line.
        const hint = unparsedLineHint(lines, i);
        const message = `${where}: not valid JSON (${(err as Error).message})${hint.text}`;
        throw hint.wholeFile ? new NotJsonLines(message) : new PromptFileError(message);
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new PromptFileError(`${where}: each line must be a JSON object`);
      let messages: { role: string; content: string }[];
      const text = typeof o.prompt === 'string' ? o.prompt : o.input;
      if (typeof text === 'string' && !text.trim()) {
        blank.push(i + 1);
        return;
      }
      if (typeof o.prompt === 'string') messages = [{ role: 'user', content: o.prompt }];
      else if (typeof o.input === 'string') messages = [{ role: 'user', content: o.input }];
      else if (
        Array.isArray(o.messages) &&
        o.messages.length > 0 &&
        o.messages.every(
          (m) =>
            typeof m === 'object' &&
            m !== null &&
            typeof (m as { role?: unknown }).role === 'string' &&
            typeof (m as { content?: unknown }).content === 'string',
        )
      )
        messages = o.messages as { role: string; content: string }[];
      else
        throw new PromptFileError(
          `${where}: needs "prompt" (a string), "input" (a string) or "messages" (an array of {role, content} with string content)`,
        );
      const reference = o.reference ?? o.answer ?? o.expected;
      if (reference !== undefined && typeof reference !== 'string' && typeof reference !== 'number')
        throw new PromptFileError(`${where}: "reference" must be a string or a number`);
      let scores: Record<string, number> | undefined;
      if (o.scores !== undefined) {
        if (typeof o.scores !== 'object' || o.scores === null || Array.isArray(o.scores))
          throw new PromptFileError(`${where}: "scores" must be an object of model → number`);
        // No prototype: a model named `__proto__` is a score like any other.
        scores = Object.create(null) as Record<string, number>;
        for (const [k, v] of Object.entries(o.scores)) {
          // null is the routing data's "no score for this model here" (a judge gave no grade).
          if (v === null) continue;
          if (typeof v !== 'number' || !Number.isFinite(v))
            throw new PromptFileError(
              `${where}: scores["${k}"] must be a number in [0, 1], got ${describeValue(v)}`,
            );
          if (v < 0 || v > 1)
            throw new PromptFileError(
              `${where}: scores["${k}"] is ${v}, outside [0, 1]${v > 1 ? ' (quality is on a 0–1 scale: divide a 1–10 grade by 10, a percentage by 100)' : ''}`,
            );
          scores[k] = v;
        }
      }
      const users = messages.filter((m) => m.role === 'user');
      out.push({
        id: typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : `line-${i + 1}`,
        messages,
        text: (users[users.length - 1] ?? messages[messages.length - 1]!).content,
        ...(reference !== undefined ? { reference: String(reference) } : {}),
        ...(scores ? { scores } : {}),
        ...(typeof o.source === 'string' ? { source: o.source } : {}),
        ...(typeof o.category === 'string' ? { category: o.category } : {}),
      });
    };
    lines.forEach((l, i) => {
      try {
        readLine(l, i);
      } catch (err) {
        if (!(err instanceof PromptFileError) || err instanceof NotJsonLines) throw err;
        bad.push(err.message);
      }
    });
    if (bad.length) throw new PromptFileError(badLinesMessage(file, bad));
    if (blank.length)
      note(
        `${file}: ${blank.length} ${blank.length === 1 ? 'row' : 'rows'} with an empty prompt passed over (${blank.length === 1 ? 'line' : 'lines'} ${blank.slice(0, 5).join(', ')}${blank.length > 5 ? ', …' : ''})`,
      );
  }
  if (out.length === 0) throw new PromptFileError(`${file} holds no prompts`);
  return out;
}

export interface Price {
  inputPer1M: number;
  cachedInputPer1M?: number;
  outputPer1M: number;
}

/** A flat prices file: `{ "<model or deployment>": {input_per_1m_usd, output_per_1m_usd,
 * cached_input_per_1m_usd?} }`. A `null` input or output price is unknown: the model is priced as
 * one the file does not name (no cost counted), with a warning, as train, eval and calibrate
 * leave such a model out of the pool; a `null` cached price is none (cached input at the input
 * price). */
export function loadFlatPrices(
  file: string,
  warn: (message: string) => void = (m) => process.stderr.write(`warning: ${m}\n`),
): Map<string, Price> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PromptFileError(`cannot read the prices file ${file}: ${fileReadReason(err)}`);
  }
  let parsed: unknown;
  try {
    // A byte-order mark is read through, as train reads a price file.
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    // Said as train says it, not as though the file could not be opened.
    throw new PromptFileError(
      `${file}: the prices are not valid JSON (${(err as Error).message}); compare takes flat prices, one JSON object {"<model>": {"input_per_1m_usd": …, "output_per_1m_usd": …}}`,
    );
  }
  const out = new Map<string, Price>();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PromptFileError(`${file}: expected an object of model → prices`);
  // The shared models.json prices models per data file; said as such, not as a model "datasets"
  // with no input_per_1m_usd.
  const datasets = (parsed as { datasets?: unknown }).datasets;
  if (typeof datasets === 'object' && datasets !== null && !Array.isArray(datasets))
    throw new PromptFileError(
      `${file}: is in models.json's layout (prices under "datasets", by data file); compare takes flat prices, {"<model>": {"input_per_1m_usd": …, "output_per_1m_usd": …}}: take one file's (jq '.datasets["${Object.keys(datasets)[0] ?? '<file>'}"]' ${file})`,
    );
  const unknown: string[] = [];
  for (const [name, p] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    if (isPriceNote(name, p)) continue;
    const input = p?.input_per_1m_usd;
    const output = p?.output_per_1m_usd;
    const cached = p?.cached_input_per_1m_usd ?? undefined;
    if (typeof p === 'object' && p !== null && (input === null || output === null)) {
      unknown.push(name);
      continue;
    }
    const price = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
    const is = (field: string, v: unknown) =>
      `${field} is ${v === undefined ? 'missing' : describeValue(v)}`;
    const wrong =
      typeof p !== 'object' || p === null
        ? `got ${describeValue(p)}`
        : !price(input)
          ? is('input_per_1m_usd', input)
          : !price(output)
            ? is('output_per_1m_usd', output)
            : cached !== undefined && !price(cached)
              ? is('cached_input_per_1m_usd', cached)
              : undefined;
    if (wrong)
      throw new PromptFileError(
        `${file}: "${name}" needs input_per_1m_usd and output_per_1m_usd (and optionally cached_input_per_1m_usd) as USD per 1M tokens, finite and ≥ 0; ${wrong}`,
      );
    out.set(name, {
      inputPer1M: input as number,
      outputPer1M: output as number,
      ...(typeof cached === 'number' ? { cachedInputPer1M: cached } : {}),
    });
  }
  if (unknown.length)
    warn(
      `${file}: ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'has' : 'have'} a null price (unknown): no cost is counted for ${unknown.length === 1 ? 'it' : 'them'} ("no price" in the report), as for a model the file does not name`,
    );
  return out;
}
