// The request log's two SQL stores for migration tests: each opened on a fresh database (SQLite in
// a temporary directory, PostgreSQL in a schema of its own named `<prefix>_<pid>_<random>`), with
// SQL run on it directly (to leave it as an older build did) and a restart. The caller drops the
// schemas it is handed (`schemas`) at the end; PostgreSQL is skipped, loudly, without a server.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RequestLogStore } from '../../src/store/request-log.js';
import { createPostgresRequestStore } from '../../src/store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../../src/store/sql/sqlite-request-store.js';
import { PG_URL } from './postgres.js';

/** A store, SQL run on its database directly, and a restart. */
export interface OpenedWithSql {
  log: RequestLogStore;
  exec(sql: string): Promise<void>;
  reopen(): RequestLogStore;
}

export interface LogBackend {
  name: 'SQLite' | 'PostgreSQL';
  skip: boolean;
  open(): OpenedWithSql;
}

/** SQLite always; PostgreSQL unless `havePg` is false. Schemas made are pushed to `schemas`. */
export function requestLogBackends(
  prefix: string,
  havePg: boolean,
  schemas: string[],
): LogBackend[] {
  return [
    {
      name: 'SQLite',
      skip: false,
      open() {
        const path = join(mkdtempSync(join(tmpdir(), `${prefix}-`)), 'requests.db');
        return {
          log: createSqliteRequestStore(path),
          reopen: () => createSqliteRequestStore(path),
          async exec(sql) {
            const db = new Database(path);
            db.exec(sql);
            db.close();
          },
        };
      },
    },
    {
      name: 'PostgreSQL',
      skip: !havePg,
      open() {
        const s = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
        schemas.push(s);
        return {
          log: createPostgresRequestStore(PG_URL, { schema: s }),
          reopen: () => createPostgresRequestStore(PG_URL, { schema: s }),
          async exec(sql) {
            const c = new pg.Client({ connectionString: PG_URL });
            await c.connect();
            try {
              await c.query(`SET search_path TO "${s}"`);
              await c.query(sql);
            } finally {
              await c.end();
            }
          },
        };
      },
    },
  ];
}
