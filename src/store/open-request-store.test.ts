// The request log as report, simulate, distribution and feedback export open it: a sqlitePath that
// is no SQLite file is said in words, not as SQLite's "unable to open database file".
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MissingRequestLog, openRequestLogToRead } from './open-request-store.js';

const dir = mkdtempSync(join(tmpdir(), 'mr-open-log-'));
const sqlite = (sqlitePath: string) =>
  openRequestLogToRead({ kind: 'sqlite', sqlitePath, storeText: false } as Parameters<
    typeof openRequestLogToRead
  >[0]);

describe('openRequestLogToRead', () => {
  it('refuses a directory named as the SQLite file, naming the setting', async () => {
    await expect(sqlite(dir)).rejects.toThrow(MissingRequestLog);
    await expect(sqlite(dir)).rejects.toThrow(
      `requestLog.sqlitePath ${dir} is a directory: name the SQLite file in it the router writes (./data/requests.db by default)`,
    );
  });

  it('refuses a file that is no SQLite database, rather than failing on the first query', async () => {
    const text = join(dir, 'requests.jsonl');
    writeFileSync(text, '{"not":"a database"}\n');
    await expect(sqlite(text)).rejects.toThrow(
      `requestLog.sqlitePath ${text} is not a SQLite database (it does not start as one): is it the router's request log?`,
    );
  });
});
