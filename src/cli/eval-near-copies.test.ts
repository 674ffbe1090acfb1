// `eval`'s held-out prompts and their near-copies: a copy of a test prompt with a few words added
// is on the test side too, or left out of training, never trained on beside it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prng } from '../core/prng.js';
import { run } from './eval.js';

const VOCABULARY = Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}q`);

/** `n` prompts of nineteen random words and one of their own, each `copies` times with a suffix. */
function rows(n: number, copies: number, from = 0, seed = 3): Record<string, unknown>[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const words = Array.from({ length: 19 }, () => VOCABULARY[Math.floor(rand() * 300)]!);
    words.push(`u${i}x`);
    const scores = { strong: rand() < 0.8 ? 1 : 0, weak: rand() < 0.5 ? 1 : 0 };
    return Array.from({ length: copies }, (_, c) => ({
      id: `p${i}/${c}`,
      source: 'x/copies',
      prompt: `${words.join(' ')} (variant ${c} w${(i * 7 + c) % 1000})`,
      scores,
    }));
  }).flat();
}

function write(dir: string, name: string, lines: Record<string, unknown>[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return file;
}

function setUp(): { dir: string; prices: string; err: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mr-eval-copies-'));
  const prices = join(dir, 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({
      strong: { input_per_1m_usd: 10, output_per_1m_usd: 30 },
      weak: { input_per_1m_usd: 0.1, output_per_1m_usd: 0.3 },
    }),
  );
  const err: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return { dir, prices, err };
}

/** The base prompt (`p<i>`) of each test prompt in an --out directory's outcomes.jsonl. */
function testedCopies(out: string): Map<string, number> {
  const tested = new Map<string, number>();
  for (const line of readFileSync(join(out, 'outcomes.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const base = (JSON.parse(line) as { id: string }).id.split('/')[0]!;
    tested.set(base, (tested.get(base) ?? 0) + 1);
  }
  return tested;
}

describe("eval's split and near-copies", () => {
  afterEach(() => vi.restoreAllMocks());

  it('holds out every copy of a prompt or none, on the default split and a salted one', async () => {
    const { dir, prices } = setUp();
    const data = write(dir, 'd.jsonl', rows(150, 3));
    const out = join(dir, 'out');
    const args = ['--train', data, '--test', data, '--prices', prices, '--split', '0.3'];
    expect(await run([...args, '--out', out])).toBe(0);
    expect(await run([...args, '--salts', 'a', '--out', join(dir, 'salted')])).toBe(0);
    for (const tested of [testedCopies(out), testedCopies(join(dir, 'salted', 'a'))]) {
      expect(tested.size).toBeGreaterThan(20);
      // Hashed by exact text, 97 of the 150 prompts had one or two of their copies held out (the
      // default split).
      expect([...tested.values()].filter((copies) => copies !== 3)).toEqual([]);
    }
  });

  it("leaves a test file's copies and near-copies out of training, and says how many", async () => {
    const { dir, prices, err } = setUp();
    const train = rows(150, 1);
    // The test file: 40 new prompts, 10 training prompts with another suffix, 3 training prompts.
    const near = rows(10, 2).filter((r) => (r.id as string).endsWith('/1'));
    const test = [...rows(40, 1, 1000, 4), ...near, ...train.slice(20, 23)];
    const args = ['--prices', prices, '--json'];
    const trainFile = write(dir, 'train.jsonl', train);
    expect(await run(['--train', trainFile, '--test', write(dir, 't.jsonl', test), ...args])).toBe(
      0,
    );
    expect(err.join('')).toContain(
      "note: 13 training prompts held out of training: 3 with a test prompt's text, 10 a near-copy of one",
    );
  });

  it('says when a split holds out none because the prompts are a few groups of near-copies', async () => {
    const { dir, prices, err } = setUp();
    // 160 prompts the same but for their last word: two groups, each held out whole or not at all.
    const data = write(
      dir,
      'templated.jsonl',
      Array.from({ length: 160 }, (_, i) => ({
        id: `t${i}`,
        source: 'x/templated',
        prompt: i % 3 ? `say hello to friend number ${i}` : `prove the theorem about item ${i}`,
        scores: { strong: i % 7 ? 1 : 0, weak: i % 5 ? 1 : 0 },
      })),
    );
    expect(await run(['--train', data, '--test', data, '--prices', prices, '--json'])).toBe(1);
    expect(err.join('')).toContain(
      `holds out none of the 160 prompts of ${data} (they are 2 groups of near-copies, prompts the same but for a word or a few, and each group is held out whole): nothing to test on. Give a larger --split, more prompts that differ, or a separate --test file`,
    );
  });
});
