// The BatchStore contract's backends (memory, SQLite file, SQLite :memory:, real PostgreSQL in a
// schema of its own, dropped afterwards) and fixtures, shared by the contract's test files.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import type { BatchStore, StoredBatch, StoredFile } from '../../src/store/batch-store.js';
import { createMemoryBatchStore } from '../../src/store/memory/memory-batch-store.js';
import type { RequestLogStore } from '../../src/store/request-log.js';
import { createPostgresRequestStore } from '../../src/store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../../src/store/sql/sqlite-request-store.js';
import { PG_URL, dropSchema, pgAvailable } from './postgres.js';

export { PG_URL };
export const T0 = 1_700_000_000_000;
export const LEASE = 60_000;

export const havePg = await pgAvailable('the PostgreSQL batch-store tests');
const schemaBase = `mr_bstore_${process.pid}_${Date.now()}`;
/** The PostgreSQL schemas opened so far (the last is the newest backend's). */
export const schemas: string[] = [];

afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

/** A fresh, empty store; `replica()` is another connection to the same data (another replica). */
export interface Opened {
  store: BatchStore;
  replica(): BatchStore;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  skip: boolean;
  open(): Promise<Opened>;
}

export function sqlOpened(first: RequestLogStore, more: () => RequestLogStore): Opened {
  const opened: RequestLogStore[] = [first];
  return {
    store: first,
    replica() {
      const s = more();
      opened.push(s);
      return s;
    },
    close: async () => {
      for (const s of opened) await s.close();
    },
  };
}

export const BACKENDS: Backend[] = [
  {
    name: 'memory',
    skip: false,
    async open() {
      const store = createMemoryBatchStore();
      return { store, replica: () => store, close: async () => {} };
    },
  },
  {
    name: 'SQLite file',
    skip: false,
    async open() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-bstore-')), 'requests.db');
      return sqlOpened(createSqliteRequestStore(path), () => createSqliteRequestStore(path));
    },
  },
  {
    name: 'SQLite :memory:',
    skip: false,
    async open() {
      const store = createSqliteRequestStore(':memory:');
      return { store, replica: () => store, close: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    async open() {
      const schema = `${schemaBase}_${schemas.length}`;
      schemas.push(schema);
      return sqlOpened(createPostgresRequestStore(PG_URL, { schema }), () =>
        createPostgresRequestStore(PG_URL, { schema }),
      );
    },
  },
];

export const file = (id: string, extra: Partial<StoredFile> = {}): StoredFile => ({
  id,
  owner: 'team-a',
  purpose: 'batch',
  filename: `${id}.jsonl`,
  bytes: 10,
  createdAt: T0,
  ...extra,
});

export const batch = (id: string, extra: Partial<StoredBatch> = {}): StoredBatch => ({
  id,
  owner: 'team-a',
  createdAt: T0,
  status: 'validating',
  doc: JSON.stringify({ id, object: 'batch' }),
  ...extra,
});

export const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);

/** Runs `body` as one describe block per backend (skipped loudly when PostgreSQL is absent). */
export function forEachBackend(
  title: string,
  body: (within: (fn: (o: Opened) => Promise<void>) => Promise<void>) => void,
): void {
  for (const backend of BACKENDS) {
    describe.skipIf(backend.skip)(`${title}: ${backend.name}`, () => {
      body(async (fn) => {
        const o = await backend.open();
        try {
          await fn(o);
        } finally {
          await o.close();
        }
      });
    });
  }
}
