// The response store on each backend for background-response tests: memory (one replica's own),
// SQLite (a file in a temporary directory) and a real PostgreSQL (in `schema`, which the caller
// drops), the SQL ones shared by every replica a test opens. PostgreSQL is skipped when `havePg`
// is false (the caller's `pgAvailable` says so loudly).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestLogStore } from '../../src/store/request-log.js';
import { createResponseStore, type ResponseStore } from '../../src/store/response-store.js';
import { createPostgresRequestStore } from '../../src/store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../../src/store/sql/sqlite-request-store.js';
import { PG_URL } from './postgres.js';

/** A backend's stores: `open()` is one replica's connection; all of them see the same data. */
export interface ResponseStoreBackend {
  name: 'memory' | 'SQLite' | 'PostgreSQL';
  skip: boolean;
  /** Whether two replicas see one store (not memory's). */
  shared: boolean;
  open(): () => ResponseStore;
}

/** Every SQL store opened is handed to `track`, which closes it after the test. */
export function responseStoreBackends(opts: {
  havePg: boolean;
  schema: string;
  tmpPrefix: string;
  track: (s: RequestLogStore) => RequestLogStore;
}): ResponseStoreBackend[] {
  const { havePg, schema, tmpPrefix, track } = opts;
  return [
    {
      name: 'memory',
      skip: false,
      shared: false,
      open() {
        const store = createResponseStore(10_000);
        return () => store;
      },
    },
    {
      name: 'SQLite',
      skip: false,
      shared: true,
      open() {
        const path = join(mkdtempSync(join(tmpdir(), tmpPrefix)), 'r.db');
        return () => createResponseStore(10_000, track(createSqliteRequestStore(path)));
      },
    },
    {
      name: 'PostgreSQL',
      skip: !havePg,
      shared: true,
      open() {
        return () =>
          createResponseStore(10_000, track(createPostgresRequestStore(PG_URL, { schema })));
      },
    },
  ];
}
