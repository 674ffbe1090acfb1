// The commands that read the request log say which database did not answer when it is down (its
// URL without the password, the setting to check), exit 1, no stack trace: `report` printed a bare
// `connect ECONNREFUSED 127.0.0.1:5439`. A real outage: nothing listens at the database's address.
// And a SQLite log that is not where the config says is an error, not a new empty log.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'mr-log-down-'));
const config = join(dir, 'config.yaml');
const defaults = readFileSync('config/default.yaml', 'utf8');
writeFileSync(
  config,
  `${defaults.slice(0, defaults.indexOf('\nrequestLog:'))}\nrequestLog:\n  kind: postgres\n  postgresUrl: postgres://postgres:secret@127.0.0.1:1/test\n  storeText: true\n`,
);

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/model-router', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });

describe('a command reading a request log that is down', () => {
  it('report, simulate and feedback export name the database, not only the socket error', () => {
    for (const args of [
      ['report', '--config', config, '--since', '1d'],
      ['simulate', '--config', config, '--since', '1d', '--mode', 'cost'],
      ['feedback', 'export', '--config', config, '--since', '1d', '--out', join(dir, 'f.jsonl')],
      ['distribution', '--config', config, '--since', '1d'],
    ]) {
      const run = cli(...args);
      expect(run.status, `${args[0]}: ${run.stderr}`).toBe(1);
      expect(run.stderr, args[0]).toContain(
        'the request log could not be read: PostgreSQL at postgres://postgres:[redacted]@127.0.0.1:1/test (requestLog.postgresUrl) did not answer (',
      );
      expect(run.stderr, args[0]).not.toContain('secret');
      expect(run.stderr, args[0]).not.toMatch(/\n\s+at /);
    }
  });

  it('report, simulate, distribution and feedback export on a SQLite path with no log: exit 1, nothing created', () => {
    const missing = join(dir, 'no-such-dir', 'requests.db');
    const sqlite = join(dir, 'sqlite.yaml');
    writeFileSync(
      sqlite,
      `${defaults.slice(0, defaults.indexOf('\nrequestLog:'))}\nrequestLog:\n  kind: sqlite\n  sqlitePath: ${missing}\n  storeText: true\n`,
    );
    for (const args of [
      ['report', '--config', sqlite, '--since', '1d'],
      ['simulate', '--config', sqlite, '--since', '1d', '--mode', 'cost'],
      ['distribution', '--config', sqlite, '--since', '1d'],
      ['feedback', 'export', '--config', sqlite, '--since', '1d', '--out', join(dir, 'g.jsonl')],
    ]) {
      const run = cli(...args);
      expect(run.status, `${args[0]}: ${run.stderr}`).toBe(1);
      expect(run.stderr, args[0]).toContain(
        `no request log at ${missing} (requestLog.sqlitePath): the router writes it there`,
      );
      // Before, it made the directory and an empty log, and reported $0.
      expect(existsSync(join(dir, 'no-such-dir')), args[0]).toBe(false);
    }
  });
});
