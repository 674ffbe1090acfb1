// `compare`'s exit codes: a prompts or prices file it cannot use is an `error:` and exit 1, as in
// train and eval; a bad invocation stays a usage error (exit 2). No request is sent either way.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from './compare.js';

/** `run(argv)`'s exit code and what it wrote to stderr. */
async function capture(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await run(argv);
  return { code, err: err.join('') };
}

describe('compare with a file it cannot use', () => {
  afterEach(() => vi.restoreAllMocks());

  // Port 1 on loopback: nothing listens, and nothing is called before the files are read.
  const base = (dir: string, prompts: string) => [
    ...['--endpoint', 'http://127.0.0.1:1', '--prompts', prompts, '--targets', 'a'],
    ...['--out', join(dir, 'out')],
  ];

  it('says error: and exits 1 for a missing or malformed prompts file, or a bad prices file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-compare-'));
    // Before, each was a usage error: exit 2 and the usage text after the message.
    const missing = await capture(base(dir, join(dir, 'nope.jsonl')));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^error: cannot read the prompts file .*nope\.jsonl/);
    expect(missing.err).not.toContain('usage:');

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ prompt: 'hi' })}\n{not json\n`);
    const malformed = await capture([...base(dir, bad), '--limit', '1']);
    expect(malformed.code).toBe(1);
    expect(malformed.err).toContain(`error: ${bad}:2: not valid JSON`);
    expect(malformed.err).not.toContain('usage:');

    const good = join(dir, 'good.txt');
    writeFileSync(good, 'hello\n');
    const prices = join(dir, 'prices.json');
    writeFileSync(prices, '[1, 2]');
    const badPrices = await capture([...base(dir, good), '--prices', prices]);
    expect(badPrices.code).toBe(1);
    expect(badPrices.err).toMatch(/^error: .*prices\.json: expected an object of model → prices/);
  });

  it('names every bad line of a prompts file, not only the first (the first ten, then how many more)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-compare-'));
    const file = join(dir, 'p.jsonl');
    const lines = [
      JSON.stringify({ prompt: 'fine' }),
      '{not json',
      JSON.stringify({ text: 'no prompt field' }),
      JSON.stringify({ prompt: 'graded', scores: { m: 7 } }),
      ...Array.from({ length: 9 }, () => '[1]'),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    // Before: line 2 alone, so each run showed one more thing to fix.
    const r = await capture(base(dir, file));
    expect(r.code).toBe(1);
    const said = r.err.trimEnd().split('\n');
    expect(said[0]).toBe(`error: ${file}: 12 bad lines; fix each and run again:`);
    expect(said[1]).toMatch(new RegExp(`^  ${file}:2: not valid JSON`));
    expect(said[2]).toBe(
      `  ${file}:3: needs "prompt" (a string), "input" (a string) or "messages" (an array of {role, content} with string content)`,
    );
    expect(said[3]).toBe(
      `  ${file}:4: scores["m"] is 7, outside [0, 1] (quality is on a 0–1 scale: divide a 1–10 grade by 10, a percentage by 100)`,
    );
    expect(said[4]).toBe(`  ${file}:5: each line must be a JSON object`);
    expect(said.slice(5, 11)).toEqual(
      [8, 9, 10, 11, 12, 13].map((n) => `  ${file}:${n - 2}: each line must be a JSON object`),
    );
    expect(said[11]).toBe('  … and 2 more');
    expect(said).toHaveLength(12);
  });

  it('reads --targets as the names between commas: spaces, empty items and repeats are not targets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-compare-'));
    const good = join(dir, 'good.txt');
    writeFileSync(good, 'hello\n');
    const args = (targets: string) => [
      ...['--endpoint', 'http://127.0.0.1:1', '--prompts', good, '--targets', targets],
      ...['--out', join(dir, 'out'), '--timeout-ms', '2000'],
    ];
    // Before: a usage error, '--score-as:  and  would both be scored as ""'.
    const r = await capture(args(' a , , a,'));
    expect(r.err).not.toContain('--score-as');
    expect(r.err).toContain('compare: 1 prompts × 1 runs = 1 requests');
    const none = await capture(args(' , '));
    expect(none.code).toBe(2);
    expect(none.err).toContain('--targets is required');
  });

  it('keeps a bad option value a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-compare-'));
    const good = join(dir, 'good.txt');
    writeFileSync(good, 'hello\n');
    const r = await capture([...base(dir, good), '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--limit must be a positive integer (got "0")');
    expect(r.err).toContain('usage: model-router compare');
  });
});
