// What `model-router compare` reads: a prompt file (`.txt`, one prompt a line; `.jsonl`, one
// object a line with optional references and scores) and a flat prices file.
import { readFileSync } from 'node:fs';
import { describeValue } from '../core/describe-value.js';
import { isPriceNote } from '../core/price-note.js';

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

/** `.txt`: one prompt per non-empty line. `.jsonl`: one object per line with `prompt` (or
 * `messages`, or `input`), optional `id`, `reference`/`answer`, `scores`, `source`, `category`. */
export function loadPrompts(file: string): ComparePrompt[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PromptFileError(`cannot read the prompts file ${file}: ${(err as Error).message}`);
  }
  const lines = raw.split(/\r?\n/);
  const out: ComparePrompt[] = [];
  if (!/\.jsonl?$/i.test(file)) {
    lines.forEach((l, i) => {
      const text = l.trim();
      if (text)
        out.push({ id: `line-${i + 1}`, messages: [{ role: 'user', content: text }], text });
    });
  } else {
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      const where = `${file}:${i + 1}`;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(l) as Record<string, unknown>;
      } catch (err) {
        throw new PromptFileError(`${where}: not valid JSON (${(err as Error).message})`);
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new PromptFileError(`${where}: each line must be a JSON object`);
      let messages: { role: string; content: string }[];
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
    });
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
 * cached_input_per_1m_usd?} }`. */
export function loadFlatPrices(file: string): Map<string, Price> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PromptFileError(`cannot read the prices file ${file}: ${(err as Error).message}`);
  }
  const out = new Map<string, Price>();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PromptFileError(`${file}: expected an object of model → prices`);
  for (const [name, p] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    if (isPriceNote(name, p)) continue;
    const input = p?.input_per_1m_usd;
    const output = p?.output_per_1m_usd;
    const cached = p?.cached_input_per_1m_usd;
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
  return out;
}
