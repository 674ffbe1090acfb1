// The request log's stores, SQLite and PostgreSQL: a round trip of every field, idempotent
// migrations, retention, an outage buffered within bounds, and logs written by older builds
// migrated with their records kept. PostgreSQL tests use schemas of their own (this process's
// id in the name), dropped at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, PG_URL, pgAvailable } from '../../test/helpers/postgres.js';
import { RequestLog, type RequestLogStore } from './request-log.js';
import { summarizeRecords } from './request-summary.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';
import { sampleRecord as rec } from '../../test/helpers/request-records.js';
import { requestLogBackends } from '../../test/helpers/request-log-backends.js';

const havePg = await pgAvailable('the PostgreSQL request-log tests');
const schema = `mr_test_${process.pid}_${Date.now()}`;

afterAll(async () => {
  if (havePg) await dropSchema(schema);
});

async function roundTrip(store: RequestLogStore) {
  await store.migrate();
  await store.migrate(); // idempotent
  const records = [
    rec(1, { cache: 'hit', costUsd: 0, attempts: [], usageEstimated: false }),
    rec(2, {
      cache: 'miss',
      endUser: 'user-42',
      tags: ['feature=search', 'team-a'],
      usageEstimated: true,
    }),
    // Waited for headroom, then failed: every round's attempts, and the wait.
    rec(3, {
      ttftMs: undefined,
      errorCode: 'upstream_500',
      status: 502,
      queuedMs: 5003,
      attempts: [
        {
          deployment: 'big',
          model: 'big-sim',
          outcome: 'error',
          httpStatus: 429,
          latencyMs: 2,
          round: 1,
        },
        {
          deployment: 'big',
          model: 'big-sim',
          outcome: 'error',
          httpStatus: 500,
          latencyMs: 3,
          round: 2,
          waitedMs: 5003,
        },
      ],
    }),
    // Failed over once, then streamed and broke off after its first chunk (too late to fail
    // over): the attempt says `stream_dropped` with the error that ended it, the request a 502.
    rec(4, {
      stream: true,
      errorCode: 'upstream_stream_dropped',
      status: 502,
      attempts: [
        { deployment: 'big', model: 'big-sim', outcome: 'error', httpStatus: 500, latencyMs: 2 },
        {
          deployment: 'small',
          model: 'small-sim',
          outcome: 'stream_dropped',
          httpStatus: 502,
          errorCode: 'upstream_stream_dropped',
          latencyMs: 4,
        },
      ],
    }),
  ];
  await store.insert(records);
  const back = await store.query(1_700_000_000_000, 1_700_000_004_500);
  expect(back).toEqual(records);
  expect(back[3]!.attempts.map((a) => a.outcome)).toEqual(['error', 'stream_dropped']);
  expect(back[1]).toMatchObject({ endUser: 'user-42', tags: ['feature=search', 'team-a'] });
  expect(back.map((r) => r.usageEstimated)).toEqual([false, true, undefined, undefined]);
  expect(await store.count(1_700_000_000_000, 1_700_000_004_500)).toBe(4);
  expect(await store.count(1_700_000_001_500, 1_700_000_002_500)).toBe(1);
  // Summaries read the records without their texts.
  const lean = await store.query(1_700_000_000_000, 1_700_000_004_500, { text: false });
  expect(lean).toEqual(
    records.map((r) => ({ ...r, promptText: undefined, answerText: undefined })),
  );
  await store.saveConversation('resp_1', 1_700_000_000_000, '{"id":"resp_1"}');
  await store.saveConversation('resp_1', 1_700_000_000_000, '{"id":"resp_1","v":2}');
  expect(await store.getConversation('resp_1')).toBe('{"id":"resp_1","v":2}');
  expect(await store.getConversation('resp_missing')).toBeUndefined();
  await store.saveConversation('resp_2', 1_700_000_000_000, '{"id":"resp_2"}');
  expect(await store.deleteConversation('resp_2')).toBe(true);
  expect(await store.deleteConversation('resp_2')).toBe(false);
  expect(await store.getConversation('resp_2')).toBeUndefined();
  expect(await store.deleteOlderThan(1_700_000_002_500)).toBe(2);
  expect(await store.getConversation('resp_1')).toBeUndefined();
  expect((await store.query(0)).map((r) => r.requestId)).toEqual(['req_3', 'req_4']);
}

