// The CLI's argument handling before a command's own parser: a negative number after an option
// that takes a value is that option's value (CLI audit D6: `--seed -1` was Node's "ambiguous").
import { describe, expect, it, vi } from 'vitest';
import { main } from './main.js';
import { joinNegativeValues } from './negative-values.js';
import { OPTIONS as CALIBRATE_BANDS } from './calibrate-bands.js';
import { OPTIONS as TRAIN } from './train.js';

describe('joinNegativeValues', () => {
  it('gives a negative number to the value-taking option before it', () => {
    expect(joinNegativeValues(['--seed', '-1', '--out', 'a.json'], TRAIN)).toEqual([
      '--seed=-1',
      '--out',
      'a.json',
    ]);
    expect(joinNegativeValues(['--confidence-z', '-.5'], CALIBRATE_BANDS)).toEqual([
      '--confidence-z=-.5',
    ]);
  });

  it('leaves options, flags, unknown options and operands after -- as they are', () => {
    expect(joinNegativeValues(['--seed', '--out', 'a.json'], TRAIN)).toEqual([
      '--seed',
      '--out',
      'a.json',
    ]);
    expect(joinNegativeValues(['--nope', '-1'], TRAIN)).toEqual(['--nope', '-1']);
    expect(joinNegativeValues(['--', '--seed', '-1'], TRAIN)).toEqual(['--', '--seed', '-1']);
    expect(joinNegativeValues(['--seed', '-x'], TRAIN)).toEqual(['--seed', '-x']);
  });
});

// The training commands' required options; the files are never read, as a bad value stops first.
const TRAIN_ARGS = ['train', '--data', 'a.jsonl', '--prices', 'p.json', '--out', 'a.json'];
const EVAL_ARGS = ['eval', '--train', 'a.jsonl', '--test', 'a.jsonl', '--prices', 'p.json'];
const CALIBRATE_ARGS = [
  'calibrate',
  '--model',
  'latest',
  '--data',
  'a.jsonl',
  '--prices',
  'p.json',
  '--out',
  'a.json',
];
const CALIBRATE_BANDS_ARGS = [
  'calibrate-bands',
  '--model',
  'latest',
  '--data',
  'a.jsonl',
  '--out',
  'a.json',
];

describe('exit codes', () => {
  // Docs audit F5 (2026-12-06): the same bad value exited 2 from one command and 1 from another,
  // and `batches` printed its whole usage; a bad value is a usage error: one line, exit 2.
  it('a bad option value is one line naming it, exit 2, from every command', async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    try {
      for (const [argv, says] of [
        [['simulate', '--since', 'bogus'], '--since must look like 7d'],
        [['report', '--since', 'bogus'], '--since must be a duration'],
        [['batches', '--status', 'bogus', '--url', 'http://127.0.0.1:1'], '--status must be'],
        [['keys', 'rotate', 'k', '--grace', 'bogus', '--url', 'http://127.0.0.1:1'], '--grace'],
        // Docs audit (h1docs, 2026-12-06): the training commands said "error: …" and exited 1.
        [[...TRAIN_ARGS, '--seed', 'x'], '--seed must be a whole number'],
        [[...TRAIN_ARGS, '--work-budget', '0'], '--work-budget must be a positive number'],
        [[...TRAIN_ARGS, '--version', 'a/b'], '--version "a/b"'],
        [[...EVAL_ARGS, '--split', '2'], '--split must be a share between 0 and 1'],
        [[...EVAL_ARGS, '--family', 'nope'], '--family must be one of'],
        [[...EVAL_ARGS, '--lr', '-1'], '--lr'],
        [[...CALIBRATE_ARGS, '--confidence-z', 'x'], '--confidence-z must be a number'],
        [[...CALIBRATE_BANDS_ARGS, '--confidence-z', 'x'], '--confidence-z must be a number'],
        // CLI audit (hD, 2026-12-07): an empty value was Number('') = 0, no bound at all.
        [[...CALIBRATE_ARGS, '--confidence-z', ''], '--confidence-z must be a number ≥ 0'],
        [[...CALIBRATE_BANDS_ARGS, '--confidence-z', ' '], '--confidence-z must be a number ≥ 0'],
        // Audit (2026-12-07): an empty list was no background at all, without a word.
        [[...CALIBRATE_ARGS, '--background', ','], '--background names no file (got ",")'],
        [[...CALIBRATE_ARGS, '--background', ''], '--background names no file (got "")'],
      ] as const) {
        err.length = 0;
        expect(await main([...argv]), argv.join(' ')).toBe(2);
        expect(err.join('').trim().split('\n'), argv.join(' ')).toHaveLength(1);
        expect(err.join('')).toContain(says);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('batches webhooks --limit', () => {
  // Audit (2026-12-07): `batches webhooks --limit -1` was Node's "argument is ambiguous", as
  // `batches` gave its own options only to the negative-number join.
  it('a negative, fractional or empty --limit is named with what it takes, exit 2', async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    try {
      for (const limit of ['-1', '-0.5', '1.5', '', 'ten']) {
        err.length = 0;
        const argv = ['batches', 'webhooks', '--url', 'http://127.0.0.1:1', '--limit', limit];
        expect(await main(argv), limit).toBe(2);
        expect(err.join(''), limit).toContain(
          `--limit must be a whole number ≥ 1 (deliveries to list, newest first), got "${limit}"`,
        );
        expect(err.join(''), limit).not.toContain('ambiguous');
      }
    } finally {
      spy.mockRestore();
    }
  });
});
