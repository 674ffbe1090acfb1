// The request log the server opens at start-up: a requestLog.sqlitePath that is a directory or a
// file of another kind is a ConfigError naming the setting (main prints it as one line), where
// start-up died on SQLite's "unable to open database file" / "file is not a database" and a stack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../test/helpers/test-config.js';
import { ConfigError } from './config/load-config.js';
import { ConfigHolder, compileConfig } from './config/runtime-config.js';
import { openRequestLog } from './runtime-request-log.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-open-request-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (sqlitePath: string) => {
  const config = testConfig({ requestLog: { kind: 'sqlite', sqlitePath } });
  return openRequestLog(config, new ConfigHolder(compileConfig(config)), pino({ enabled: false }));
};

describe('openRequestLog', () => {
  it('refuses a sqlitePath that is a directory, naming the setting', async () => {
    const err = await open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `requestLog.sqlitePath ${dir} is a directory: name the SQLite file in it the router writes (./data/requests.db by default)`,
    );
  });

  it('refuses a sqlitePath under a file, where its folder cannot be made, naming the setting', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const err = await open(join(file, 'requests.db')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `requestLog.sqlitePath ${join(file, 'requests.db')}: ${file} is a file, so the folder for the log cannot be made there. Name a path under a folder`,
    );
  });

  it('refuses a sqlitePath that is no SQLite database, naming the setting', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'server:\n  port: 8080\n');
    const err = await open(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(
      `requestLog.sqlitePath ${file} is not a SQLite database`,
    );
  });
});
