// A `null` price in a flat price file means the price is unknown: train, eval and calibrate leave
// that model out of the pool with a warning that says so, as for a model with no price, and
// compare counts no cost for it (until 2026-12-07 compare refused the whole file, while the
// training commands left the model out with a warning that named no null).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadFlatPrices } from '../reporting/compare-inputs.js';
import { parseArtefact } from '../routing/artefact-json.js';
import { run as calibrate } from './calibrate.js';
import { run as compare } from './compare.js';
import { run as evaluate } from './eval.js';
import { run as train } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-null-prices-'));

/** 120 scored prompts over `models`, and a flat price file: `unknown` priced null, others not. */
function files(
  models: string[],
  unknown: Record<string, unknown>,
): { data: string; prices: string } {
  const rows = Array.from({ length: 120 }, (_, i) =>
    JSON.stringify({
      id: `n${i}`,
      source: 'synthetic/null-prices',
      prompt: `${i % 2 ? 'say hello to friend' : 'solve the sum'} number ${i}`,
      scores: Object.fromEntries(models.map((m, k) => [m, (i + k) % 3 ? 1 : 0])),
    }),
  );
  const data = join(dir, 'd.jsonl');
  writeFileSync(data, `${rows.join('\n')}\n`);
  const prices = join(dir, 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({
      strong: { input_per_1m_usd: 10, output_per_1m_usd: 30 },
      weak: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.3 },
      'new-model': { input_per_1m_usd: 0.3, output_per_1m_usd: 0.6 },
      ...unknown,
    }),
  );
  return { data, prices };
}

/** What `run(argv)` writes to stderr, and its exit code. */
async function stderrOf(
  run: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ code: number; said: string }> {
  const said: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, said: said.join('') };
}

const NULLS = {
  mystery: { input_per_1m_usd: 1, output_per_1m_usd: null },
  enigma: { input_per_1m_usd: null, output_per_1m_usd: null },
};

describe('a null price: unknown', () => {
  afterEach(() => vi.restoreAllMocks());

  it('train and eval leave the model out of the pool, with a warning that says it may be null', async () => {
    const { data, prices } = files(['strong', 'weak', 'mystery', 'enigma'], NULLS);
    const out = join(dir, 'a.json');
    const trained = await stderrOf(train, ['--data', data, '--prices', prices, '--out', out]);
    expect(trained.code).toBe(0);
    for (const m of ['mystery', 'enigma'])
      expect(trained.said).toContain(
        `warning: d.jsonl: model "${m}" has no price in the price file (none, or null: unknown); left out of the pool`,
      );
    expect(parseArtefact(readFileSync(out, 'utf8')).models.map((m) => m.name)).toEqual([
      'strong',
      'weak',
    ]);
    const evaluated = await stderrOf(evaluate, [
      '--train',
      data,
      '--test',
      data,
      '--prices',
      prices,
    ]);
    expect(evaluated.code).toBe(0);
    expect(evaluated.said).toContain(
      'warning: d.jsonl: model "mystery" has no price in the price file (none, or null: unknown); left out of the pool',
    );
  });

  it('calibrate leaves a new model priced null out, with a warning that says it may be null', async () => {
    const { data, prices } = files(['gemma-2-9b-it', 'new-model', 'mystery'], NULLS);
    const out = join(dir, 'c.json');
    const r = await stderrOf(calibrate, [
      ...['--model', 'latest', '--data', data, '--prices', prices, '--out', out],
    ]);
    expect(r.said).toContain(
      `warning: model "mystery" has no price in ${prices} (none, or null: unknown); left out`,
    );
    expect(r.code).toBe(0);
    const added = parseArtefact(readFileSync(out, 'utf8')).models.map((m) => m.name);
    expect(added).toContain('new-model');
    expect(added).not.toContain('mystery');
  });

  it('compare reads the file, counts no cost for the model and warns, where it refused the file', async () => {
    const { prices } = files(['strong'], NULLS);
    const warned: string[] = [];
    const table = loadFlatPrices(prices, (w) => warned.push(w));
    expect([...table.keys()]).toEqual(['strong', 'weak', 'new-model']);
    expect(warned).toEqual([
      `${prices}: "mystery", "enigma" have a null price (unknown): no cost is counted for them ("no price" in the report), as for a model the file does not name`,
    ]);
    // A null cached price is none: the input price stands for it.
    writeFileSync(
      prices,
      JSON.stringify({
        m: { input_per_1m_usd: 1, output_per_1m_usd: 2, cached_input_per_1m_usd: null },
      }),
    );
    expect(loadFlatPrices(prices).get('m')).toEqual({ inputPer1M: 1, outputPer1M: 2 });
    // Through the command: a warning, not "error:" (port 1: nothing listens, the requests fail).
    const prompts = join(dir, 'p.txt');
    writeFileSync(prompts, 'hello\n');
    files(['strong'], NULLS);
    const r = await stderrOf(compare, [
      ...['--endpoint', 'http://127.0.0.1:1', '--prompts', prompts, '--targets', 'mystery'],
      ...['--prices', prices, '--out', join(dir, 'cmp'), '--timeout-ms', '2000'],
    ]);
    expect(r.said).toContain(`warning: ${prices}: "mystery", "enigma" have a null price (unknown)`);
    expect(r.said).not.toContain('error:');
  });
});
