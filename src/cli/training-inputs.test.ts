// What the training commands (train, eval, calibrate) do with odd inputs: a number option that is
// not a number, or out of range, a price file that is JSON null, a model whose name starts with an
// underscore; and the per-prompt outcomes `eval --out` promises.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadPrices } from '../../training/load-prices.js';
import type { EvalReport } from '../../training/evaluate.js';
import { parseArtefact } from '../routing/artefact-json.js';
import { run as calibrate } from './calibrate.js';
import { run as evalRun } from './eval.js';
import { run as train } from './train.js';
import { UsageError } from './usage-error.js';

const WORDS = 'red blue green amber violet ochre teal coral ivory olive plum rust sage'.split(' ');

/** A two-model file (strong right on most prompts, weak on the easy ones) and its flat prices. */
function fixture(models = { strong: 'strong', weak: 'weak' }): {
  dir: string;
  data: string;
  prices: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mr-inputs-'));
  const rows = Array.from({ length: 160 }, (_, i) => {
    const easy = i % 3 !== 0;
    return JSON.stringify({
      id: `r${i}`,
      source: easy ? 'x/easy' : 'x/hard',
      // Words that vary with i, so that no two prompts are near-copies (one group would leave
      // `eval`'s near-copy split nothing to hold out).
      prompt: `${easy ? 'say hello to' : 'prove the theorem about'} ${WORDS[i % 13]} ${WORDS[(i * 5) % 11]} number ${i}`,
      scores: {
        [models.strong]: i % 7 ? 1 : 0,
        [models.weak]: easy ? (i % 5 ? 1 : 0) : i % 4 ? 0 : 1,
      },
    });
  });
  const data = join(dir, 'd.jsonl');
  writeFileSync(data, `${rows.join('\n')}\n`);
  const prices = join(dir, 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({
      _note: 'list prices, USD per 1M tokens',
      [models.strong]: { input_per_1m_usd: 10, output_per_1m_usd: 30 },
      [models.weak]: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.3 },
    }),
  );
  return { dir, data, prices };
}

