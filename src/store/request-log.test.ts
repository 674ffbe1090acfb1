import { createMemoryConversationStore } from './memory/memory-conversation-store.js';
import { createMemoryChatCompletionStore } from './memory/memory-chat-completion-store.js';
import { createMemoryConversationObjectStore } from './memory/memory-conversation-object-store.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { dropSchema, PG_URL, pgAvailable } from '../../test/helpers/postgres.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { createMemoryBatchStore } from './memory/memory-batch-store.js';
import { RequestLog, type RequestLogStore } from './request-log.js';
import type { RequestRecord } from './request-record.js';
import { filterRecords, summarizeRecords } from './request-summary.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

function rec(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: 1_700_000_000_000 + i * 1000,
    requestId: `req_${i}`,
    endpoint: 'chat',
    tenant: 'team-a',
    keyId: i % 2 ? 'k1' : 'k2',
    router: 'model-router',
    routingMode: 'balanced',
    routerVersion: '2026-11-24',
    decisionId: `dec_${i}`,
    deployment: i % 3 ? 'small' : 'big',
    servedModel: i % 3 ? 'small-sim' : 'big-sim',
    attempts: [{ deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.5 }],
    stream: i % 2 === 0,
    promptTokens: 10 + i,
    cachedTokens: 2,
    completionTokens: 5,
    reasoningTokens: 1,
    costUsd: 0.001 * i,
    baselineCostUsd: 0.01 * i,
    ttftMs: i % 2 === 0 ? 12.5 : undefined,
    latencyMs: 20 + i,
    routingMicros: 15,
    status: 200,
    region: 'eastus',
    dataZone: 'us',
    promptText: `prompt ${i}`,
    answerText: `answer ${i}`,
    ...extra,
  };
}

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

/** A store, SQL run on its database directly (to leave it as an older build did), and a restart. */
interface OpenedWithSql {
  log: RequestLogStore;
  exec(sql: string): Promise<void>;
  reopen(): RequestLogStore;
}

const pgSchemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of pgSchemas) await dropSchema(s);
});

