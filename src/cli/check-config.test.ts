// `check-config`: OK with the counts, each noun as many as it counts ("1 router deployment"); the
// request log's SQLite file checked as serve checks it at start-up (until 2026-12-07 it was not
// looked at, and serve then died on a path check-config had passed).
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from './check-config.js';

const deployment = (name: string) => `  - name: ${name}
    provider: simulated
    model: ${name}
    like: gpt-4-1106-preview
    prices: { inputPer1M: 1, outputPer1M: 2 }
    contextWindow: 1000
    maxOutputTokens: 100
`;

/** No request log: the counts do not hang on whether the current directory can hold one. */
const NO_LOG = 'requestLog:\n  kind: none\n';

describe('check-config', () => {
  afterEach(() => vi.restoreAllMocks());

  it('counts deployments and router deployments in the singular and the plural', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-check-config-'));
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const one = join(dir, 'one.yaml');
    writeFileSync(
      one,
      `deployments:\n${deployment('a')}routers:\n  - name: r\n    modelSubset: [a]\n${NO_LOG}`,
    );
    expect(await run([one])).toBe(0);
    expect(out.join('')).toContain(`${one}: OK (1 deployment, 1 router deployment)`);
    const two = join(dir, 'two.yaml');
    writeFileSync(
      two,
      `deployments:\n${deployment('a')}${deployment('b')}routers:\n  - name: r\n    modelSubset: [a, b]\n  - name: s\n    modelSubset: [a]\n${NO_LOG}`,
    );
    expect(await run([two])).toBe(0);
    expect(out.join('')).toContain(`${two}: OK (2 deployments, 2 router deployments)`);
  });
});

describe('check-config: requestLog.sqlitePath', () => {
  afterEach(() => vi.restoreAllMocks());

  const dir = mkdtempSync(join(tmpdir(), 'mr-check-config-log-'));
  /** check-config's exit code and what it printed, for a config whose log is at `sqlitePath`. */
  async function check(sqlitePath: string): Promise<{ code: number; out: string; err: string }> {
    const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `deployments:\n${deployment('a')}routers:\n  - name: r\n    modelSubset: [a]\nrequestLog:\n  kind: sqlite\n  sqlitePath: ${JSON.stringify(sqlitePath)}\n`,
    );
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    const code = await run([file]);
    vi.restoreAllMocks();
    return { code, out: out.join(''), err: err.join('') };
  }

  it('passes a new file in a folder the router can make', async () => {
    const { code, out } = await check(join(dir, 'new', 'deeper', 'requests.db'));
    expect(code).toBe(0);
    expect(out).toContain('OK (1 deployment, 1 router deployment)');
  });

  it('refuses a file that is no SQLite database, naming the setting', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database\n');
    const { code, err } = await check(text);
    expect(code).toBe(1);
    expect(err).toContain(
      `  requestLog.sqlitePath ${text} is not a SQLite database (it does not start as one)`,
    );
  });

  it('refuses a directory', async () => {
    const { code, err } = await check(dir);
    expect(code).toBe(1);
    expect(err).toContain(`  requestLog.sqlitePath ${dir} is a directory: name the SQLite file`);
  });

  it('refuses a path under a file, where its folder cannot be made', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const { code, err } = await check(join(file, 'requests.db'));
    expect(code).toBe(1);
    expect(err).toContain(
      `  requestLog.sqlitePath ${join(file, 'requests.db')}: ${file} is a file, so the folder for the log cannot be made there`,
    );
  });

  // root writes anywhere: this runs as another user only.
  it.skipIf(process.getuid?.() === 0)('refuses a folder this user cannot write', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const { code, err } = await check(join(locked, 'requests.db'));
    expect(code).toBe(1);
    expect(err).toContain(
      `  requestLog.sqlitePath ${join(locked, 'requests.db')}: the folder ${locked} is not writable by this user`,
    );
  });
});