/** Runs a command with stdout and stderr captured. */
async function capture(command: (argv: string[]) => Promise<number>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    return { code: await command(argv), out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

/**
 * Runs a command that must refuse its options: the UsageError it throws (the CLI's entry prints
 * it as one line, exit 2) and what it wrote before.
 */
async function refusal(command: (argv: string[]) => Promise<number>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    await command(argv);
  } catch (e) {
    return { error: e, out: out.join(''), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
  throw new Error(`${argv.join(' ')} was not refused`);
}

describe('the training commands refuse a number option that is not one', () => {
  afterEach(() => vi.restoreAllMocks());

  it('eval: each option, with what it takes and what was given, before any training', async () => {
    const { data, prices } = fixture();
    const cases: [string[], string][] = [
      [['--seed', 'abc'], '--seed must be a whole number ≥ 0 and ≤ 4294967295'],
      [
        ['--seed', '1.5'],
        '--seed must be a whole number ≥ 0 and ≤ 4294967295 (the seed of every sample and split, e.g. 1), got "1.5"',
      ],
      [['--seed=-1'], '--seed must be a whole number'],
      [
        ['--seed', String(2 ** 32)],
        '--seed must be a whole number ≥ 0 and ≤ 4294967295 (the seed of every sample and split, e.g. 1), got "4294967296"',
      ],
      [['--balanced-band', 'abc'], '--balanced-band must be a number ≥ -2 and ≤ 1.5'],
      [['--cost-band', '9'], '--cost-band must be a number ≥ -2 and ≤ 1.5'],
      [['--lr', 'abc'], '--lr must be a number > 0'],
      [['--lr', '0'], '--lr must be a number > 0'],
      [['--l2=-1'], '--l2 must be a number ≥ 0'],
      [['--c', ''], '--c must be a number > 0'],
      [['--epochs', '2.5'], '--epochs must be a whole number ≥ 1'],
    ];
    for (const [option, message] of cases) {
      const r = await refusal(evalRun, [
        ...['--train', data, '--test', data, '--prices', prices, '--json'],
        ...option,
      ]);
      expect(r.error, option.join(' ')).toBeInstanceOf(UsageError);
      expect((r.error as Error).message, option.join(' ')).toContain(message);
      expect(r.out, option.join(' ')).toBe('');
      // Refused before training: no progress bar was drawn.
      expect(r.err, option.join(' ')).not.toContain('train [');
    }
    // In range they are taken: the band decides the run (1.5 keeps Balanced on the strong model).
    const taken = await capture(evalRun, [
      ...['--train', data, '--test', data, '--prices', prices, '--json'],
      ...['--seed', '4294967295', '--balanced-band', '1.5', '--lr', '0.2', '--c', '1'],
    ]);
    expect(taken.code).toBe(0);
    const report = JSON.parse(taken.out) as EvalReport;
    expect(report.modes.balanced.share).toEqual({ strong: 1 });
  });

  it('train and calibrate: a seed that is not a whole number writes no artefact', async () => {
    const { dir, data, prices } = fixture();
    const out = join(dir, 'a.json');
    const trainTo = ['--data', data, '--prices', prices, '--out', out];
    for (const seed of ['abc', '1.5', '']) {
      const r = await refusal(train, [...trainTo, '--seed', seed]);
      expect(r.error, seed).toBeInstanceOf(UsageError);
      expect((r.error as Error).message, seed).toContain(
        `--seed must be a whole number ≥ 0 and ≤ 4294967295 (the seed of every sample and split, e.g. 1), got "${seed}"`,
      );
      expect(existsSync(out)).toBe(false);
    }
    const epochs = await refusal(train, [...trainTo, '--epochs', 'many']);
    expect((epochs.error as Error).message).toContain('--epochs must be a whole number ≥ 1');
    const r = await refusal(calibrate, [
      ...['--model', 'latest', '--data', data, '--prices', prices, '--out', out, '--seed', 'abc'],
    ]);
    expect(r.error).toBeInstanceOf(UsageError);
    expect((r.error as Error).message).toContain('--seed must be a whole number');
    expect(existsSync(out)).toBe(false);
    // Before, "abc" trained with a seed of NaN and wrote `"seed": null`.
    expect((await capture(train, [...trainTo, '--seed', '7'])).code).toBe(0);
    expect(parseArtefact(readFileSync(out, 'utf8')).seed).toBe(7);
  });
});

describe('price files', () => {
  afterEach(() => vi.restoreAllMocks());

  it('JSON null, a list or a bad datasets is a clear error in train, eval and calibrate', async () => {
    const { dir, data } = fixture();
    const out = join(dir, 'a.json');
    for (const [text, message] of [
      ['null', 'expected an object of model → {input_per_1m_usd, output_per_1m_usd}'],
      ['[1, 2]', 'expected an object of model → {input_per_1m_usd, output_per_1m_usd}'],
      ['{"datasets": null}', '"datasets" must be an object of data file name'],
      ['{"datasets": [1]}', '"datasets" must be an object of data file name'],
    ]) {
      const prices = join(dir, 'p.json');
      writeFileSync(prices, text!);
      const runs = [
        await capture(train, ['--data', data, '--prices', prices, '--out', out]),
        await capture(evalRun, ['--train', data, '--test', data, '--prices', prices]),
        await capture(calibrate, [
          ...['--model', 'latest', '--data', data, '--prices', prices, '--out', out],
        ]),
      ];
      for (const r of runs) {
        expect(r.code, text).toBe(1);
        expect(r.err, text).toContain(`error: ${prices}: ${message}`);
      }
    }
  });

  it('prices a model whose name starts with an underscore; a `_` key holding text is a note', async () => {
    const { dir, data, prices } = fixture({ strong: '__proto__', weak: '_small' });
    const table = loadPrices(prices)('d.jsonl');
    expect([...table.keys()].sort()).toEqual(['__proto__', '_small']);
    expect(table.get('__proto__')).toEqual({ inputPer1M: 10, outputPer1M: 30 });
    const out = join(dir, 'a.json');
    const r = await capture(train, ['--data', data, '--prices', prices, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('has no price');
    const artefact = parseArtefact(readFileSync(out, 'utf8'));
    expect(artefact.models.map((m) => m.name).sort()).toEqual(['__proto__', '_small']);
  });
});

describe('eval --out', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes a line per test prompt: picks, scores, costs and predictions that add up to the report', async () => {
    const { dir, data, prices } = fixture();
    const outDir = join(dir, 'report');
    const r = await capture(evalRun, [
      ...['--train', data, '--test', data, '--prices', prices, '--json', '--out', outDir],
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as EvalReport;
    const lines = readFileSync(join(outDir, 'outcomes.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(report.prompts);
    const outcomes = lines.map(
      (l) =>
        JSON.parse(l) as {
          id: string;
          source: string;
          best_single: string;
          picks: Record<'quality' | 'balanced' | 'cost', string>;
          score: Record<string, number>;
          predicted_quality: Record<string, number>;
          cost_usd: Record<string, number>;
          predicted_cost_usd: Record<string, number>;
        },
    );
    expect(Object.keys(outcomes[0]!.picks).sort()).toEqual(['balanced', 'cost', 'quality']);
    expect(Object.keys(outcomes[0]!.predicted_quality).sort()).toEqual(['strong', 'weak']);
    // Each mode's quality and cost in the report is the mean over these lines' picks.
    for (const mode of ['quality', 'balanced', 'cost'] as const) {
      const mean = (f: (o: (typeof outcomes)[number]) => number) =>
        outcomes.reduce((a, o) => a + f(o), 0) / outcomes.length;
      expect(mean((o) => o.score[o.picks[mode]]!)).toBeCloseTo(report.modes[mode].quality, 12);
      expect(mean((o) => o.cost_usd[o.picks[mode]]!)).toBeCloseTo(report.modes[mode].cost, 15);
    }
    expect(r.err).toContain('outcomes.jsonl');
    expect(existsSync(join(outDir, 'report.html'))).toBe(true);
  });
});
