// `train --confidence-z` and `train --work-budget`: what they store and say, and the clear
// error for a bad value.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseArtefact } from '../routing/artefact-json.js';
import { loadGroups, run } from './train.js';
import { UsageError } from './usage-error.js';

const FIX = 'test/fixtures/routing';

/** `train`'s arguments: `file` in `dir` with the fixture prices, `--<flag>=<value>`, out to `dir`. */
const trainArgs = (dir: string, file: string, flag: string) => (value: string, out: string) => [
  '--data',
  join(dir, file),
  '--prices',
  `${FIX}/prices.json`,
  '--out',
  join(dir, out),
  `--${flag}=${value}`,
];

/** What is written to stderr from now until `restore()`, in `text` (which a test may clear). */
function stderrOf(): { text: string; restore: () => void } {
  const said = { text: '', restore: () => spy.mockRestore() };
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    said.text += String(s);
    return true;
  });
  return said;
}

describe('train --confidence-z', () => {
  it('stores bands calibrated with the given bound and refuses a bad value with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-z-'));
    // Enough prompts for the bands to be calibrated (the tiny fixture gets fixed default bands):
    // the weak model is right on most "easy" prompts and on few "hard" ones.
    const lines = Array.from({ length: 300 }, (_, i) => {
      const easy = i % 3 !== 0;
      return JSON.stringify({
        id: `z${i}`,
        source: 'synthetic/z',
        prompt: `${easy ? 'say hello to' : 'prove the theorem about'} item ${i}`,
        scores: { strong: i % 7 ? 1 : 0, weak: easy ? (i % 5 ? 1 : 0) : i % 4 ? 0 : 1 },
      });
    });
    writeFileSync(join(dir, 'z.jsonl'), lines.join('\n'));
    const args = trainArgs(dir, 'z.jsonl', 'confidence-z');
    const said = stderrOf();
    try {
      // A bad value is a usage error: main prints it as one line and exits 2.
      await expect(run(args('-1', 'bad.json'))).rejects.toThrow(UsageError);
      await expect(run(args('-1', 'bad.json'))).rejects.toThrow(
        '--confidence-z must be a number ≥ 0',
      );
      expect(await run(args('0', 'loose.json'))).toBe(0);
      expect(await run(args('3', 'strict.json'))).toBe(0);
    } finally {
      said.restore();
    }
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
    const band = (f: string) => parseArtefact(readFileSync(join(dir, f), 'utf8')).groups[0]!.bands;
    // A stricter bound keeps the bands narrower (closer to quality alone): here Cost's, as on
    // these two kinds of prompt Balanced's first step already routes too much at either bound.
    expect(band('strict.json').cost).toBeGreaterThan(band('loose.json').cost);
    expect(band('strict.json').balanced).toBeGreaterThanOrEqual(band('loose.json').balanced);
  });
});

describe('train --work-budget', () => {
  it('plans the fitting within the given budget, says so, and refuses a bad value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-budget-'));
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({
        id: `b${i}`,
        source: 'synthetic/b',
        prompt: `${i % 3 ? 'say hello to' : 'prove the theorem about'} item ${i}`,
        scores: { strong: i % 7 ? 1 : 0, weak: i % 3 ? 1 : 0 },
      }),
    );
    writeFileSync(join(dir, 'b.jsonl'), lines.join('\n'));
    const args = trainArgs(dir, 'b.jsonl', 'work-budget');
    const said = stderrOf();
    try {
      await expect(run(args('0', 'bad.json'))).rejects.toThrow(UsageError);
      await expect(run(args('0', 'bad.json'))).rejects.toThrow(
        '--work-budget must be a positive number of millions',
      );
      said.text = '';
      expect(await run(args('160', 'full.json'))).toBe(0);
      expect(said.text).not.toContain('more fitting than the training budget allows');
      // A millionth of a unit: every step down is taken.
      expect(await run(args('0.000001', 'small.json'))).toBe(0);
      expect(said.text).toContain('more fitting than the training budget allows');
    } finally {
      said.restore();
    }
    const notes = (f: string) =>
      parseArtefact(readFileSync(join(dir, f), 'utf8')).training as Record<
        string,
        { calibrationFolds: number; maxIterations: number }
      >;
    expect(Object.values(notes('full.json'))[0]).toMatchObject({ calibrationFolds: 5 });
    expect(Object.values(notes('small.json'))[0]).toMatchObject({
      calibrationFolds: 0,
      maxIterations: 50,
    });
  });
});

