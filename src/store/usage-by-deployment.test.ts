// Spend by deployment (and by model) puts each upstream call's cost where it was spent: a first
// try that timed out at one deployment, charged its prompt (AttemptRecord.costUsd), counts there,
// while the request, and the rest of its cost, count at the deployment that answered. The same
// numbers in memory (a log without SQL, and the dashboard's live ring), SQLite and PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveStats } from '../dashboard/live-stats.js';
import { usageCsv } from '../reporting/usage-csv.js';
import type { RequestLogStore } from './request-log.js';
import type { AttemptRecord, RequestRecord } from './request-record.js';
import type { RequestSummary, UsageQuery } from './request-summary.js';
import { usageSummary } from './usage-summary.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';
import { dropSchema, PG_URL, pgAvailable } from '../../test/helpers/postgres.js';

const T0 = 1_700_000_000_000;

const timedOut = (deployment: string, model: string, costUsd: number): AttemptRecord => ({
  deployment,
  model,
  outcome: 'error',
  httpStatus: 504,
  errorCode: 'upstream_timeout',
  latencyMs: 30_000,
  costUsd,
});
const answered = (deployment: string, model: string): AttemptRecord => ({
  deployment,
  model,
  outcome: 'ok',
  latencyMs: 800,
});

function rec(i: number, r: Partial<RequestRecord>): RequestRecord {
  return {
    time: T0 + i,
    requestId: `req_${i}`,
    endpoint: 'chat',
    attempts: [],
    stream: false,
    promptTokens: 1000,
    cachedTokens: 0,
    completionTokens: 100,
    reasoningTokens: 0,
    costUsd: 0,
    baselineCostUsd: 0.05,
    latencyMs: 1000,
    status: 200,
    ...r,
  };
}

const RECORDS: RequestRecord[] = [
  // Timed out at A ($0.002 of prompt), answered by B ($0.010): the record names B.
  rec(1, {
    deployment: 'dep-b',
    servedModel: 'model-b',
    attempts: [timedOut('dep-a', 'model-a', 0.002), answered('dep-b', 'model-b')],
    costUsd: 0.012,
    usageEstimated: true,
  }),
  // Answered by A at once.
  rec(2, {
    deployment: 'dep-a',
    servedModel: 'model-a',
    attempts: [answered('dep-a', 'model-a')],
    costUsd: 0.003,
    usageEstimated: false,
  }),
  // Timed out at A, then at B: no answer; the record names B, the last called.
  rec(3, {
    deployment: 'dep-b',
    attempts: [timedOut('dep-a', 'model-a', 0.002), timedOut('dep-b', 'model-b', 0.001)],
    costUsd: 0.003,
    baselineCostUsd: 0.003,
    status: 504,
    errorCode: 'upstream_timeout',
    usageEstimated: true,
  }),
];

const WINDOW = { since: T0, until: T0 + 1000 };

/** A group's figures the split decides, costs to 1e-12. */
function groupFigures(s: RequestSummary) {
  return s.groups.map((g) => ({
    key: g.key,
    requests: g.requests,
    attempts: g.attempts,
    costUsd: Number(g.costUsd.toFixed(12)),
    usageEstimatedCostUsd: Number(g.usageEstimatedCostUsd.toFixed(12)),
    errors: g.errors,
    failovers: g.failovers,
  }));
}

type Summarize = (q: UsageQuery) => Promise<RequestSummary>;

