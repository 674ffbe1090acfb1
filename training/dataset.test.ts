// Prices for models a price file names otherwise (a provider prefix, another case), and files
// that are not in the line format, or are in it oddly, told apart from the ones that are.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadPrices, pricesByBareName, type Price } from './load-prices.js';
import { loadRows, type DataRow } from './load-rows.js';
import { trainArtefact } from './train-artefact.js';

const mixtral: Price = { inputPer1M: 0.6, outputPer1M: 0.6 };
const table = new Map<string, Price>([
  ['mistralai/Mixtral-8x7B-Instruct-v0.1', mixtral],
  ['gpt-4-1106-preview', { inputPer1M: 10, outputPer1M: 30 }],
  ['a/twin', { inputPer1M: 1, outputPer1M: 1 }],
  ['b/twin', { inputPer1M: 2, outputPer1M: 2 }],
]);

describe('prices by bare name', () => {
  it('prices a model named without its provider prefix or in another case, and says so', () => {
    const warnings: string[] = [];
    const models = ['Mixtral-8x7B-Instruct-v0.1', 'GPT-4-1106-preview', 'twin', 'unknown'];
    const prices = pricesByBareName(table, models, 'f.jsonl', (w) => warnings.push(w));
    expect(prices.get('Mixtral-8x7B-Instruct-v0.1')).toEqual(mixtral);
    expect(prices.get('GPT-4-1106-preview')).toEqual({ inputPer1M: 10, outputPer1M: 30 });
    // Two names match `twin`: it stays unpriced (left out of the pool, with its own warning), and
    // the warning names both, so the user knows which price to give it (CLI audit D18).
    expect(prices.has('twin')).toBe(false);
    expect(prices.has('unknown')).toBe(false);
    expect(warnings).toEqual([
      'f.jsonl: model "Mixtral-8x7B-Instruct-v0.1" has no price under that name; priced as "mistralai/Mixtral-8x7B-Instruct-v0.1" (0.6 / 0.6 USD per 1M input / output tokens)',
      'f.jsonl: model "GPT-4-1106-preview" has no price under that name; priced as "gpt-4-1106-preview" (10 / 30 USD per 1M input / output tokens)',
      'f.jsonl: model "twin" has no price under that name, and the price file has several it could be ("a/twin", "b/twin"); give it a price under its own name',
    ]);
    // The price file's own table is left as it was.
    expect(table.has('Mixtral-8x7B-Instruct-v0.1')).toBe(false);
    expect(pricesByBareName(table, ['gpt-4-1106-preview'], 'f', () => {})).toBe(table);
  });

  it('lets train fit such a model instead of leaving it out', () => {
    const rows: DataRow[] = Array.from({ length: 60 }, (_, i) => ({
      id: `r${i}`,
      source: 's/t',
      prompt: `question ${i} about ${i % 2 ? 'maths' : 'poems'}`,
      scores: { 'Mixtral-8x7B-Instruct-v0.1': i % 3 ? 1 : 0, 'gpt-4-1106-preview': 1 },
      contaminated: false,
      group: 'f.jsonl',
    }));
    const warnings: string[] = [];
    const { artefact } = trainArtefact(new Map([['f.jsonl', rows]]), () => table, {
      seed: 1,
      onWarning: (w) => warnings.push(w),
    });
    expect(artefact.models.map((m) => m.name).sort()).toEqual([
      'Mixtral-8x7B-Instruct-v0.1',
      'gpt-4-1106-preview',
    ]);
    expect(artefact.models.find((m) => m.name === 'Mixtral-8x7B-Instruct-v0.1')!.prices).toEqual(
      mixtral,
    );
    expect(warnings.join('\n')).toContain('priced as "mistralai/Mixtral-8x7B-Instruct-v0.1"');
  });
});

