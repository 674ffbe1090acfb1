// What each command says when called without what it needs, or given a file it cannot use (a
// missing file, a directory, an empty file) or a router that is not there: one line naming what
// to fix, then (for a wrong call) the usage; never Node's "ENOENT: no such file or directory,
// open '…'" or "EISDIR: illegal operation on a directory, read", nor the usage alone. Found in
// the CLI audit of 2026-12-07.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as checkConfig } from './check-config.js';
import { run as batches } from './batches.js';
import { run as compare } from './compare.js';
import { run as configReference } from './config-reference.js';
import { run as distribution } from './distribution.js';
import { run as evaluate } from './eval.js';
import { run as feedback } from './feedback.js';
import { run as keys } from './keys.js';
import { run as train } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-cli-audit-'));
const folder = join(dir, 'a-folder');
mkdirSync(folder);
const missing = join(dir, 'nope.json');
const empty = join(dir, 'empty.jsonl');
writeFileSync(empty, '\n');
const prices = join(dir, 'prices.json');
writeFileSync(prices, JSON.stringify({ m: { input_per_1m_usd: 1, output_per_1m_usd: 2 } }));
const data = join(dir, 'd.jsonl');
writeFileSync(data, `${JSON.stringify({ prompt: 'hi', scores: { m: 1 } })}\n`);

/** What `run(argv)` writes to stderr (its first lines), and its exit code. */
async function said(
  run: (argv: string[]) => Promise<number>,
  argv: string[],
): Promise<{ code: number; lines: string[] }> {
  const text: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (text.push(String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await run(argv);
  vi.restoreAllMocks();
  return { code, lines: text.join('').split('\n') };
}

/** The same, for the commands that take their output channels (keys, batches). */
function withIo(run: (argv: string[], io: never) => Promise<number>) {
  return async (argv: string[]) => {
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => void err.push(t), env: {} };
    const code = await run(argv, io as never);
    process.stderr.write(err.join(''));
    return code;
  };
}

describe('a file a command cannot read: said in words', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [
      'train --data <folder>',
      train,
      ['--data', folder, '--prices', prices, '--out', join(dir, 'o.json')],
      `error: cannot read ${folder}: a directory, not a file`,
    ],
    [
      'train --data <missing>',
      train,
      ['--data', missing, '--prices', prices, '--out', join(dir, 'o.json')],
      `error: cannot read ${missing}: no such file`,
    ],
    [
      'train --data <empty>',
      train,
      ['--data', empty, '--prices', prices, '--out', join(dir, 'o.json')],
      `error: ${empty}: is empty; the data is JSON Lines, one scored prompt a line`,
    ],
    [
      'train --prices <folder>',
      train,
      ['--data', data, '--prices', folder, '--out', join(dir, 'o.json')],
      `error: ${folder}: cannot read prices: a directory, not a file`,
    ],
    [
      'eval --model <folder>',
      evaluate,
      ['--model', folder, '--test', data],
      `error: cannot read ${folder}: a directory, not a file`,
    ],
    [
      'eval --model <empty>',
      evaluate,
      ['--model', empty, '--test', data],
      `error: ${empty} is empty: an artefact is the JSON file train writes`,
    ],
    [
      'compare --prompts <folder>',
      compare,
      [
        '--endpoint',
        'http://127.0.0.1:1',
        '--targets',
        'a',
        '--prompts',
        folder,
        '--out',
        join(dir, 'c'),
      ],
      `error: cannot read the prompts file ${folder}: a directory, not a file`,
    ],
    [
      'compare --prices <empty>',
      compare,
      [
        '--endpoint',
        'http://127.0.0.1:1',
        '--targets',
        'a',
        '--prompts',
        data,
        '--prices',
        empty,
        '--out',
        join(dir, 'c'),
      ],
      `error: ${empty}: the prices are not valid JSON (Unexpected end of JSON input); compare takes flat prices, one JSON object {"<model>": {"input_per_1m_usd": …, "output_per_1m_usd": …}}`,
    ],
    [
      'distribution --compare <missing>',
      distribution,
      ['--compare', missing],
      `cannot read the compare results ${missing}: no such file`,
    ],
  ] as const)('%s', async (_name, run, argv, first) => {
    const r = await said(run, [...argv]);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toBe(first);
  });

  it('distribution with a config it cannot read: exit 1, as report and simulate (it was 2)', async () => {
    const r = await said(distribution, ['--config', missing]);
    expect(r.lines[0]).toBe(`${missing}: cannot read the config file: no such file`);
    expect(r.code).toBe(1);
  });

  it('check-config with an empty file says it is empty', async () => {
    const yaml = join(dir, 'empty.yaml');
    writeFileSync(yaml, '# nothing yet\n');
    const r = await said(checkConfig, [yaml]);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toBe(`${yaml}: is empty: a config is a mapping (deployments, routers, …)`);
  });
});