describe('request log stores', () => {
  it('SQLite: round trip, idempotent migrations, retention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-log-'));
    const store = createSqliteRequestStore(join(dir, 'nested', 'requests.db'));
    await roundTrip(store);
    await store.close();
  });

  it('SQLite: a log written before the answer cache, attribution and queue waits gains their columns, records kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-log-'));
    const path = join(dir, 'requests.db');
    const old = createSqliteRequestStore(path);
    await old.migrate();
    await old.close();
    // The log as a build before migrations 4, 5 and 10 left it.
    const db = new Database(path);
    db.exec(
      // (An index on end_user came later, in migration 21: dropped first, as that build had none.)
      `DROP INDEX requests_user_time; ALTER TABLE requests DROP COLUMN cache; ALTER TABLE requests DROP COLUMN end_user;
       ALTER TABLE requests DROP COLUMN tags; ALTER TABLE requests DROP COLUMN queued_ms;
       DELETE FROM schema_migrations WHERE version IN (4, 5, 10)`,
    );
    db.prepare(
      `INSERT INTO requests (time, request_id, endpoint, attempts, stream, prompt_tokens, cached_tokens,
        completion_tokens, reasoning_tokens, cost_usd, baseline_cost_usd, latency_ms, status)
       VALUES (1, 'req_old', 'chat', '[]', 0, 1, 0, 1, 0, 0, 0, 1, 200)`,
    ).run();
    db.close();
    const store = createSqliteRequestStore(path);
    await store.migrate();
    await store.insert([rec(5, { cache: 'bypass', endUser: 'u1', tags: ['a'], queuedMs: 40 })]);
    const back = await store.query(0);
    expect(back.map((r) => [r.requestId, r.cache, r.endUser, r.tags, r.queuedMs])).toEqual([
      ['req_old', undefined, undefined, undefined, undefined],
      ['req_5', 'bypass', 'u1', ['a'], 40],
    ]);
    await store.close();
  });

  it('SQLite: a log written before response items gains their table, its responses kept', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mr-log-')), 'requests.db');
    const old = createSqliteRequestStore(path);
    await old.saveConversation('resp_old', 1_700_000_000_000, '{"id":"resp_old"}');
    await old.close();
    // The log as a build before migration 13 left it.
    const db = new Database(path);
    db.exec('DROP TABLE response_items; DELETE FROM schema_migrations WHERE version = 13');
    db.close();
    const store = createSqliteRequestStore(path);
    expect(await store.getConversation('resp_old')).toBe('{"id":"resp_old"}');
    await store.saveConversationItems('resp_old', 'team-a', 1_700_000_000_000, [
      { id: 'msg_1', json: '{"id":"msg_1"}' },
    ]);
    expect(await store.conversationItems('team-a', ['msg_1'])).toEqual([
      { id: 'msg_1', json: '{"id":"msg_1"}' },
    ]);
    await store.close();
  });

  it.skipIf(!havePg)('PostgreSQL: round trip, idempotent migrations, retention', async () => {
    const store = createPostgresRequestStore(PG_URL, { schema });
    await roundTrip(store);
    await store.close();
  });

  // The insert is one prepared statement of an array a column (2026-12-07): any batch size, and
  // every value through PostgreSQL's array literals as written. Before, a placeholder a value: a
  // batch over 1,820 records passed the protocol's 65,535 parameters and was refused.
  it.skipIf(!havePg)(
    'PostgreSQL: 2,000 records in one insert, texts an array literal quotes kept as written',
    async () => {
      const bulk = `mr_bulk_${process.pid}_${Date.now()}`;
      pgSchemas.push(bulk);
      const store = createPostgresRequestStore(PG_URL, { schema: bulk });
      await store.migrate();
      const texts = ['a "quoted" \\ {brace}, comma', 'NULL', '', '{}', 'ünï ✓\nline'];
      const at = (i: number) => texts[i % texts.length]!;
      const records = Array.from({ length: 2000 }, (_, i) =>
        rec(i, {
          promptText: at(i),
          answerText: i % 2 ? undefined : at(i + 1),
          endUser: at(i + 2),
          tags: [at(i + 3)],
          multiTurn: i % 3 === 0 ? undefined : i % 3 === 1,
          attempts: [{ deployment: at(i), model: 'm', outcome: 'ok', latencyMs: i / 7 }],
        }),
      );
      await store.insert(records);
      await store.insert(records.slice(0, 1).map((r) => ({ ...r, requestId: 'one' })));
      const back = await store.query(0);
      expect(back).toHaveLength(2001);
      expect(back.filter((r) => r.requestId !== 'one')).toEqual(records);
      await store.close();
    },
  );

  it.skipIf(!havePg)(
    'PostgreSQL down: the log buffers within its bound, counts drops and says why',
    async () => {
      const log = new RequestLog(
        createPostgresRequestStore('postgres://postgres@127.0.0.1:1/test'),
        { maxBuffer: 3, storeText: false, retentionDays: 30, flushIntervalMs: 60_000 },
      );
      for (let i = 0; i < 5; i++) log.record(rec(i));
      await log.flush();
      const s = log.status();
      expect(s).toMatchObject({ ok: false, buffered: 3, dropped: 2, written: 0 });
      expect(s.lastError).toMatch(/ECONNREFUSED|connect/);
      await log.close(1);
    },
  );
});

const pgSchemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of pgSchemas) await dropSchema(s);
});

const MIGRATION_BACKENDS = requestLogBackends('mr_usage_est', havePg, pgSchemas);

describe.each(MIGRATION_BACKENDS)('$name: migration 19 (usage_estimated)', (backend) => {
  it.skipIf(backend.skip)(
    'a log from before it gains the column, its rows kept and read as not estimated (NULL); new rows say true or false',
    async () => {
      const { log: before, exec, reopen } = backend.open();
      await before.migrate();
      await before.close();
      // The log as a build before migration 19 left it, with a request logged then.
      await exec(
        `ALTER TABLE requests DROP COLUMN usage_estimated; DELETE FROM schema_migrations WHERE version = 19;
         INSERT INTO requests (time, request_id, endpoint, attempts, stream, prompt_tokens, cached_tokens,
           completion_tokens, reasoning_tokens, cost_usd, baseline_cost_usd, latency_ms, status)
         VALUES (1700000000000, 'req_old', 'chat', '[]', 1, 7, 0, 3, 0, 0.5, 0.5, 1, 200)`,
      );
      const store = reopen();
      try {
        await store.migrate();
        await store.insert([
          rec(1, { usageEstimated: true, costUsd: 0.25 }),
          rec(2, { usageEstimated: false, costUsd: 0.125 }),
        ]);
        const back = await store.query(0);
        expect(back.map((r) => [r.requestId, r.promptTokens, r.usageEstimated])).toEqual([
          ['req_old', 7, undefined],
          ['req_1', 11, true],
          ['req_2', 12, false],
        ]);
        // The summary in SQL counts the estimated row alone, and its spend.
        const summary = await store.summarize!({
          since: 0,
          until: Number.MAX_SAFE_INTEGER,
          by: 'model',
        });
        expect(summary).toMatchObject({
          requests: 3,
          usageEstimated: 1,
          usageEstimatedRate: 1 / 3,
          usageEstimatedCostUsd: 0.25,
        });
        expect(summary).toEqual(summarizeRecords(back, 'model', 0, Number.MAX_SAFE_INTEGER));
      } finally {
        await store.close();
      }
    },
  );
});