describe('reading odd files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-dataset-'));
  /** `text` written to `name` in a scratch folder; its path. */
  const file = (name: string, text: string | Buffer): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const line = (row: Record<string, unknown>) => JSON.stringify({ prompt: 'p', ...row });

  it('keeps models named like an object property as any other model', () => {
    // JSON.parse keeps `__proto__` as a key: on a plain object its assignment was dropped (the
    // model vanished), and `valueOf` read as the score of a row that does not score it.
    const rows = loadRows(
      file(
        'proto.jsonl',
        // (Written out: `{ __proto__: 0.5 }` in a literal would not be a key.)
        `{"prompt": "p", "scores": {"__proto__": 0.5, "b": 1}}\n${line({ prompt: 'q', scores: { b: 0 } })}\n`,
      ),
    );
    expect(Object.keys(rows[0]!.scores)).toEqual(['__proto__', 'b']);
    expect(rows[0]!.scores['__proto__']).toBe(0.5);
    expect(rows[1]!.scores['valueOf']).toBeUndefined();
    expect(rows[1]!.scores['constructor']).toBeUndefined();
    expect(() => loadRows(file('empty-name.jsonl', `${line({ scores: { ' ': 1 } })}\n`))).toThrow(
      'empty-name.jsonl:1: "scores" names a model " ": a model name cannot be empty',
    );
  });

  it('says what a file that is not JSON Lines is, and what to do', () => {
    const rows = [line({ scores: { a: 1 } }), line({ prompt: 'q', scores: { a: 0 } })];
    expect(() => loadRows(file('z.jsonl', gzipSync(rows.join('\n'))))).toThrow(
      'z.jsonl: is gzip-compressed; decompress it first (gunzip)',
    );
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows[0]!, 'utf16le')]);
    expect(() => loadRows(file('u.jsonl', utf16))).toThrow(
      'u.jsonl: is UTF-16 text; save it as UTF-8',
    );
    expect(() => loadRows(file('array.jsonl', `\n[${rows.join(',')}]\n`))).toThrow(
      'array.jsonl:2: each line must be a JSON object with "prompt" and "scores": the file looks like one JSON array; the format is JSON Lines',
    );
    expect(() => loadRows(file('pretty.jsonl', JSON.stringify({ prompt: 'p' }, null, 2)))).toThrow(
      /pretty\.jsonl:1: not valid JSON \(.*\): the file looks pretty-printed; the format is JSON Lines, each object whole on one line/,
    );
    const cut = `${rows[0]}\n${rows[1]!.slice(0, 12)}`;
    expect(() => loadRows(file('cut.jsonl', cut))).toThrow(
      'cut.jsonl:2: not valid JSON (Unterminated string in JSON at position 12): it is the last line and the file does not end with a line break; was the file cut off?',
    );
    // A bad line in the middle is only that.
    expect(() => loadRows(file('mid.jsonl', `${rows[0]}\nnot json\n${rows[1]}`))).toThrow(
      /mid\.jsonl:2: not valid JSON \([^)]*\)$/,
    );
  });

  it('says a file is UTF-16 without a byte-order mark, and notes the lines that are not UTF-8', () => {
    const rows = [line({ scores: { a: 1 } }), line({ prompt: 'q', scores: { a: 0 } })].join('\n');
    // Before: "2 bad lines … not valid JSON" with a garbled excerpt, as for any bad line.
    expect(() => loadRows(file('le.jsonl', Buffer.from(rows, 'utf16le')))).toThrow(
      'le.jsonl: is UTF-16 text (little-endian, without a byte-order mark); save it as UTF-8 (iconv -f UTF-16LE -t UTF-8)',
    );
    const be = Buffer.from(rows, 'utf16le').swap16();
    expect(() => loadRows(file('be.jsonl', be))).toThrow(
      'be.jsonl: is UTF-16 text (big-endian, without a byte-order mark); save it as UTF-8 (iconv -f UTF-16BE -t UTF-8)',
    );
    // Latin-1: read (the prompt's "é" as U+FFFD), and said. Before, read without a word.
    const latin1 = Buffer.from(
      `${line({ prompt: 'caf\u00e9 au lait', scores: { a: 1 } })}\n${line({ prompt: 'ok', scores: { a: 0 } })}\n`,
      'latin1',
    );
    const notes: string[] = [];
    const read = loadRows(file('latin1.jsonl', latin1), (m) => notes.push(m));
    expect(read.map((r) => r.prompt)).toEqual(['caf\ufffd au lait', 'ok']);
    expect(notes).toEqual([
      `${join(dir, 'latin1.jsonl')}: 1 line is not valid UTF-8 (line 1): read with U+FFFD in place of the bytes that are not; a Latin-1 or Windows-1252 file reads as written once converted (iconv -f WINDOWS-1252 -t UTF-8)`,
    ]);
    // UTF-8 text (an "é", a U+FFFD the file itself holds) is no such file.
    const utf8 = `${line({ prompt: 'caf\u00e9 \ufffd', scores: { a: 1 } })}\n`;
    const quiet: string[] = [];
    loadRows(file('utf8.jsonl', utf8), (m) => quiet.push(m));
    expect(quiet).toEqual([]);
  });

  it('reports every bad line of a file, not only the first (ten shown, the rest counted)', () => {
    const good = line({ scores: { a: 1 } });
    const text = [
      good,
      'not json',
      line({ scores: { a: 2 } }),
      good,
      line({ prompt: 7, scores: { a: 1 } }),
      ...Array.from({ length: 10 }, () => line({ scores: 'all' })),
    ].join('\n');
    let message = '';
    try {
      loadRows(file('many.jsonl', `${text}\n`));
    } catch (err) {
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/many\.jsonl: 13 bad lines; fix each and run again:$/);
    expect(lines[1]).toMatch(/^ {2}\S*many\.jsonl:2: not valid JSON/);
    expect(lines[2]).toMatch(/^ {2}\S*many\.jsonl:3: score of a is 2, outside \[0, 1\]/);
    expect(lines[3]).toMatch(/^ {2}\S*many\.jsonl:5: "prompt" must be a string/);
    expect(lines[4]).toMatch(/^ {2}\S*many\.jsonl:6: "scores" must be an object/);
    expect(lines.slice(1, -1)).toHaveLength(10);
    expect(lines.at(-1)).toBe('  … and 3 more');
  });

  it('reads "source" and "id" as the file has them, and refuses a source that is not text', () => {
    const rows = loadRows(
      file(
        'src.jsonl',
        [
          line({ id: 7, source: '', scores: { a: 1 } }),
          line({ prompt: 'q', source: ' ', scores: { a: 1 } }),
          line({ prompt: 'r', source: null, scores: { a: 1 } }),
          line({ prompt: 's', source: 'x/y', scores: { a: 1 } }),
        ].join('\n'),
      ),
    );
    expect(rows.map((r) => [r.id, r.source])).toEqual([
      ['7', 'src.jsonl'],
      ['src.jsonl:2', 'src.jsonl'],
      ['src.jsonl:3', 'src.jsonl'],
      ['src.jsonl:4', 'x/y'],
    ]);
    expect(() =>
      loadRows(
        file(
          'src7.jsonl',
          ['x/y', 7].map((source) => line({ source, scores: { a: 1 } })).join('\n'),
        ),
      ),
    ).toThrow(
      'src7.jsonl:2: "source" must be a string (the collection/task, e.g. "mmlu/anatomy"), got 7; leave it out to use the file\'s name',
    );
  });

  it('warns when a file not listed in models.json takes a model that two listed files price differently', () => {
    const price = (i: number, o: number) => ({ input_per_1m_usd: i, output_per_1m_usd: o });
    const prices = file(
      'mj.json',
      JSON.stringify({
        datasets: {
          'b.jsonl': { 'zeta-large': price(1, 3), same: price(2, 2) },
          'a.jsonl': { 'zeta-large': price(10, 30), same: price(2, 2) },
        },
      }),
    );
    const warnings: string[] = [];
    const pricesFor = loadPrices(prices, (w) => warnings.push(w));
    expect(pricesFor('a.jsonl').get('zeta-large')).toEqual({ inputPer1M: 10, outputPer1M: 30 });
    expect(warnings).toEqual([]);
    // Before, base.jsonl took a.jsonl's price without a word.
    expect(pricesFor('base.jsonl').get('zeta-large')).toEqual({ inputPer1M: 10, outputPer1M: 30 });
    pricesFor('base.jsonl');
    expect(warnings).toEqual([
      `${prices}: base.jsonl is not listed under "datasets", so its models are priced by name from the listed files, where a model has two prices: zeta-large (10/30 USD per 1M in a.jsonl, 1/3 USD per 1M in b.jsonl); the first file's by name is taken. List base.jsonl under "datasets" to price it as you mean`,
    ]);
  });

  it('refuses a price file that is a JSON array', () => {
    expect(() => loadPrices(file('prices.json', '[]'))).toThrow(
      'prices.json: expected an object of model → {input_per_1m_usd, output_per_1m_usd}',
    );
    expect(() => loadPrices(file('nested.json', '{"datasets": {"d.jsonl": []}}'))).toThrow(
      'nested.json: datasets.d.jsonl: expected an object of model',
    );
  });

  it('warns of a model priced beside models.json\'s "datasets", which is not read', () => {
    // CLI audit (hD, 2026-12-07): a price added at the top level of a copy of models.json was
    // passed over in silence, then the model was "left out: no price in prices.json".
    const warnings: string[] = [];
    const mixed = file(
      'mixed.json',
      JSON.stringify({
        _note: 'USD per 1M tokens',
        datasets: { 'd.jsonl': { m: { input_per_1m_usd: 1, output_per_1m_usd: 2 } } },
        newcomer: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.2 },
      }),
    );
    const pricesFor = loadPrices(mixed, (w) => warnings.push(w));
    expect(pricesFor('d.jsonl').has('newcomer')).toBe(false);
    expect(warnings).toEqual([
      `${mixed}: "newcomer" is priced beside "datasets", where prices are not read (this is models.json's layout: a model's price goes under datasets.<data file>); move it there, or use a flat file of model → price for every data file`,
    ]);
  });

  it('reads a price file with a byte-order mark, and says a file that is not JSON is not', () => {
    // Before, both were "cannot read prices: Unexpected token …" / "Unexpected end of JSON input",
    // as though the file could not be opened; the mark is what a Windows editor writes.
    const marked = file(
      'marked.json',
      '\uFEFF{"m": {"input_per_1m_usd": 1, "output_per_1m_usd": 2}}',
    );
    expect(loadPrices(marked)('d.jsonl').get('m')).toEqual({ inputPer1M: 1, outputPer1M: 2 });
    expect(() => loadPrices(file('cut.json', '{"m": {"input_per_1m_usd": '))).toThrow(
      /cut\.json: the prices are not valid JSON \(.*\); the file is one JSON object/,
    );
  });
});