function expectSplit(summarize: () => Summarize): void {
  it('by deployment: each call at the deployment that made it, requests where they were served', async () => {
    const s = await summarize()({ ...WINDOW, by: 'deployment' });
    expect(groupFigures(s)).toEqual([
      {
        key: 'dep-b',
        requests: 2,
        attempts: 2,
        costUsd: 0.011,
        usageEstimatedCostUsd: 0.011,
        errors: 1,
        failovers: 2,
      },
      {
        key: 'dep-a',
        requests: 1,
        attempts: 3,
        costUsd: 0.007,
        usageEstimatedCostUsd: 0.004,
        errors: 0,
        failovers: 0,
      },
    ]);
    // Totals unchanged: each request once, and the groups add up to them.
    expect(s.requests).toBe(3);
    expect(s.attempts).toBe(5);
    expect(s.costUsd).toBeCloseTo(0.018, 12);
    expect(s.groups.reduce((n, g) => n + g.costUsd, 0)).toBeCloseTo(s.costUsd, 12);
    expect(s.usageEstimatedCostUsd).toBeCloseTo(0.015, 12);
    expect(s.groups.reduce((n, g) => n + g.usageEstimatedCostUsd, 0)).toBeCloseTo(0.015, 12);
  });

  it('by model: a call made elsewhere counts at its model, the rest at the served one', async () => {
    const s = await summarize()({ ...WINDOW, by: 'model' });
    // The failed request served no model: it counts at its deployment's name, as before.
    expect(groupFigures(s).map((g) => [g.key, g.requests, g.attempts, g.costUsd])).toEqual([
      ['dep-b', 1, 1, 0.001],
      ['model-a', 1, 3, 0.007],
      ['model-b', 1, 1, 0.01],
    ]);
  });

  it('by key and the rest: a request is in one group, with all its calls and its whole cost', async () => {
    const s = await summarize()({ ...WINDOW, by: 'tenant' });
    expect(groupFigures(s).map((g) => [g.key, g.requests, g.attempts, g.costUsd])).toEqual([
      ['default', 3, 5, 0.018],
    ]);
  });

  it('cut to the busiest deployment, then with a group that only made calls', async () => {
    const q = { ...WINDOW, by: 'deployment' as const };
    const top = await summarize()({ ...q, limit: 1 });
    expect([top.groupsTotal, groupFigures(top).map((g) => [g.key, g.costUsd])]).toEqual([
      2,
      [['dep-b', 0.011]],
    ]);
    // Only the failed-over request: A has its timed-out call and no request, last.
    const one = await summarize()({ ...q, until: T0 + 2, limit: 5 });
    expect(groupFigures(one).map((g) => [g.key, g.requests, g.attempts, g.costUsd])).toEqual([
      ['dep-b', 1, 1, 0.01],
      ['dep-a', 0, 1, 0.002],
    ]);
    expect(one.groups[1]).toMatchObject({ share: 0, latencyP50Ms: 0, ttftP50Ms: null });
  });
}

describe('in memory (a log the summary reads)', () => {
  const summarize: Summarize = (q) =>
    usageSummary({ query: async (since, until) => inWindow(since, until) }, q);
  expectSplit(() => summarize);

  it("the CSV's attempts column: the calls made at each deployment, and all of them", async () => {
    const rows = usageCsv(await summarize({ ...WINDOW, by: 'deployment' }))
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const col = rows[0]!.indexOf('attempts');
    const cost = rows[0]!.indexOf('cost_usd');
    expect(rows.map((r) => [r[0], r[col], Number(Number(r[cost]).toFixed(12))])).toEqual([
      ['deployment', 'attempts', NaN],
      ['dep-b', '2', 0.011],
      ['dep-a', '3', 0.007],
      ['(total)', '5', 0.018],
    ]);
  });
});

function inWindow(since: number, until = Infinity): RequestRecord[] {
  return RECORDS.filter((r) => r.time >= since && r.time < until);
}

describe("the dashboard's live ring", () => {
  it('splits spend by model as the report does', () => {
    const live = new LiveStats(10, T0);
    for (const r of RECORDS) live.record(r);
    const o = live.overview(T0, 60_000);
    expect(
      o.models.map((g) => [g.key, g.requests, g.attempts, Number(g.costUsd.toFixed(12))]),
    ).toEqual([
      ['dep-b', 1, 1, 0.001],
      ['model-a', 1, 3, 0.007],
      ['model-b', 1, 1, 0.01],
    ]);
    expect(o.costUsd).toBeCloseTo(0.018, 12);
  });
});

describe('SQLite', () => {
  let store: RequestLogStore | undefined;
  const open = async () => {
    if (store) return store;
    store = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-usagedep-')), 'r.db'));
    await store.migrate();
    await store.insert(RECORDS);
    return store;
  };
  afterAll(() => store?.close());
  expectSplit(() => async (q) => usageSummary(await sqlOnly(open), q));
});

const havePg = await pgAvailable('the PostgreSQL spend-by-deployment tests');

describe.skipIf(!havePg)('PostgreSQL', () => {
  const schema = `mr_usagedep_${process.pid}_${Date.now()}`;
  let store: RequestLogStore | undefined;
  const open = async () => {
    if (store) return store;
    store = createPostgresRequestStore(PG_URL, { schema });
    await store.migrate();
    await store.insert(RECORDS);
    return store;
  };
  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  });
  expectSplit(() => async (q) => usageSummary(await sqlOnly(open), q));
});

/** The store's SQL summary, refusing to read records: the split is computed in the database. */
async function sqlOnly(open: () => Promise<RequestLogStore>) {
  const store = await open();
  return {
    summarize: store.summarize!.bind(store),
    query: () => Promise.reject(new Error('read records')),
  };
}
