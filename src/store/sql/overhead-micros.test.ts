// The request log keeps each chat request's router overhead (RequestRecord.overheadMicros,
// migration 24), in SQLite and PostgreSQL: written and read back as it was, NULL for a record
// without one, and a log from before the column gains it with its rows kept. PostgreSQL in schemas
// of this suite's own (`mr_ha_overhead_…`), dropped at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, PG_URL, pgAvailable } from '../../../test/helpers/postgres.js';
import { sampleRecord as rec } from '../../../test/helpers/request-records.js';
import type { RequestLogStore } from '../request-log.js';
import { createPostgresRequestStore } from './postgres-request-store.js';
import { createSqliteRequestStore } from './sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL overhead_micros tests');
const schemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

/** A store, SQL run on its database directly (to leave it as an older build did), and a restart. */
interface Backend {
  name: string;
  skip: boolean;
  open(): { store: RequestLogStore; exec(sql: string): Promise<void>; reopen(): RequestLogStore };
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    open() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-overhead-')), 'requests.db');
      return {
        store: createSqliteRequestStore(path),
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
      const s = `mr_ha_overhead_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(s);
      return {
        store: createPostgresRequestStore(PG_URL, { schema: s }),
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

describe.each(BACKENDS)('$name: overhead_micros', (backend) => {
  it.skipIf(backend.skip)('round trip: the figure as recorded, none as none', async () => {
    const { store } = backend.open();
    try {
      await store.migrate();
      const records = [
        rec(1, { overheadMicros: 412.625 }),
        rec(2, { overheadMicros: 0 }),
        rec(3, { endpoint: 'embeddings' }),
      ];
      await store.insert(records);
      const back = await store.query(0);
      expect(back.map((r) => [r.requestId, r.overheadMicros])).toEqual([
        ['req_1', 412.625],
        ['req_2', 0],
        ['req_3', undefined],
      ]);
      expect(back).toEqual(records);
    } finally {
      await store.close();
    }
  });

  it.skipIf(backend.skip)(
    'a log from before migration 24 gains the column, its rows kept without a figure',
    async () => {
      const { store: before, exec, reopen } = backend.open();
      await before.migrate();
      await before.close();
      await exec(
        `ALTER TABLE requests DROP COLUMN overhead_micros; DELETE FROM schema_migrations WHERE version = 24;
         INSERT INTO requests (time, request_id, endpoint, attempts, stream, prompt_tokens, cached_tokens,
           completion_tokens, reasoning_tokens, cost_usd, baseline_cost_usd, latency_ms, status)
         VALUES (1700000000000, 'req_old', 'chat', '[]', 0, 7, 0, 3, 0, 0.5, 0.5, 210, 200)`,
      );
      const store = reopen();
      try {
        await store.migrate();
        await store.insert([rec(1, { overheadMicros: 850 })]);
        const back = await store.query(0);
        expect(back.map((r) => [r.requestId, r.latencyMs, r.overheadMicros])).toEqual([
          ['req_old', 210, undefined],
          ['req_1', 21, 850],
        ]);
      } finally {
        await store.close();
      }
    },
  );
});
