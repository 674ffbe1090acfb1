// The SQL summaries against the in-memory one: a few hundred varied records (tenants, keys, end
// users, several tags or none, errors, 499s, failovers, streams that broke off after their first
// chunk, cache hits, estimated usage, streams with a TTFT and JSON calls without, costs with
// awkward fractions, tied latencies) written to the real SQLite and PostgreSQL, summarized by
// every grouping and a few filters both ways. Sums agree to floating error (the databases add in
// their own order); counts, shares and percentiles agree exactly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogStore } from '../request-log.js';
import type { AttemptRecord, RequestRecord } from '../request-record.js';
import { limitGroups } from '../assemble-summary.js';
import {
  SUMMARY_BYS,
  filterRecords,
  summarizeRecords,
  type RequestSummary,
  type UsageFilter,
} from '../request-summary.js';
import { failedOver, upstreamErrored } from '../summary-row.js';
import { usageSummary } from '../usage-summary.js';
import { createPostgresRequestStore } from './postgres-request-store.js';
import { createSqliteRequestStore } from './sqlite-request-store.js';
import { spendStatement } from './spend-sql.js';
import { SQLITE_SUMMARY } from './summary-dialect.js';
import { dropSchema, PG_URL, pgAvailable } from '../../../test/helpers/postgres.js';

const T0 = 1_700_000_000_000;

