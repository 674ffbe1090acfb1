// `eval --salts`: the whole train-and-evaluate once per salted held-out share, with the mean, min
// and max of every headline figure.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shareText } from '../../training/eval-summary.js';
import type { EvalReport } from '../../training/evaluate.js';
import { run } from './eval.js';
import type { SplitSummary } from './eval-tables.js';
import { run as train } from './train.js';
import { UsageError } from './usage-error.js';

function fixture(): { data: string; prices: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mr-eval-'));
  const rows = Array.from({ length: 120 }, (_, i) => {
    const maths = i % 2 === 0;
    return JSON.stringify({
      id: `r${i}`,
      source: maths ? 'x/maths' : 'x/chat',
      prompt: maths ? `solve the sum ${i} plus ${i * 3}` : `say hello to friend number ${i}`,
      scores: { strong: i % 5 === 0 ? 0 : 1, weak: maths ? (i % 3 === 0 ? 1 : 0) : 1 },
    });
  });
  const data = join(dir, 'd.jsonl');
  writeFileSync(data, `${rows.join('\n')}\n`);
  const prices = join(dir, 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({
      strong: { input_per_1m_usd: 10, output_per_1m_usd: 30 },
      weak: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.3 },
    }),
  );
  return { data, prices };
}

describe('eval --salts', () => {
  afterEach(() => vi.restoreAllMocks());

  it("says a file's notes once when it is both --train and --test (tour audit F10)", async () => {
    const { data, prices } = fixture();
    writeFileSync(data, `${readFileSync(data, 'utf8')}{"prompt":"no scores","scores":{}}\n`);
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await run(['--train', data, '--test', data, '--prices', prices, '--json'])).toBe(0);
    const notes = err
      .join('')
      .split('\n')
      .filter((l) => l.includes('passed over'));
    expect(notes).toHaveLength(1);
  });

  it('evaluates once per salt and summarises every headline figure', async () => {
    const { data, prices } = fixture();
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await run([
      ...['--train', data, '--test', data, '--prices', prices],
      ...['--salts', 'a,b,c', '--split', '0.3', '--json'],
    ]);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0]!) as {
      salts: string[];
      reports: EvalReport[];
      summary: SplitSummary;
    };
    expect(result.salts).toEqual(['a', 'b', 'c']);
    expect(result.reports).toHaveLength(3);
    // Each salt holds out its own prompts.
    expect(new Set(result.reports.map((r) => r.prompts)).size).toBeGreaterThan(1);
    const q = result.reports.map((r) => r.modes.cost.quality_ratio!);
    expect(result.summary['cost.quality_ratio']).toEqual({
      mean: (q[0]! + q[1]! + q[2]!) / 3,
      min: Math.min(...q),
      max: Math.max(...q),
      splits: 3,
    });
    expect(result.summary['x/maths balanced.cost_ratio']?.splits).toBe(3);
  });

  it('holds out a share of a test file that is also a training file, however its path is written', async () => {
    const { data, prices } = fixture();
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const sameFileOtherSpelling = relative(process.cwd(), data); // relative, where --train is absolute
    const code = await run([
      ...['--train', data, '--test', sameFileOtherSpelling, '--prices', prices, '--json'],
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(out[0]!) as EvalReport;
    // Before, the paths were compared as written: every prompt was a test prompt and none was
    // left to train on.
    expect(report.prompts).toBeGreaterThan(10);
    expect(report.prompts).toBeLessThan(60);
  });

  it('refuses --salts unless every test file is a training file, with no --model, and a bad --split', async () => {
    const { data } = fixture();
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    // Each is a usage error: main prints it as one line and exits 2 (before, "error: …", exit 1).
    await expect(
      run(['--model', 'models/2026-11-30c.json', '--test', data, '--salts', 'a']),
    ).rejects.toThrow('--salts needs every --test file to be a --train file too');
    await expect(
      run(['--train', data, '--test', data, '--prices', data, '--split', '20%']),
    ).rejects.toThrow('--split must be a share between 0 and 1 (e.g. 0.2), got "20%"');
    // An empty list used to run the single default split as if --salts had not been given.
    await expect(
      run(['--train', data, '--test', data, '--prices', data, '--salts', ',,']),
    ).rejects.toThrow('--salts needs at least one salt (e.g. a,b,c), got ",,"');
    await expect(
      run(['--train', data, '--test', data, '--prices', data, '--salts', 'a,b,a']),
    ).rejects.toThrow('--salts names a salt twice ("a,b,a")');
    await expect(
      run(['--train', data, '--test', data, '--prices', data, '--family', 'nope']),
    ).rejects.toBeInstanceOf(UsageError);
    // A saved artefact is evaluated as it is: --prices or --train with it used to be ignored.
    expect(
      await run(['--model', 'models/2026-11-30c.json', '--test', data, '--prices', data]),
    ).toBe(2);
    expect(err.join('')).toContain('--prices does nothing with --model');
  });

  it('takes --model as a file or as a shipped version (latest, a date), and names the versions otherwise', async () => {
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const test = 'test/fixtures/routing/arenabench_v1.jsonl';
    expect(await run(['--model', 'latest', '--test', test, '--json'])).toBe(0);
    expect(await run(['--model', '2026-11-30e', '--test', test, '--json'])).toBe(0);
    expect(await run(['--model', 'models/2026-11-30e.json', '--test', test, '--json'])).toBe(0);
    const reports = out.map((o) => JSON.parse(o) as EvalReport);
    expect(reports[1]).toEqual(reports[2]);
    expect(reports[0]!.prompts).toBe(reports[1]!.prompts);
    expect(await run(['--model', 'nope', '--test', test, '--json'])).toBe(1);
    expect(err.join('')).toMatch(
      /error: no artefact "nope": not a file, nor a version in .*models.* \(versions: 2026-11-24, .*2026-11-30e, .*, or latest\)/,
    );
  });

  it('says what to fix, exits 1 and writes nothing when no model is priced or no test prompt is scored', async () => {
    const { data, prices } = fixture();
    const dir = mkdtempSync(join(tmpdir(), 'mr-eval-'));
    const otherPrices = join(dir, 'other-prices.json');
    writeFileSync(
      otherPrices,
      JSON.stringify({ zz: { input_per_1m_usd: 1, output_per_1m_usd: 2 } }),
    );
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    // Before, train wrote an artefact of no models and exited 0.
    const artefact = join(dir, 'a.json');
    expect(await train(['--data', data, '--prices', otherPrices, '--out', artefact])).toBe(1);
    expect(existsSync(artefact)).toBe(false);
    expect(err.join('')).toContain(
      'warning: d.jsonl: model "strong" has no price in the price file',
    );
    expect(err.join('')).toContain('error: no model of d.jsonl has a price in the price file');
    expect(await run(['--train', data, '--test', data, '--prices', otherPrices, '--json'])).toBe(1);
    expect(out).toEqual([]);
    // A test file that scores none of the artefact's models: before, a report of zeros.
    expect(await train(['--data', data, '--prices', prices, '--out', artefact])).toBe(0);
    expect(JSON.parse(readFileSync(artefact, 'utf8')).models).toHaveLength(2);
    const unrelated = join(dir, 'unrelated.jsonl');
    writeFileSync(
      unrelated,
      `${JSON.stringify({ id: 'u', source: 'y/z', prompt: 'hi', scores: { zz: 1 } })}\n`,
    );
    err.length = 0;
    expect(await run(['--model', artefact, '--test', unrelated, '--json'])).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('')).toContain('note: 1 test prompt skipped');
    expect(err.join('')).toContain('error: no test prompt left to evaluate (see the notes above)');
  });

  it('warns, on stderr and in the JSON, when a --model artefact was trained on the test prompts, whatever the file is called', async () => {
    const { data, prices } = fixture();
    const dir = mkdtempSync(join(tmpdir(), 'mr-eval-'));
    const artefact = join(dir, 'a.json');
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await train(['--data', data, '--prices', prices, '--out', artefact])).toBe(0);
    // The fingerprint: 4 bytes for each of the 120 distinct prompts.
    const saved = JSON.parse(readFileSync(artefact, 'utf8')) as {
      training: Record<string, { promptHashes?: string }>;
    };
    expect(Buffer.from(saved.training['d.jsonl']!.promptHashes!, 'base64')).toHaveLength(480);
    const evalJson = async (test: string) => {
      err.length = 0;
      out.length = 0;
      expect(await run(['--model', artefact, '--test', test, '--json'])).toBe(0);
      return (JSON.parse(out[0]!) as EvalReport).in_sample;
    };
    // Half the training file's prompts under another name, half new ones (scored the same way).
    const lines = readFileSync(data, 'utf8').split('\n').filter(Boolean);
    const fresh = lines
      .slice(0, 60)
      .map((l) => l.replace(/"prompt":"([^"]*)"/, '"prompt":"$1, asked anew"'));
    const mixed = join(dir, 'held-out.jsonl');
    writeFileSync(mixed, [...lines.slice(60), ...fresh].join('\n'));
    expect(await evalJson(mixed)).toEqual({
      basis: 'prompt content',
      files: [
        {
          file: mixed,
          trained_on: 'd.jsonl',
          trained_prompts: 120,
          test_prompts: 120,
          in_sample_prompts: 60,
          in_sample_fraction: 0.5,
        },
      ],
    });
    expect(err.join('')).toContain(
      `warning: ${artefact} was trained on prompts of the test files (${mixed}: 60 of its 120 prompts (50%), most from d.jsonl): for those prompts these figures are in-sample`,
    );
    // Only new prompts, even in a file named as the training file: not in-sample.
    const renamed = join(mkdtempSync(join(tmpdir(), 'mr-eval-')), 'd.jsonl');
    writeFileSync(renamed, fresh.join('\n'));
    expect(await evalJson(renamed)).toBeUndefined();
    expect(err.join('')).not.toContain('in-sample');
    // The text table is the same, the warning before it on stderr.
    err.length = 0;
    expect(await run(['--model', artefact, '--test', mixed])).toBe(0);
    expect(err.join('')).toContain('in-sample');

    // An artefact from before the fingerprint: the file names are all there is to compare.
    delete saved.training['d.jsonl']!.promptHashes;
    writeFileSync(artefact, JSON.stringify(saved));
    const head = join(mkdtempSync(join(tmpdir(), 'mr-eval-')), 'd.jsonl');
    writeFileSync(head, lines.slice(0, 60).join('\n'));
    expect(await evalJson(head)).toEqual({
      basis: 'file name',
      files: [{ file: head, trained_on: 'd.jsonl', trained_prompts: 120 }],
    });
    expect(err.join('')).toContain(
      `warning: ${artefact} was trained on a file of the same name as ${head} (d.jsonl: 120 prompts): for the prompts it shares with that file these figures are in-sample`,
    );
    expect(err.join('')).toContain('keeps no fingerprint of its training prompts');
    expect(await evalJson(mixed)).toBeUndefined();
  });

  it('reads a data file named twice once', async () => {
    const { data, prices } = fixture();
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    const artefact = join(mkdtempSync(join(tmpdir(), 'mr-eval-')), 'a.json');
    const again = relative(process.cwd(), data);
    expect(await train(['--data', `${data},${again}`, '--prices', prices, '--out', artefact])).toBe(
      0,
    );
    expect(err.join('')).toContain(`warning: ${again} is named more than once; read once`);
    const notes = JSON.parse(readFileSync(artefact, 'utf8')).training['d.jsonl'];
    expect(notes.prompts).toBe(120);
  });
  it('says when a split holds out none or all of a small file, naming the salt', async () => {
    const { data, prices } = fixture();
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const args = ['--train', data, '--test', data, '--prices', prices, '--json'];
    // Before, both read "no test prompt left to evaluate: the --test files must score the
    // artefact's models" (or "no model … has a price"), which sent the user to the wrong file.
    expect(await run([...args, '--split', '0.001'])).toBe(1);
    expect(err.join('')).toContain(
      `error: --split 0.001 holds out none of the 120 prompts of ${data}: nothing to test on. Give a larger --split, more prompts, or a separate --test file`,
    );
    err.length = 0;
    expect(await run([...args, '--split', '0.999', '--salts', 'a'])).toBe(1);
    expect(err.join('')).toContain(
      `error: no training prompt left: every prompt of ${data} is a test prompt (--split 0.999 with salt a holds out all of ${data}). Give a smaller --split, more prompts, or a --train file with other prompts`,
    );
    expect(out).toEqual([]);
  });

  it('says when the figures rest on a handful of test prompts, and gives one prompt no standard error', async () => {
    const { data, prices } = fixture();
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const args = ['--train', data, '--test', data, '--prices', prices, '--json'];
    expect(await run([...args, '--split', '0.1'])).toBe(0);
    const few = JSON.parse(out[0]!) as EvalReport;
    expect(few.prompts).toBeGreaterThan(1);
    expect(few.prompts).toBeLessThan(30);
    expect(err.join('')).toContain(
      `note: only ${few.prompts} test prompts: each weighs 1/${few.prompts} in every figure, so they are anecdotes, not measurements (the ± column is the standard error); evaluate on 30 or more (a larger --split, or a separate --test file)`,
    );
    // One held-out prompt: before, its standard error read 0 (± 0.000), a certainty it lacks.
    const one = join(mkdtempSync(join(tmpdir(), 'mr-eval-one-')), 'one.jsonl');
    writeFileSync(
      one,
      `${JSON.stringify({ prompt: 'solve the sum 1000 plus 3', scores: { strong: 1, weak: 0 } })}\n`,
    );
    err.length = 0;
    out.length = 0;
    expect(await run(['--train', data, '--test', one, '--prices', prices, '--json'])).toBe(0);
    const single = JSON.parse(out[0]!) as EvalReport;
    expect(single.prompts).toBe(1);
    for (const mode of ['quality', 'balanced', 'cost'] as const)
      expect(single.modes[mode].quality_ratio_se).toBeNull();
    expect(err.join('')).toContain('note: only 1 test prompt: each weighs 1/1 in every figure');
    expect(err.join('')).toContain('(one prompt has no standard error)');
    // At 30 prompts and more, nothing is said.
    err.length = 0;
    expect(await run([...args, '--split', '0.5'])).toBe(0);
    expect(err.join('')).not.toContain('anecdotes');
  });

  it('says how many test prompts were left out as marked routellm_contaminated, and when that is all of them', async () => {
    const { data, prices } = fixture();
    const dir = mkdtempSync(join(tmpdir(), 'mr-eval-contam-'));
    const test = join(dir, 'flagged.jsonl');
    const rows = (n: number, flagged: number) =>
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({
          prompt: `solve the new sum ${i} times ${i + 7}`,
          scores: { strong: 1, weak: i % 2 },
          ...(i < flagged ? { meta: { routellm_contaminated: true } } : {}),
        }),
      ).join('\n');
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const args = ['--train', data, '--test', test, '--prices', prices, '--json'];
    writeFileSync(test, `${rows(40, 4)}\n`);
    expect(await run(args)).toBe(0);
    expect((JSON.parse(out[0]!) as EvalReport).prompts).toBe(36);
    expect(err.join('')).toContain(
      'note: 4 test prompts left out: marked "meta.routellm_contaminated" (prompts RouteLLM leaves out of its evaluation, as they overlap its training data); remove the flag to evaluate them',
    );
    // Every row flagged: before, "the --test files must score the artefact's models", which
    // they do, and nothing said why no prompt was left.
    writeFileSync(test, `${rows(40, 40)}\n`);
    err.length = 0;
    out.length = 0;
    expect(await run(args)).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('')).toContain(
      'note: 40 test prompts left out: marked "meta.routellm_contaminated"',
    );
    expect(err.join('')).toContain(
      `error: no test prompt left to evaluate (see the notes above): the --test files must score the artefact's models, including each group's best single model, on prompts not marked "meta.routellm_contaminated"`,
    );
  });

  it('says a warning or note that every salt repeats word for word once', async () => {
    const { data } = fixture();
    const dir = mkdtempSync(join(tmpdir(), 'mr-eval-once-'));
    // "weak" has no price here: each salt's training leaves it out, and each test split scores it.
    const prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({ strong: { input_per_1m_usd: 10, output_per_1m_usd: 30 } }),
    );
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const args = ['--train', data, '--test', data, '--prices', prices, '--json'];
    expect(await run([...args, '--salts', 'a,b,c', '--split', '0.3'])).toBe(0);
    const lines = err.join('').split('\n');
    const count = (start: string) => lines.filter((l) => l.startsWith(start)).length;
    // Before, three of each: one per salt.
    expect(count(`warning: d.jsonl: model "weak" has no price in the price file`)).toBe(1);
    expect(count('note: test file d.jsonl scores weak')).toBe(1);
  });
});

