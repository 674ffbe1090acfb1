// `eval` and `calibrate-bands` without a required option printed their usage alone, leaving the
// reader to compare it with the command; they name what is missing first, as train and calibrate do.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as calibrateBands } from './calibrate-bands.js';
import { run as evaluate } from './eval.js';

/** The lines `run(args)` writes on stderr, and its exit code. */
async function said(
  run: (argv: string[]) => Promise<number>,
  args: string[],
): Promise<{ code: number; lines: string[] }> {
  const text: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (text.push(String(s)), true));
  const code = await run(args);
  vi.restoreAllMocks();
  return { code, lines: text.join('').split('\n') };
}

const OR_MODEL =
  ' (or --model <artefact.json|version> for a saved artefact, in place of --train and --prices)';

describe('eval without a required option', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [[], `--test, --train, --prices${OR_MODEL}`],
    [['--model', 'latest'], '--test'],
    [['--train', 'a.jsonl', '--prices', 'p.json'], '--test'],
    [['--test', 't.jsonl'], `--train, --prices${OR_MODEL}`],
    [['--train', 'a.jsonl', '--test', 't.jsonl'], `--prices${OR_MODEL}`],
  ])('%j names what is missing, exit 2', async (args, missing) => {
    const { code, lines } = await said(evaluate, args);
    expect(code).toBe(2);
    expect(lines[0]).toBe(`model-router eval: missing ${missing}`);
    expect(lines[1]).toMatch(/^usage: model-router eval --train/);
  });
});

describe('calibrate-bands without a required option', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [[], '--model, --data, --out'],
    [['--model', 'latest', '--data', 'scored.jsonl'], '--out'],
    [['--out', 'a.json'], '--model, --data'],
  ])('%j names what is missing, exit 2', async (args, missing) => {
    const { code, lines } = await said(calibrateBands, args);
    expect(code).toBe(2);
    expect(lines[0]).toBe(`model-router calibrate-bands: missing ${missing}`);
    expect(lines[1]).toMatch(/^usage: model-router calibrate-bands --model/);
  });
});
