// `compare`'s exit codes: a prompts or prices file it cannot use is an `error:` and exit 1, as in
// train and eval; a bad invocation stays a usage error (exit 2). No request is sent either way.
// A result file it cannot write after the run is one `error:` line naming it, exit 1.
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { listenServerInRange } from '../../test/helpers/listen-in-range.js';
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

describe('compare with a result file it cannot write', () => {
  afterEach(() => vi.restoreAllMocks());

  // A loopback endpoint that answers every chat request, so the run itself succeeds.
  const server = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    if (req.url?.endsWith('/models')) return void res.end(JSON.stringify({ data: [] }));
    res.end(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        created: 0,
        model: 'a',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      }),
    );
  });
  let endpoint = '';
  beforeAll(async () => {
    endpoint = `http://127.0.0.1:${await listenServerInRange(server, 47450, 47474)}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(['results.json', 'results.csv', 'report.html'])(
    'names %s and why in one line, exit 1, no stack (a full disk: /dev/full)',
    async (file) => {
      const dir = mkdtempSync(join(tmpdir(), 'mr-compare-'));
      const prompts = join(dir, 'p.txt');
      writeFileSync(prompts, 'hello\n');
      const out = join(dir, 'out');
      mkdirSync(out);
      symlinkSync('/dev/full', join(out, file));
      // Before: Node's ENOSPC error thrown out of run(), a stack trace after the whole run.
      const r = await capture([
        ...['--endpoint', endpoint, '--prompts', prompts, '--targets', 'a', '--no-stream'],
        ...['--out', out],
      ]);
      expect(r.code).toBe(1);
      expect(r.err.trimEnd().split('\n').at(-1)).toBe(
        `error: --out ${join(out, file)}: cannot write (no space left on the device)`,
      );
      expect(r.err).not.toMatch(/usage:|\n\s+at /);
      // Written whole or not at all: no half file, no temporary file left beside them.
      expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);
    },
  );
});