/** A small seeded generator (mulberry32): the same records on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function varied(count: number): RequestRecord[] {
  const rand = seeded(42);
  // Its own stream, so the records drawn from `rand` stay those the cases below were chosen on.
  const charge = seeded(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const tagPool = ['team-a', 'feature=search', 'batch', 'cli'];
  const records: RequestRecord[] = [];
  for (let i = 0; i < count; i++) {
    const stream = rand() < 0.5;
    const failedOver = rand() < 0.15;
    const served = pick(['small-sim', 'big-sim', 'mid-sim', undefined]);
    // A failed-over first try that timed out is charged its prompt (AttemptRecord.costUsd).
    const timedOut = failedOver && charge() < 0.5;
    const attempts: AttemptRecord[] = [
      ...(failedOver
        ? [
            {
              deployment: 'big',
              model: 'big-sim',
              outcome: 'error' as const,
              latencyMs: 4,
              ...(timedOut ? { errorCode: 'upstream_timeout', costUsd: charge() / 300 } : {}),
            },
          ]
        : []),
      ...(rand() < 0.1
        ? [{ deployment: 'mid', model: 'mid-sim', outcome: 'skipped' as const, latencyMs: 0 }]
        : []),
      { deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.5 },
    ];
    // A lone failed call (the next candidate passed over, or none): an error, not a failover.
    if (!failedOver && rand() < 0.1)
      attempts.splice(
        0,
        attempts.length,
        { deployment: 'big', model: 'big-sim', outcome: 'error', httpStatus: 500, latencyMs: 4 },
        ...(rand() < 0.5
          ? [{ deployment: 'mid', model: 'mid-sim', outcome: 'skipped' as const, latencyMs: 0 }]
          : []),
      );
    const status = pick([200, 200, 200, 200, 200, 429, 499, 502, 400]);
    // A stream that broke off after its first chunk: its last attempt was not `ok`.
    if (stream && status === 502 && rand() < 0.5)
      attempts[attempts.length - 1] = {
        deployment: 'small',
        model: 'small-sim',
        outcome: 'stream_dropped',
        httpStatus: 502,
        errorCode: 'upstream_stream_dropped',
        latencyMs: 3.5,
      };
    const cost = (rand() < 0.1 ? 0 : (rand() * 0.02) / 3) + (attempts[0]?.costUsd ?? 0);
    records.push({
      // Several requests in the same millisecond, and some on the window's edges.
      time: T0 + Math.floor(i / 2) * 1000,
      requestId: `req_${i}`,
      endpoint: pick(['chat', 'completions', 'responses', 'messages', 'embeddings'] as const),
      tenant: pick(['team-a', 'team-b', 'team-c', undefined]),
      keyId: pick(['k1', 'k2', 'k3', undefined]),
      endUser: pick(['alice', 'bob', 'carol', undefined, undefined]),
      tags: rand() < 0.3 ? undefined : tagPool.filter(() => rand() < 0.4),
      router: pick(['model-router', 'cheap-router', undefined]),
      deployment: served ? served.replace('-sim', '') : pick(['small', undefined]),
      servedModel: served,
      attempts,
      stream,
      promptTokens: Math.floor(rand() * 2000),
      cachedTokens: Math.floor(rand() * 100),
      completionTokens: Math.floor(rand() * 500),
      reasoningTokens: Math.floor(rand() * 50),
      costUsd: cost,
      baselineCostUsd: cost * (1 + rand() * 7) + 1e-7 / 7,
      // Round latencies tie often; fractional ones do not.
      latencyMs: rand() < 0.4 ? Math.round(rand() * 20) * 10 : rand() * 3000 + 0.1,
      ttftMs: stream ? rand() * 400 + 1 / 3 : undefined,
      status,
      cache: pick(['hit', 'semantic', 'miss', 'partial', 'bypass', undefined] as const),
      // Estimated usage, reported usage, and rows from before migration 19 (no flag).
      usageEstimated: pick([true, false, false, undefined]),
    });
  }
  return records;
}

const RECORDS = varied(400);
const SINCE = T0 + 10_000; // from the 21st record (inclusive)
const UNTIL = T0 + 190_000; // to before the 381st
const FILTERS: UsageFilter[] = [
  {},
  { tenant: 'team-a' },
  { keyId: 'k2' },
  { endUser: 'alice', tag: 'batch' },
  { tag: 'feature=search' },
  { tenant: 'team-b', keyId: 'k1', endUser: 'bob' },
  { tenant: 'nobody' },
  { deployment: 'small' },
  { tenant: 'team-a', deployment: 'big' },
];

function expectSameSummary(sql: RequestSummary, js: RequestSummary): void {
  const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 9);
  expect(sql.requests).toBe(js.requests);
  expect([sql.since, sql.until, sql.by, sql.filter]).toEqual([
    js.since,
    js.until,
    js.by,
    js.filter,
  ]);
  close(sql.costUsd, js.costUsd);
  expect(sql.attempts).toBe(js.attempts);
  close(sql.baselineCostUsd, js.baselineCostUsd);
  close(sql.savingsUsd, js.savingsUsd);
  close(sql.savingsRatio, js.savingsRatio);
  expect([
    sql.errorRate,
    sql.invalidRequests,
    sql.invalidRequestRate,
    sql.failoverRate,
    sql.cacheHits,
    sql.cacheHitRate,
  ]).toEqual([
    js.errorRate,
    js.invalidRequests,
    js.invalidRequestRate,
    js.failoverRate,
    js.cacheHits,
    js.cacheHitRate,
  ]);
  expect(sql.tokens).toEqual(js.tokens);
  expect([sql.usageEstimated, sql.usageEstimatedRate]).toEqual([
    js.usageEstimated,
    js.usageEstimatedRate,
  ]);
  close(sql.usageEstimatedCostUsd, js.usageEstimatedCostUsd);
  expect(sql.groups.map((g) => g.key)).toEqual(js.groups.map((g) => g.key));
  sql.groups.forEach((g, i) => {
    const want = js.groups[i]!;
    const { costUsd, baselineCostUsd, savingsUsd, usageEstimatedCostUsd, ...exact } = g;
    close(costUsd, want.costUsd);
    close(usageEstimatedCostUsd, want.usageEstimatedCostUsd);
    close(baselineCostUsd, want.baselineCostUsd);
    close(savingsUsd, want.savingsUsd);
    expect(exact).toEqual({
      key: want.key,
      requests: want.requests,
      attempts: want.attempts,
      share: want.share,
      latencyP50Ms: want.latencyP50Ms,
      latencyP95Ms: want.latencyP95Ms,
      ttftP50Ms: want.ttftP50Ms,
      ttftP95Ms: want.ttftP95Ms,
      errors: want.errors,
      invalidRequests: want.invalidRequests,
      failovers: want.failovers,
      cacheHits: want.cacheHits,
      usageEstimated: want.usageEstimated,
    });
  });
}

/** Every grouping under every filter, in SQL and in memory, over the same window. */
async function compareAll(store: RequestLogStore): Promise<void> {
  // Summaries through `usageSummary` must not read the records: this store refuses to.
  const sqlOnly = {
    summarize: store.summarize!.bind(store),
    query: () => Promise.reject(new Error('read records')),
  };
  const inWindow = RECORDS.filter((r) => r.time >= SINCE && r.time < UNTIL);
  for (const filter of FILTERS) {
    for (const by of SUMMARY_BYS) {
      const sql = await usageSummary(sqlOnly, { since: SINCE, until: UNTIL, by, filter });
      const jsRecords = filterRecords(inWindow, filter);
      const js = summarizeRecords(jsRecords, by, SINCE, UNTIL);
      expectSameSummary(sql, Object.keys(filter).length ? { ...js, filter } : js);
      // Each request (and each call) is in one group but by tag: the groups add up to the totals.
      if (by !== 'tag') {
        expect(sql.groups.reduce((n, g) => n + g.costUsd, 0)).toBeCloseTo(sql.costUsd, 9);
        expect(sql.groups.reduce((n, g) => n + g.attempts, 0)).toBe(sql.attempts);
      }
    }
  }
}