describe('eval when the strongest model is scored on part of the prompts', () => {
  afterEach(() => vi.restoreAllMocks());

  it('measures against the best single model on the training prompts, compared where both are scored, with APGR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-eval-partial-'));
    // "strong" (dear) is scored on every other prompt only, "weak" (cheap) on all: strong is
    // the better model wherever both are scored (0.8 against 0.4), weak the best fully scored one.
    const rows = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({
        id: `p${i}`,
        source: i % 4 < 2 ? 'x/maths' : 'x/chat',
        prompt: `${i % 4 < 2 ? 'solve the sum of' : 'say hello to friend'} ${i} and ${i * 7}`,
        scores: {
          weak: i % 5 < 2 ? 1 : 0,
          ...(i % 2 === 0 ? { strong: i % 10 < 8 ? 1 : 0 } : {}),
        },
      }),
    );
    const data = join(dir, 'partial.jsonl');
    writeFileSync(data, `${rows.join('\n')}\n`);
    const prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({
        strong: { input_per_1m_usd: 10, output_per_1m_usd: 30 },
        weak: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.3 },
      }),
    );
    const err: string[] = [];
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    expect(await run(['--train', data, '--test', data, '--prices', prices, '--json'])).toBe(0);
    const report = JSON.parse(out[0]!) as EvalReport;
    const said = err.join('');
    // Before: weak, the best fully scored model, was "the best single model on the training
    // prompts", every ratio was against it and APGR was null (weak does not beat strong).
    expect(report.best_single.model).toBe('strong');
    expect(report.apgr_gap).toMatchObject({ strong: 'strong', weak: 'weak' });
    expect(report.apgr).toEqual(expect.any(Number));
    expect(report.cpt50).toEqual(expect.any(Number));
    expect(said).toContain(
      'note: group partial.jsonl: the best single model on the training prompts is strong, scored on part of them: compared with weak on the prompts both are scored on',
    );
    expect(said).not.toContain('weak (the best single model on the training prompts)');
    // Ratios are on the same prompts: those that score strong (the others are said to be left out).
    expect(said).toMatch(
      /note: \d+ test prompts skipped: they have no score for strong, the best single model/,
    );
    const lines = report.prompts;
    expect(report.best_single.quality).toBeCloseTo(0.8, 1);
    expect(report.modes.quality.quality_ratio).toBeCloseTo(
      report.modes.quality.quality / report.best_single.quality,
      12,
    );
    expect(lines).toBeGreaterThan(20);
  });
});

