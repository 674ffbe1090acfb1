// RequestLog's batching (a store down or refusing a record: kept within bounds, dropped and
// said) and the summaries read from its records. The stores themselves and their migrations:
// request-log-stores.test.ts; the log under the running router: request-log-runtime.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryBatchStore } from './memory/memory-batch-store.js';
import { createMemoryChatCompletionStore } from './memory/memory-chat-completion-store.js';
import { createMemoryConversationObjectStore } from './memory/memory-conversation-object-store.js';
import { createMemoryConversationStore } from './memory/memory-conversation-store.js';
import { RequestLog, type RequestLogStore } from './request-log.js';
import type { RequestRecord } from './request-record.js';
import { filterRecords, summarizeRecords } from './request-summary.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';
import { sampleRecord as rec } from '../../test/helpers/request-records.js';

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

  // Written on the loop (one CPU): a batch a transaction, and the loop turns between two batches,
  // so a queue that grew while the store was down is not written in one go.
  it('gives the store the queue in batches, with a turn of the event loop between them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-batches-'));
    const sqlite = createSqliteRequestStore(join(dir, 'requests.db'), { writerThread: false });
    const events: string[] = [];
    const store: RequestLogStore = {
      ...sqlite,
      insert: async (rs) => {
        events.push(`insert ${rs.length}`);
        await sqlite.insert(rs);
      },
    };
    const log = new RequestLog(store, {
      maxBuffer: 1000,
      storeText: false,
      retentionDays: 30,
      flushIntervalMs: 60_000,
      batchSize: 50,
      now: () => rec(0).time,
    });
    for (let i = 0; i < 200; i++) log.record(rec(i));
    let flushed = false;
    const turn = () => {
      events.push('turn');
      if (!flushed) setImmediate(turn);
    };
    setImmediate(turn);
    await log.flush();
    flushed = true;
    expect(events.filter((e) => e.startsWith('insert'))).toEqual(Array(4).fill('insert 50'));
    // Never two batches without a turn of the loop between them.
    const inserts = events.flatMap((e, i) => (e.startsWith('insert') ? [i] : []));
    for (let k = 1; k < inserts.length; k++)
      expect(events.slice(inserts[k - 1]! + 1, inserts[k]!)).toContain('turn');
    expect(await sqlite.count(0, Number.MAX_SAFE_INTEGER)).toBe(200);
    expect(log.status()).toMatchObject({ ok: true, buffered: 0, written: 200 });
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
