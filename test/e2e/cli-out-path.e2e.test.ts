// Where a command writes (`--out`) is checked before any work: a training run, a calibration or a
// compare run against an endpoint does not run for minutes to die on a directory that is not
// there, and what cannot be written is one line naming it, exit 1, never a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DATA = 'test/fixtures/routing/tiny.jsonl';
const PRICES = 'test/fixtures/routing/prices.json';
const dir = mkdtempSync(join(tmpdir(), 'mr-out-'));
const missing = join(dir, 'no-such-dir', 'out.json');
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'x');

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/model-router', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });

/** Exit 1, the one line that names the path, no stack trace, nothing done before. */
function refused(run: ReturnType<typeof cli>, says: string) {
  expect(run.status, run.stderr).toBe(1);
  expect(run.stderr).toContain(says);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
}

describe('--out is checked before the work', () => {
  it('train: a directory that does not exist, and a directory named as the file', () => {
    refused(
      cli('train', '--data', DATA, '--prices', PRICES, '--out', missing),
      `--out ${missing}: directory ${join(dir, 'no-such-dir')} does not exist`,
    );
    refused(
      cli('train', '--data', DATA, '--prices', PRICES, '--out', dir),
      `--out ${dir} is a directory`,
    );
  });

  it('calibrate and calibrate-bands: before the artefact or the data is read', () => {
    refused(
      cli('calibrate', '--model', 'latest', '--data', DATA, '--prices', PRICES, '--out', missing),
      'does not exist',
    );
    refused(
      cli('calibrate-bands', '--model', 'latest', '--data', DATA, '--out', missing),
      'does not exist',
    );
  });

  it('eval: a file where the report directory should be', () => {
    refused(
      cli('eval', '--train', DATA, '--test', DATA, '--prices', PRICES, '--out', aFile),
      `--out ${aFile} is a file, not a directory`,
    );
    refused(
      cli('eval', '--train', DATA, '--test', DATA, '--prices', PRICES, '--out', join(aFile, 'x')),
      'a part of its path is a file',
    );
  });

  it('compare: before a single request (nothing listens at the endpoint)', () => {
    const prompts = join(dir, 'prompts.txt');
    writeFileSync(prompts, 'Say hello.\n');
    const run = cli(
      'compare',
      '--endpoint',
      'http://127.0.0.1:9',
      '--prompts',
      prompts,
      '--targets',
      'model-router',
      '--out',
      aFile,
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`--out ${aFile} is a file`);
    expect(run.stderr).not.toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('compare: a bad prompts or prices file, before a single request', () => {
    const prompts = join(dir, 'graded.jsonl');
    writeFileSync(prompts, '{"prompt":"Say hello.","scores":{"big":8}}\n');
    const args = ['--endpoint', 'http://127.0.0.1:9', '--targets', 'big', '--out', dir];
    // A file's fault: exit 1, as the other commands (ML audit F5, 2026-12-06).
    const graded = cli('compare', '--prompts', prompts, ...args);
    expect(graded.status).toBe(1);
    expect(graded.stderr).toContain('scores["big"] is 8, outside [0, 1]');
    expect(graded.stderr).not.toMatch(/ECONNREFUSED|fetch failed/);
    writeFileSync(prompts, '{"prompt":"Say hello."}\n');
    const prices = join(dir, 'prices.json');
    writeFileSync(prices, '{"big":{"input_per_1m_usd":-1,"output_per_1m_usd":2}}');
    const priced = cli('compare', '--prompts', prompts, '--prices', prices, ...args);
    expect(priced.status).toBe(1);
    expect(priced.stderr).toContain('"big" needs input_per_1m_usd and output_per_1m_usd');
    expect(priced.stderr).not.toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('distribution and feedback export', () => {
    refused(cli('distribution', '--compare', 'nothing.json', '--out', missing), 'does not exist');
    refused(
      cli('feedback', 'export', '--config', 'config/default.yaml', '--out', missing),
      'does not exist',
    );
  });

  it('config-reference: a missing folder, and a directory named as the file', () => {
    // Until 2026-12-06 a raw ENOENT / EISDIR (one line, from the CLI's last-resort catch).
    refused(cli('config-reference', '--out', missing), 'does not exist (create it first)');
    refused(cli('config-reference', '--out', dir), 'is a directory: name the file to write');
  });

  it('config-schema: a missing folder, and a directory named as the file', () => {
    refused(cli('config-schema', '--out', missing), 'does not exist (create it first)');
    refused(cli('config-schema', '--out', dir), 'is a directory: name the file to write');
  });
});