describe("eval's table", () => {
  it('names the eight models with the largest shares and sums the rest', () => {
    expect(shareText({ b: 0.25, a: 0.75 })).toBe('a 75%, b 25%');
    const many = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`m${String(i).padStart(2, '0')}`, i < 2 ? 0.3 : 0.04]),
    );
    expect(shareText(many)).toBe(
      'm00 30%, m01 30%, m02 4%, m03 4%, m04 4%, m05 4%, m06 4%, m07 4%, 4 others 16%',
    );
  });
});

describe('eval --out when a report file cannot be written', () => {
  afterEach(() => vi.restoreAllMocks());

  /** `run(argv)`'s exit code and stderr. */
  async function capture(argv: string[]): Promise<{ code: number; err: string }> {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    return { code: await run(argv), err: err.join('') };
  }

  it.each(['report.json', 'report.html', 'outcomes.jsonl'])(
    'names %s and why in one line, exit 1, no stack (a full disk: /dev/full)',
    async (file) => {
      const { data, prices } = fixture();
      const out = mkdtempSync(join(tmpdir(), 'mr-eval-out-'));
      symlinkSync('/dev/full', join(out, file));
      // Before: Node's ENOSPC error thrown out of run(), a stack trace after the evaluation.
      const r = await capture([
        ...['--train', data, '--test', data, '--prices', prices],
        '--out',
        out,
      ]);
      expect(r.code).toBe(1);
      expect(r.err.trimEnd().split('\n').at(-1)).toBe(
        `error: --out ${join(out, file)}: cannot write (no space left on the device)`,
      );
      expect(r.err).not.toMatch(/\n\s+at /);
      // Written whole or not at all: no temporary file left beside the others.
      expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);
    },
  );

  it("says so in one line when a salt's folder cannot be made", async () => {
    const { data, prices } = fixture();
    const out = mkdtempSync(join(tmpdir(), 'mr-eval-out-'));
    mkdirSync(join(out, 'a'));
    writeFileSync(join(out, 'b'), 'a file where the salt b folder goes');
    // Before: Node's "EEXIST: file already exists, mkdir" thrown out of run().
    const r = await capture([
      ...['--train', data, '--test', data, '--prices', prices],
      ...['--salts', 'a,b', '--split', '0.3', '--out', out],
    ]);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd().split('\n').at(-1)).toBe(
      `error: --out ${join(out, 'b')} is a file, not a directory: name a directory to write into`,
    );
  });
});
