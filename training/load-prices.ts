// Reading price files (models.json's layout, by data file, or a flat one for every file), with
// errors that name the file and field; a model priced under another spelling of its name.
import { bareNameMatches } from '../src/core/model-names.js';
import { fileReadReason } from '../src/core/file-read-reason.js';
import { isPriceNote } from '../src/core/price-note.js';
import { readFileSync } from 'node:fs';
import { DataError } from './data-error.js';

export interface Price {
  inputPer1M: number;
  outputPer1M: number;
}

export type PriceTable = Map<string, Map<string, Price>>;

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`${file}: cannot read prices: ${fileReadReason(err)}`);
  }
  let raw: unknown;
  try {
    // A byte-order mark is read through, as in the data files.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    // Before, "cannot read prices: Unexpected end of JSON input", as though the file were missing.
    throw new DataError(
      `${file}: the prices are not valid JSON (${(err as Error).message}); the file is one JSON object, models.json's layout or flat {"<model>": {"input_per_1m_usd": …, "output_per_1m_usd": …}}`,
    );
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
    // A price written beside "datasets" (a model added at the top of a copy of models.json) is in
    // neither layout's place: said, rather than the model later "left out: no price".
    for (const [key, value] of Object.entries(raw as Record<string, unknown>))
      if (key !== 'datasets' && !isPriceNote(key, value))
        warn(
          `${file}: "${key}" is priced beside "datasets", where prices are not read (this is models.json's layout: a model's price goes under datasets.<data file>); move it there, or use a flat file of model → price for every data file`,
        );
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