describe('a write that fails: --out named, and why', () => {
  afterEach(() => vi.restoreAllMocks());

  // /dev/full: every write fails with ENOSPC (Linux). Before, Node's "ENOSPC: no space left on
  // device, write" (config-reference) or a stack trace's first line (distribution).
  it.skipIf(process.platform !== 'linux')(
    'config-reference and distribution --out /dev/full',
    async () => {
      const reference = await said(configReference, ['--out', '/dev/full']);
      expect(reference.code).toBe(1);
      expect(reference.lines[0]).toBe(
        '--out /dev/full: cannot write (no space left on the device)',
      );
      const results = join(dir, 'results.json');
      writeFileSync(results, JSON.stringify({ rows: [] }));
      const table = await said(distribution, ['--compare', results, '--out', '/dev/full']).catch(
        (err: unknown) => ({ code: -1, lines: [(err as Error).message] }),
      );
      expect(table.lines[0]).toBe('--out /dev/full: cannot write (no space left on the device)');
    },
  );
});

describe('a command called without what it needs: which, then the usage', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    [
      'check-config',
      checkConfig,
      [],
      'model-router check-config: missing <file>, the config file to check',
    ],
    [
      'check-config a b',
      checkConfig,
      ['a', 'b'],
      'model-router check-config: one config file at a time (got 2: a, b)',
    ],
    ['feedback', feedback, [], 'model-router feedback: missing the subcommand, export'],
    ['feedback export', feedback, ['export'], 'model-router feedback: missing --out'],
    [
      'feedback exprt',
      feedback,
      ['exprt', '--out', 'x'],
      'model-router feedback: unknown subcommand "exprt" (the one there is: export)',
    ],
    [
      'keys',
      withIo(keys),
      [],
      'model-router keys: missing the subcommand: issue, rotate, revoke or list',
    ],
    [
      'keys frob',
      withIo(keys),
      ['frob', '--url', 'http://x'],
      'model-router keys: unknown subcommand "frob" (issue, rotate, revoke or list)',
    ],
    [
      'keys list',
      withIo(keys),
      ['list'],
      "model-router keys: missing --url <router> (its admin API) or --config <file> (the config file's auth.keys)",
    ],
    [
      'batches nope',
      withIo(batches),
      ['nope', '--url', 'http://x'],
      'model-router batches: unknown subcommand "nope" (list, cancel or webhooks)',
    ],
    [
      'batches',
      withIo(batches),
      [],
      'model-router batches: missing --url <router> (its admin API)',
    ],
    [
      'batches cancel',
      withIo(batches),
      ['cancel', '--url', 'http://x'],
      'model-router batches: cancel: missing the batch id',
    ],
  ] as const)('%s', async (_name, run, argv, first) => {
    const r = await said(run, [...argv]);
    expect(r.code).toBe(2);
    expect(r.lines[0]).toBe(first);
    expect(r.lines[1]).toMatch(/^usage:/);
  });
});

describe('a router that is not there', () => {
  afterEach(() => vi.restoreAllMocks());

  // Port 1 on loopback: nothing listens.
  it.each([
    ['keys list', withIo(keys), ['list']],
    ['batches list', withIo(batches), ['list']],
  ] as const)('%s says no router answered, not "connect ECONNREFUSED"', async (name, run, argv) => {
    const r = await said(run, [...argv, '--url', 'http://127.0.0.1:1', '--admin-key', 'k']);
    expect(r.code).toBe(1);
    expect(r.lines[0]).toBe(
      `${name}: no router answered at http://127.0.0.1:1 (nothing listens there): is it running, and is --url its address?`,
    );
  });
});