describe('train --data', () => {
  it('says when files in different folders share a name, and so one data group', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-groups-'));
    const row = (prompt: string, model: string) =>
      `${JSON.stringify({ prompt, scores: { [model]: 1 } })}\n`;
    for (const [sub, model] of [
      ['x', 'a'],
      ['y', 'p'],
    ]) {
      mkdirSync(join(dir, sub!));
      writeFileSync(join(dir, sub!, 'd.jsonl'), row(`hello from ${sub}`, model!));
    }
    writeFileSync(join(dir, 'e.jsonl'), row('hello from e', 'a'));
    const warnings: string[] = [];
    const files = ['x', 'y'].map((sub) => join(dir, sub, 'd.jsonl'));
    const groups = loadGroups([...files, join(dir, 'e.jsonl')], (w) => warnings.push(w));
    expect([...groups.keys()]).toEqual(['d.jsonl', 'e.jsonl']);
    expect(groups.get('d.jsonl')!.map((r) => Object.keys(r.scores)[0])).toEqual(['a', 'p']);
    expect(warnings).toEqual([
      `${files[1]} and ${files[0]} have the same file name: their rows are one data group, d.jsonl, whose models are compared as scored on one scale (rename one to keep them apart)`,
    ]);
  });
});

describe('train on files whose bands cannot be calibrated', () => {
  /** `n` rows scoring `models` (strong right on most, the others on the "easy" half), in `dir`. */
  const write = (dir: string, name: string, n: number, models: string[]) => {
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        id: `${name}${i}`,
        prompt: `${i % 2 ? 'say hello to' : 'prove the lemma about'} item ${i}`,
        scores: Object.fromEntries(
          models.map((m, k) => [m, k === 0 ? (i % 7 ? 1 : 0) : i % 2 ? 1 : 0]),
        ),
      }),
    );
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  };
  const trainOn = async (dir: string, file: string) => {
    const said = stderrOf();
    try {
      const args = ['--data', join(dir, file), '--prices', `${FIX}/prices.json`];
      expect(await run([...args, '--out', join(dir, `${file}.json`)])).toBe(0);
    } finally {
      said.restore();
    }
    const artefact = parseArtefact(readFileSync(join(dir, `${file}.json`), 'utf8'));
    return { text: said.text, bands: artefact.groups[0]!.bands };
  };

  it('says when a file is too small to calibrate the bands, and which bands it keeps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-small-'));
    write(dir, 'small.jsonl', 12, ['strong', 'weak']);
    const { text, bands } = await trainOn(dir, 'small.jsonl');
    // Before, the defaults were written to the artefact's notes only: the summary printed
    // "bands balanced 1.0000, cost 0.9500" as though they had been calibrated.
    expect(text).toContain(
      "warning: small.jsonl: bands not calibrated: too few calibration prompts (12 scored for strong, the best single model; at least 20 needed); conservative default bands (ratio rule: Balanced 1, Cost 0.95 × the best single model's predicted quality); add scored prompts, or set routers[].bands",
    );
    expect(bands).toMatchObject({ balanced: 1, cost: 0.95, rule: 'ratio' });
  });

  it('gives a one-model pool the default bands, with a warning, not the widest band', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-one-'));
    // "mystery" has no price in the fixture prices: left out, so strong is alone in the pool.
    write(dir, 'one.jsonl', 200, ['strong', 'mystery']);
    const { text, bands } = await trainOn(dir, 'one.jsonl');
    expect(text).toContain(
      'warning: one.jsonl: only one model, "strong", is in the pool: there is nothing to route between, so every mode serves it (its bands are the conservative defaults); give the file\'s other models prices to route among them',
    );
    // Before, every band routed alike and the search kept its widest, −2 for both modes: a
    // cheaper deployment added beside it (scored at the unknown default) took Balanced and Cost.
    expect(bands).toMatchObject({ balanced: 1, cost: 0.95, rule: 'ratio' });
    expect(text).not.toContain('bands not calibrated');
  });
});