/**
 * A budget's spend history: the one-sum statement (store.spend) says what the in-memory sum of
 * the same filtered window says, for every filter (soak audit F1, 2026-12-06).
 */
async function compareSpend(store: RequestLogStore): Promise<void> {
  const inWindow = RECORDS.filter((r) => r.time >= SINCE && r.time < UNTIL);
  for (const filter of FILTERS) {
    const js = filterRecords(inWindow, filter).reduce((sum, r) => sum + r.costUsd, 0);
    expect(await store.spend!({ since: SINCE, until: UNTIL, filter })).toBeCloseTo(js, 9);
  }
}

/**
 * A deployment's spend history (`spentAt`): each call's cost where it was made, the numbers the
 * summary by deployment gives its groups, for every deployment (one that only timed out, one with
 * none) and under every filter; the other budgets' sums stay those of whole requests (above).
 */
async function compareSpentAt(store: RequestLogStore): Promise<void> {
  const inWindow = RECORDS.filter((r) => r.time >= SINCE && r.time < UNTIL);
  for (const filter of FILTERS) {
    const groups = summarizeRecords(
      filterRecords(inWindow, filter),
      'deployment',
      SINCE,
      UNTIL,
    ).groups;
    for (const spentAt of ['small', 'big', 'mid', 'nowhere']) {
      const want = groups.find((g) => g.key === spentAt)?.costUsd ?? 0;
      const got = await store.spend!({ since: SINCE, until: UNTIL, filter, spentAt });
      expect(got, `${spentAt} ${JSON.stringify(filter)}`).toBeCloseTo(want, 9);
    }
  }
  // What the cases above rest on: calls charged at 'big' for requests another deployment served
  // (most at 'small'), so spend where made and whole requests' differ.
  const byDeployment = summarizeRecords(inWindow, 'deployment', SINCE, UNTIL).groups;
  const spentAt = (d: string) => byDeployment.find((g) => g.key === d)!.costUsd;
  const served = (d: string) =>
    inWindow.filter((r) => r.deployment === d).reduce((sum, r) => sum + r.costUsd, 0);
  expect(spentAt('big') - served('big')).toBeGreaterThan(0.001);
  expect(served('small') - spentAt('small')).toBeGreaterThan(0.001);
}

/**
 * Summaries cut to their busiest `limit` groups: the database picks the groups and aggregates only
 * those (the store never returns more), and they are the in-memory summary's first `limit`, with
 * the same `groupsTotal`, for every grouping.
 */