const MIGRATION_BACKENDS: { name: string; skip: boolean; open(): OpenedWithSql }[] = [
  {
    name: 'SQLite',
    skip: false,
    open() {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-log-')), 'requests.db');
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
      const s = `mr_usage_est_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      pgSchemas.push(s);
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

describe('RequestLog batching', () => {
  it('says how many records a store still down at shutdown never got, and counts them dropped', async () => {
    // A real outage: PostgreSQL's address with nothing listening.
    const errors: string[] = [];
    const log = new RequestLog(createPostgresRequestStore('postgres://postgres@127.0.0.1:1/test'), {
      maxBuffer: 100,
      storeText: false,
      retentionDays: 30,
      flushIntervalMs: 60_000,
      onError: (m) => errors.push(m),
    });
    for (let i = 0; i < 3; i++) log.record(rec(i));
    await log.close(1);
    expect(errors.at(-1)).toMatch(
      /^request log: 3 buffered records could not be written before shutdown \(.*ECONNREFUSED.*\) and are lost$/,
    );
    expect(log.status()).toMatchObject({ buffered: 0, dropped: 3, written: 0 });
  });

  it('a record SQLite refuses is dropped and reported; the records after it are written (not the batch retried for good)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-poison-'));
    const store = createSqliteRequestStore(join(dir, 'requests.db'));
    const errors: string[] = [];
    const log = new RequestLog(store, {
      maxBuffer: 100,
      storeText: false,
      retentionDays: 30,
      flushIntervalMs: 60_000,
      now: () => rec(10).time,
      onError: (m) => errors.push(m),
    });
    // A cost that is no number: SQLite stores NaN as NULL, which cost_usd refuses.
    log.record(rec(0));
    log.record(rec(1, { requestId: 'req_poison', costUsd: Number.NaN }));
    for (let i = 2; i < 5; i++) log.record(rec(i));
    await log.flush();
    expect(log.status()).toMatchObject({ ok: true, buffered: 0, written: 4, dropped: 1 });
    expect(errors).toEqual([
      expect.stringMatching(
        /^request log: the store refused 1 record\(s\) twice .*req_poison.*NOT NULL/,
      ),
    ]);
    // Later records are written as usual.
    log.record(rec(5));
    await log.flush();
    expect((await store.query(0)).map((r) => r.requestId).sort()).toEqual(
      [0, 2, 3, 4, 5].map((i) => rec(i).requestId).sort(),
    );
    await log.close();
  });

  it('keeps records while the store fails, writes them when it recovers, and drops text unless allowed', async () => {
    const written: RequestRecord[] = [];
    // Down for the first flush (its batch, then each record alone) and the second's batch.
    let failures = 12;
    const store: RequestLogStore = {
      kind: 'sqlite',
      migrate: async () => {},
      insert: async (rs) => {
        if (failures-- > 0) throw new Error('disk full');
        written.push(...rs);
      },
      query: async () => written,
      count: async () => written.length,
      deleteOlderThan: async () => 0,
      ...createMemoryConversationStore(10),
      ...createMemoryChatCompletionStore(10),
      ...createMemoryConversationObjectStore(10),
      close: async () => {},
      ...createMemoryBatchStore(),
      findRequest: async () => undefined,
      findReceipt: async () => undefined,
      saveFeedback: async () => {},
      summarizeFeedback: async () => {
        throw new Error('not read here');
      },
      listFeedback: async () => [],
    };
    const log = new RequestLog(store, {
      maxBuffer: 100,
      storeText: false,
      retentionDays: 30,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 10; i++) log.record(rec(i));
    await log.flush();
    expect(log.status()).toMatchObject({ ok: false, buffered: 10, lastError: 'disk full' });
    await log.flush();
    await log.close();
    expect(written).toHaveLength(10);
    expect(log.status()).toMatchObject({ ok: true, buffered: 0, written: 10, dropped: 0 });
    expect(written.every((r) => r.promptText === undefined && r.answerText === undefined)).toBe(
      true,
    );
  });

  it('summaries group by model, key and router with spend, savings and latency', () => {
    const s = summarizeRecords([rec(1), rec(2), rec(3, { status: 429 })], 'model', 0, 1);
    expect(s.requests).toBe(3);
    expect(s.costUsd).toBeCloseTo(0.006);
    expect(s.savingsUsd).toBeCloseTo(0.054);
    expect(s.errorRate).toBeCloseTo(1 / 3);
    // A client that left mid-answer (499) is not an error of the router or its deployment.
    const left = summarizeRecords(
      [rec(1), rec(2, { status: 499 }), rec(3, { status: 502 })],
      'model',
      0,
      1,
    );
    expect(left.errorRate).toBeCloseTo(1 / 3);
    // An answer from the cache costs nothing, saves its baseline and used no upstream tokens.
    const cached = summarizeRecords(
      [rec(1), rec(2, { cache: 'hit', costUsd: 0 }), rec(3, { cache: 'miss' })],
      'model',
      0,
      1,
    );
    expect(cached.cacheHits).toBe(1);
    expect(cached.cacheHitRate).toBeCloseTo(1 / 3);
    expect(cached.savingsUsd).toBeCloseTo(0.06 - 0.004);
    expect(cached.tokens.prompt).toBe(11 + 13);
    expect(cached.groups.map((g) => [g.key, g.cacheHits])).toEqual([
      ['small-sim', 1],
      ['big-sim', 0],
    ]);
    expect(left.groups.map((g) => [g.key, g.errors])).toEqual([
      ['small-sim', 0],
      ['big-sim', 1],
    ]);
    expect(s.groups.map((g) => [g.key, g.requests])).toEqual([
      ['small-sim', 2],
      ['big-sim', 1],
    ]);
    expect(
      summarizeRecords([rec(1), rec(2)], 'key', 0, 1)
        .groups.map((g) => g.key)
        .sort(),
    ).toEqual(['k1', 'k2']);
  });

  it('summaries by tenant, end user and tag; a filter narrows the records read', () => {
    const records = [
      rec(1, { endUser: 'alice', tags: ['search', 'team=a'] }),
      rec(2, { endUser: 'bob', tags: ['search'] }),
      rec(3, { tenant: 'team-b' }),
      rec(4, { endUser: 'alice', tags: ['chat'] }),
    ];
    const byTag = summarizeRecords(records, 'tag', 0, 1);
    // A request with two tags is in both groups; the totals count it once.
    expect(byTag.requests).toBe(4);
    expect(byTag.costUsd).toBeCloseTo(0.01);
    expect(byTag.groups.map((g) => [g.key, g.requests, Number(g.costUsd.toFixed(6))])).toEqual([
      ['search', 2, 0.003],
      ['(untagged)', 1, 0.003],
      ['chat', 1, 0.004],
      ['team=a', 1, 0.001],
    ]);
    expect(byTag.groups[0]!.share).toBeCloseTo(0.5);
    expect(summarizeRecords(records, 'user', 0, 1).groups.map((g) => [g.key, g.requests])).toEqual([
      ['alice', 2],
      ['(no user)', 1],
      ['bob', 1],
    ]);
    expect(
      summarizeRecords(records, 'tenant', 0, 1).groups.map((g) => [g.key, g.requests]),
    ).toEqual([
      ['team-a', 3],
      ['team-b', 1],
    ]);
    expect(filterRecords(records, { tag: 'search' }).map((r) => r.requestId)).toEqual([
      'req_1',
      'req_2',
    ]);
    expect(
      filterRecords(records, { endUser: 'alice', tag: 'chat' }).map((r) => r.requestId),
    ).toEqual(['req_4']);
    expect(filterRecords(records, { tenant: 'team-b' }).map((r) => r.requestId)).toEqual(['req_3']);
    expect(filterRecords(records, { keyId: 'k1' }).map((r) => r.requestId)).toEqual([
      'req_1',
      'req_3',
    ]);
    expect(filterRecords(records, {})).toBe(records);
  });
});

describe('Responses conversations in the request-log store', () => {
  it('previous_response_id still works after a restart (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-conv-'));
    const config = parseConfig(
      testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'r.db') } }),
      {},
    ).config;
    const first = await createRuntime(config);
    const r1 = await first.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'model-router', input: 'first turn' },
    });
    expect(r1.statusCode).toBe(200);
    const id = r1.json().id as string;
    await first.close();
    const second = await createRuntime(config);
    try {
      const r2 = await second.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'model-router', input: 'second turn', previous_response_id: id },
      });
      expect(r2.statusCode).toBe(200);
      expect(r2.json().previous_response_id).toBe(id);
      expect(r2.json().usage.input_tokens).toBeGreaterThan(r1.json().usage.input_tokens);
    } finally {
      await second.close();
    }
  });
});

describe('request log through the running router', () => {
  it('records real requests in SQLite and loses none on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-log-e2e-'));
    const path = join(dir, 'requests.db');
    const config = parseConfig(
      testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: path, storeText: true } }),
      {},
    ).config;
    const runtime = await createRuntime(config);
    for (let i = 0; i < 25; i++) {
      const res = await runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'model-router',
          // Every fifth a conversation's second turn.
          messages:
            i % 5 === 0
              ? [
                  { role: 'user', content: `hi ${i}` },
                  { role: 'assistant', content: 'hi' },
                  { role: 'user', content: `hello ${i}` },
                ]
              : [{ role: 'user', content: `hello ${i}` }],
          stream: i % 2 === 0,
        },
      });
      expect(res.statusCode).toBe(200);
    }
    const ready = await runtime.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().request_log.kind).toBe('sqlite');
    await runtime.close();
    const store = createSqliteRequestStore(path);
    const rows = await store.query(0);
    await store.close();
    expect(rows).toHaveLength(25);
    expect(
      rows.every(
        (r) => r.router === 'model-router' && r.servedModel === 'small-sim' && r.costUsd > 0,
      ),
    ).toBe(true);
    expect(
      rows.filter((r) => r.stream).every((r) => r.ttftMs !== undefined && r.completionTokens > 0),
    ).toBe(true);
    expect(rows[0]?.promptText).toContain('hello');
    // Whether each continued a conversation, which its one string of text cannot tell.
    expect(rows.map((r) => r.multiTurn)).toEqual(rows.map((_, i) => i % 5 === 0));
    // The simulated upstream reports usage, streamed or not: no figure is the router's.
    expect(rows.map((r) => r.usageEstimated)).toEqual(rows.map(() => false));
  });
});