describe('train with the same seed and files', () => {
  it('writes the same bytes whenever it runs, without SOURCE_DATE_EPOCH; createdAt is the version date or the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-same-'));
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({
        id: `s${i}`,
        prompt: `${i % 2 ? 'say hello to' : 'prove the lemma about'} item ${i}`,
        scores: { strong: i % 7 ? 1 : 0, weak: i % 2 ? 1 : 0 },
      }),
    );
    const data = join(dir, 's.jsonl');
    writeFileSync(data, `${lines.join('\n')}\n`);
    const epoch = process.env.SOURCE_DATE_EPOCH;
    delete process.env.SOURCE_DATE_EPOCH;
    vi.useFakeTimers({ toFake: ['Date'] });
    const said = stderrOf();
    const trainAt = async (now: string, out: string) => {
      vi.setSystemTime(new Date(now));
      const args = ['--data', data, '--prices', `${FIX}/prices.json`, '--seed', '3'];
      expect(await run([...args, '--out', join(dir, out)])).toBe(0);
      return readFileSync(join(dir, out));
    };
    try {
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      // Before, createdAt was the wall clock: two runs differed in it alone.
      const first = await trainAt('2031-01-02T03:04:05.678Z', 'a/x.json');
      const second = await trainAt('2031-05-06T07:08:09.012Z', 'b/x.json');
      expect(second.equals(first)).toBe(true);
      // No date in the version: the files' newest modification time, to the second.
      const newest = Math.max(
        ...[data, `${FIX}/prices.json`].map((f) => Math.floor(statSync(f).mtimeMs / 1000) * 1000),
      );
      expect(parseArtefact(first.toString('utf8')).createdAt).toBe(new Date(newest).toISOString());
      // A dated version (a file of the models folder): that day.
      const dated = await trainAt('2031-01-02T03:04:05.678Z', '2030-12-24b.json');
      expect(parseArtefact(dated.toString('utf8')).createdAt).toBe('2030-12-24T00:00:00.000Z');
    } finally {
      said.restore();
      vi.useRealTimers();
      if (epoch !== undefined) process.env.SOURCE_DATE_EPOCH = epoch;
    }
  });
});

describe('train --out that cannot be written once trained', () => {
  it('names the path and why, exits 1, and leaves no cut-off or temporary file beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-train-out-'));
    const rows = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ prompt: `say hello to item ${i}`, scores: { strong: 1, weak: i % 2 } }),
    );
    writeFileSync(join(dir, 'd.jsonl'), `${rows.join('\n')}\n`);
    const args = ['--data', join(dir, 'd.jsonl'), '--prices', `${FIX}/prices.json`, '--out'];
    const said = stderrOf();
    try {
      // /dev/full passes the check before training (its folder is writable) and fails the write
      // with ENOSPC, as a full disk does. Before, the error escaped run(): main printed Node's
      // "ENOSPC: no space left on device, write", naming no file.
      if (existsSync('/dev/full')) {
        expect(await run([...args, '/dev/full'])).toBe(1);
        expect(said.text).toContain(
          'error: --out /dev/full: cannot write (no space left on the device)',
        );
      }
      expect(await run([...args, join(dir, 'a.json')])).toBe(0);
    } finally {
      said.restore();
    }
    expect(parseArtefact(readFileSync(join(dir, 'a.json'), 'utf8')).models).toHaveLength(2);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'd.jsonl']);
  });
});

// Without a required option, train printed its usage line alone: which option was missing was left
// to the reader to work out.
describe('train without a required option', () => {
  it.each([
    [['--data', 'a.jsonl', '--prices', 'p.json'], '--out'],
    [['--out', 'a.json'], '--data, --prices'],
  ])('%j names what is missing (%s), exit 2', async (args, missing) => {
    const said = stderrOf();
    try {
      expect(await run(args)).toBe(2);
    } finally {
      said.restore();
    }
    expect(said.text.split('\n')[0]).toBe(`model-router train: missing ${missing}`);
    expect(said.text.split('\n')[1]).toMatch(/^usage: model-router train --data/);
  });
});
