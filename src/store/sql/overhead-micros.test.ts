// The request log keeps each chat request's router overhead (RequestRecord.overheadMicros,
// migration 24), in SQLite and PostgreSQL: written and read back as it was, NULL for a record
// without one, and a log from before the column gains it with its rows kept. PostgreSQL in schemas
// of this suite's own (`mr_ha_overhead_…`), dropped at the end.
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { requestLogBackends } from '../../../test/helpers/request-log-backends.js';
import { sampleRecord as rec } from '../../../test/helpers/request-records.js';

const havePg = await pgAvailable('the PostgreSQL overhead_micros tests');
const schemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const BACKENDS = requestLogBackends('mr_ha_overhead', havePg, schemas);

describe.each(BACKENDS)('$name: overhead_micros', (backend) => {
  it.skipIf(backend.skip)('round trip: the figure as recorded, none as none', async () => {
    const { log: store } = backend.open();
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
      const { log: before, exec, reopen } = backend.open();
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