async function compareLimited(store: RequestLogStore): Promise<void> {
  const sqlOnly = {
    summarize: store.summarize!.bind(store),
    query: () => Promise.reject(new Error('read records')),
  };
  const inWindow = RECORDS.filter((r) => r.time >= SINCE && r.time < UNTIL);
  for (const filter of [{}, { tag: 'batch' }]) {
    for (const by of SUMMARY_BYS) {
      const js = summarizeRecords(filterRecords(inWindow, filter), by, SINCE, UNTIL);
      for (const limit of [1, 2, 3, 1000]) {
        const sql = await usageSummary(sqlOnly, { since: SINCE, until: UNTIL, by, filter, limit });
        const want = limitGroups(js, limit);
        expect(sql.groups.length).toBe(Math.min(limit, js.groups.length));
        expect(sql.groupsTotal).toBe(js.groups.length);
        expectSameSummary(sql, Object.keys(filter).length ? { ...want, filter } : want);
      }
    }
  }
}

/**
 * Groups tied on requests are cut in code point order (UTF-8 byte order), in SQL as in memory:
 * not in locale order ('Zed' before 'alice'), nor in UTF-16 order (U+FF21 before U+1F600).
 */
async function compareTiedCut(store: RequestLogStore): Promise<void> {
  const t = T0 + 700_000;
  const users = ['busy', 'busy', 'busy', '\u{1F600}smile', '\uFF21wide', 'émile', 'alice', 'Zed'];
  const tied = users.flatMap((endUser, i) =>
    (endUser === 'busy' ? [0] : [0, 1]).map((j) => ({
      ...RECORDS[0]!,
      time: t + i,
      requestId: `tie_${i}_${j}`,
      endUser,
    })),
  );
  await store.insert(tied);
  const q = { since: t, until: t + 1000, by: 'user' as const };
  const js = summarizeRecords(tied, 'user', q.since, q.until);
  expect(js.groups.map((g) => g.key)).toEqual([
    'busy',
    'Zed',
    'alice',
    'émile',
    '\uFF21wide',
    '\u{1F600}smile',
  ]);
  for (const limit of [2, 3, 4, 5]) {
    const sql = await store.summarize!({ ...q, limit });
    expect(sql.groupsTotal).toBe(6);
    expectSameSummary(sql, limitGroups(js, limit));
  }
}

/**
 * Latency percentiles are those of the requests served (errors and 499s included), not of those
 * refused as invalid, which answer in a millisecond: before, a group where most requests were
 * malformed read a p50 of about a millisecond. A group of invalid requests only reads 0.
 */
async function compareInvalidLatency(store: RequestLogStore): Promise<void> {
  const t = T0 + 800_000;
  const base = { ...RECORDS[0]!, endpoint: 'chat' as const, cache: undefined, stream: false };
  const ok = { deployment: 'small', model: 'small-sim', outcome: 'ok' as const, latencyMs: 1 };
  const records: RequestRecord[] = [
    ...[1000, 1200, 1400].map((latencyMs, i) => ({
      ...base,
      time: t + i,
      requestId: `served_${i}`,
      attempts: [ok],
      latencyMs,
      status: 200,
    })),
    ...[0.4, 0.5, 0.6, 0.7, 0.8].map((latencyMs, i) => ({
      ...base,
      time: t + 10 + i,
      requestId: `invalid_${i}`,
      endpoint: i === 4 ? ('embeddings' as const) : ('chat' as const),
      attempts: [],
      latencyMs,
      status: 400,
    })),
  ];
  await store.insert(records);
  const q = { since: t, until: t + 1000, by: 'endpoint' as const };
  const js = summarizeRecords(records, 'endpoint', q.since, q.until);
  expect(js.groups.map((g) => [g.key, g.invalidRequests, g.latencyP50Ms, g.latencyP95Ms])).toEqual([
    ['chat', 4, 1200, 1400],
    ['embeddings', 1, 0, 0],
  ]);
  expectSameSummary(await store.summarize!(q), js);
}

