// The content filter's calls to a priced moderation deployment (`lookup: 'content_filter'`
// attempts) as the SQL stores count them: the records a router wrote (an answered chat, a prompt
// the filter blocked, an embeddings request) are written to the real PostgreSQL (a schema of this
// test's own) and SQLite, and each store's usage summary by deployment, by model and in total,
// and its spend at the moderation deployment (what a restart seeds its budget from), count the
// calls there, as the summary in memory does. The records read back keep their `lookup`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, PG_URL, pgAvailable } from '../../../test/helpers/postgres.js';
import {
  filterCalls,
  pricedModerationApp,
} from '../../../test/helpers/priced-moderation-filter.js';
import { simEmbeddingDeployment } from '../../../test/helpers/test-config.js';
import type { RequestLogStore } from '../request-log.js';
import type { RequestRecord } from '../request-record.js';
import { summarizeRecords } from '../request-summary.js';
import { createPostgresRequestStore } from './postgres-request-store.js';
import { createSqliteRequestStore } from './sqlite-request-store.js';

const T0 = 1_700_000_000_000;
const SINCE = T0 - 1_000;
const UNTIL = T0 + 60_000;

/** What the router recorded for three requests whose content filter called `mod`. */
async function routerRecords(): Promise<RequestRecord[]> {
  const { t } = await pricedModerationApp({ deployments: [simEmbeddingDeployment('emb')] });
  const chat = (content: string) => ({
    method: 'POST' as const,
    url: '/v1/chat/completions',
    payload: { model: 'model-router', messages: [{ role: 'user', content }] },
  });
  expect((await t.app.inject(chat('Which planet is the largest?'))).statusCode).toBe(200);
  expect((await t.app.inject(chat('I want to kill them.'))).statusCode).toBe(400);
  const emb = await t.app.inject({
    method: 'POST',
    url: '/v1/embeddings',
    payload: { model: 'emb', input: 'A sentence to embed.' },
  });
  expect(emb.statusCode).toBe(200);
  return t.records.map((r, i) => ({ ...r, time: T0 + i * 1_000 }));
}

let records: RequestRecord[] = [];
/** What the content filter's calls cost, and how many there were. */
let filterCost = 0;
let filterCount = 0;

beforeAll(async () => {
  records = await routerRecords();
  const calls = records.flatMap(filterCalls);
  filterCount = calls.length;
  filterCost = calls.reduce((n, a) => n + (a.costUsd ?? 0), 0);
});

/** The summaries and spend of `store` against the summary in memory of the same records. */
async function expectCountedAtMod(store: RequestLogStore): Promise<void> {
  // What the cases rest on: four calls at mod (two for the chat, one each for the others).
  expect(filterCount).toBe(4);
  expect(filterCost).toBeGreaterThan(0);
  for (const by of ['deployment', 'model'] as const) {
    const sql = await store.summarize!({ since: SINCE, until: UNTIL, by });
    const memory = summarizeRecords(records, by, SINCE, UNTIL);
    const key = by === 'deployment' ? 'mod' : 'omni-moderation-latest';
    const atMod = sql.groups.find((g) => g.key === key);
    expect(atMod, by).toBeDefined();
    expect(atMod!.costUsd).toBeCloseTo(filterCost, 12);
    expect(atMod!.attempts).toBe(filterCount);
    // No request was served at mod: its calls count there, its requests where they were.
    expect(atMod!.requests).toBe(memory.groups.find((g) => g.key === key)!.requests);
    for (const g of memory.groups) {
      const got = sql.groups.find((s) => s.key === g.key);
      expect(got?.costUsd, `${by} ${g.key}`).toBeCloseTo(g.costUsd, 12);
      expect(got?.attempts, `${by} ${g.key}`).toBe(g.attempts);
    }
    expect(sql.costUsd).toBeCloseTo(memory.costUsd, 12);
    expect(sql.attempts).toBe(memory.attempts);
  }
  const spent = await store.spend!({ since: SINCE, until: UNTIL, filter: {}, spentAt: 'mod' });
  expect(spent).toBeCloseTo(filterCost, 12);
  const read = await store.query(SINCE, UNTIL, { text: false });
  expect(read.flatMap(filterCalls)).toHaveLength(filterCount);
}

describe('SQLite: the content filter calls count at the moderation deployment', () => {
  let store: RequestLogStore;
  beforeAll(async () => {
    store = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-h1-fc-')), 'r.db'));
    await store.migrate();
    await store.insert(records);
  });
  afterAll(() => store.close());

  it('in the summary by deployment and model, the total and the spend there', () =>
    expectCountedAtMod(store));
});

const havePg = await pgAvailable('the PostgreSQL content-filter summary test');

describe.skipIf(!havePg)(
  'PostgreSQL: the content filter calls count at the moderation deployment',
  () => {
    const schema = `mr_h1_filter_calls_${process.pid}_${Date.now()}`;
    let store: RequestLogStore;
    beforeAll(async () => {
      store = createPostgresRequestStore(PG_URL, { schema });
      await store.migrate();
      await store.insert(records);
    });
    afterAll(async () => {
      await store.close();
      await dropSchema(schema);
    });

    it('in the summary by deployment and model, the total and the spend there', () =>
      expectCountedAtMod(store));
  },
);