it('the generated records cover what the summaries distinguish', () => {
  const inWindow = RECORDS.filter((r) => r.time >= SINCE && r.time < UNTIL);
  const s = summarizeRecords(inWindow, 'tag', SINCE, UNTIL);
  expect(s.requests).toBe(360);
  expect(s.groups.map((g) => g.key).sort()).toEqual(
    ['(untagged)', 'batch', 'cli', 'feature=search', 'team-a'].sort(),
  );
  expect(s.errorRate).toBeGreaterThan(0);
  // Refused as invalid (a 400 with no failed attempt), and a 400 after a failed attempt (an
  // upstream's: an error, not an invalid request).
  expect(s.invalidRequests).toBeGreaterThan(0);
  expect(inWindow.some((r) => r.status === 400 && failedOver(r))).toBe(true);
  expect(inWindow.some((r) => r.status === 400 && upstreamErrored(r) && !failedOver(r))).toBe(true);
  expect(s.failoverRate).toBeGreaterThan(0);
  // Calls charged at another deployment than the one the record names (a timed-out first try).
  expect(
    inWindow.filter((r) => r.attempts.some((a) => a.costUsd && a.deployment !== r.deployment))
      .length,
  ).toBeGreaterThan(5);
  // Failed calls with nothing called after them (passed over or not) are no failovers.
  const lone = inWindow.filter((r) => upstreamErrored(r) && !failedOver(r));
  expect(lone.some((r) => r.attempts.some((a) => a.outcome === 'skipped'))).toBe(true);
  expect(lone.some((r) => r.attempts.length === 1)).toBe(true);
  expect(s.cacheHits).toBeGreaterThan(0);
  // Estimated usage in some records (not all, not only in cache hits or errors).
  expect(s.usageEstimated).toBeGreaterThan(0);
  expect(s.usageEstimated).toBeLessThan(s.requests);
  expect(s.usageEstimatedCostUsd).toBeGreaterThan(0);
  expect(s.groups.filter((g) => g.usageEstimated > 0).length).toBeGreaterThan(1);
  expect(inWindow.some((r) => r.status === 499)).toBe(true);
  expect(s.groups.every((g) => g.ttftP50Ms !== null)).toBe(true);
  // A group with no stream at all has no TTFT: the in-memory and SQL paths must both say null.
  expect(
    summarizeRecords(
      inWindow.filter((r) => !r.stream),
      'model',
      SINCE,
      UNTIL,
    ).groups.every((g) => g.ttftP50Ms === null),
  ).toBe(true);
});

describe('SQLite: the summary in SQL equals the summary in memory', () => {
  let store: RequestLogStore;
  const file = join(mkdtempSync(join(tmpdir(), 'mr-sum-')), 'requests.db');
  beforeAll(async () => {
    store = createSqliteRequestStore(file);
    await store.migrate();
    await store.insert(RECORDS);
  });
  afterAll(() => store.close());

  it('for every grouping and filter', () => compareAll(store));

  it('cut to the busiest groups in SQL, with how many there are', () => compareLimited(store));

  it("sums a budget's spend as the summary counts it", () => compareSpend(store));

  it("sums a deployment's spend where each call was made", () => compareSpentAt(store));

  it("reads an end user's, a key's or a deployment's spend through an index, not the period", () => {
    const db = new Database(file, { readonly: true });
    try {
      for (const [filter, index] of [
        [{ tenant: 'team-a', endUser: 'alice' }, 'requests_user_time'],
        [{ keyId: 'k2' }, 'requests_key_time'],
        [{ deployment: 'small' }, 'requests_deployment_time'],
      ] as const) {
        const st = spendStatement(
          { ...SQLITE_SUMMARY, table: 'requests' },
          { since: SINCE, until: UNTIL, filter },
        );
        const plan = (
          db
            .prepare(`EXPLAIN QUERY PLAN ${st.sql}`)
            .all(Object.fromEntries(st.params.map((v, i) => [`p${i + 1}`, v]))) as {
            detail: string;
          }[]
        )
          .map((r) => r.detail)
          .join('; ');
        expect(plan, JSON.stringify(filter)).toContain(index);
      }
      // Where each call was made: the deployment's requests, and those with a charged call
      // (rare) from the index alone, never the period's requests.
      const st = spendStatement(
        { ...SQLITE_SUMMARY, table: 'requests' },
        { since: SINCE, until: UNTIL, spentAt: 'big' },
      );
      const steps = (
        db
          .prepare(`EXPLAIN QUERY PLAN ${st.sql}`)
          .all(Object.fromEntries(st.params.map((v, i) => [`p${i + 1}`, v]))) as {
          detail: string;
        }[]
      ).map((r) => r.detail);
      expect(steps.filter((d) => /^(SEARCH|SCAN) r\b/.test(d))).toEqual([
        'SEARCH r USING INDEX requests_deployment_time (deployment=? AND time>? AND time<?)',
        'SEARCH r USING COVERING INDEX requests_charged_time (time>? AND time<?)',
      ]);
    } finally {
      db.close();
    }
  });

  it('cuts through tied groups in code point order', () => compareTiedCut(store));

  it('leaves requests refused as invalid out of the latency', () => compareInvalidLatency(store));

  it('for groups without any TTFT, and for an empty window', async () => {
    const q = { since: T0 + 500_000, until: T0 + 501_000, by: 'model' as const };
    await store.insert([
      { ...RECORDS[0]!, time: T0 + 500_000, stream: false, ttftMs: undefined, requestId: 'x' },
    ]);
    const sql = await store.summarize!(q);
    expect(sql.groups).toHaveLength(1);
    expect(sql.groups[0]).toMatchObject({ ttftP50Ms: null, ttftP95Ms: null });
    expectSameSummary(
      sql,
      summarizeRecords([{ ...RECORDS[0]!, ttftMs: undefined }], 'model', q.since, q.until),
    );
    const empty = await store.summarize!({ since: T0 - 10_000, until: T0, by: 'tag' });
    expect(empty).toEqual(summarizeRecords([], 'tag', T0 - 10_000, T0));
  });
});

const havePg = await pgAvailable('the PostgreSQL summary tests');

describe.skipIf(!havePg)('PostgreSQL: the summary in SQL equals the summary in memory', () => {
  const schema = `mr_summary_test_${process.pid}_${Date.now()}`;
  let store: RequestLogStore;
  beforeAll(async () => {
    store = createPostgresRequestStore(PG_URL, { schema });
    await store.migrate();
    await store.insert(RECORDS);
  });
  afterAll(async () => {
    await store.close();
    await dropSchema(schema);
  });

  it('for every grouping and filter', () => compareAll(store));

  it('cut to the busiest groups in SQL, with how many there are', () => compareLimited(store));

  it("sums a budget's spend as the summary counts it", () => compareSpend(store));

  it("sums a deployment's spend where each call was made", () => compareSpentAt(store));

  it('cuts through tied groups in code point order, whatever the column collates by', async () => {
    // This database may collate by C already: the column gets a linguistic collation (ICU's
    // English, where the server has ICU), as many production databases' default is.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const icu = await c.query(`SELECT 1 FROM pg_collation WHERE collname = 'en-x-icu'`);
      if (icu.rowCount)
        await c.query(
          `ALTER TABLE "${schema}".requests ALTER COLUMN end_user TYPE TEXT COLLATE "en-x-icu"`,
        );
    } finally {
      await c.end();
    }
    await compareTiedCut(store);
  });

  it('leaves requests refused as invalid out of the latency', () => compareInvalidLatency(store));

  it('for groups without any TTFT, and for an empty window', async () => {
    const q = { since: T0 + 500_000, until: T0 + 501_000, by: 'model' as const };
    await store.insert([
      { ...RECORDS[0]!, time: T0 + 500_000, stream: false, ttftMs: undefined, requestId: 'x' },
    ]);
    const sql = await store.summarize!(q);
    expect(sql.groups[0]).toMatchObject({ ttftP50Ms: null, ttftP95Ms: null });
    expectSameSummary(
      sql,
      summarizeRecords([{ ...RECORDS[0]!, ttftMs: undefined }], 'model', q.since, q.until),
    );
    const empty = await store.summarize!({ since: T0 - 10_000, until: T0, by: 'tag' });
    expect(empty).toEqual(summarizeRecords([], 'tag', T0 - 10_000, T0));
  });
});
