// Feedback's contract on both request-log stores (SQLite, a real PostgreSQL): a request is found
// by its id or its decision id within its tenant only (the latest of a reused id); every feedback
// is kept; the usage summary gets each group's count and weighted mean score (by model, key, tag,
// narrowed by a filter); feedback is listed with its request's prompt text; it goes with its
// request at the retention.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import type { StoredFeedback } from './feedback-store.js';
import type { RequestLogStore } from './request-log.js';
import type { RequestRecord } from './request-record.js';
import { usageSummary } from './usage-summary.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL feedback store tests');
const schemas: string[] = [];
const logs: RequestLogStore[] = [];
afterAll(async () => {
  for (const log of logs) await log.close();
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const T0 = 1_700_000_000_000;

function rec(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: T0 + i * 1000,
    requestId: `req_${i}`,
    endpoint: 'chat',
    tenant: 'team-a',
    keyId: 'k1',
    router: 'model-router',
    decisionId: `dec_${i}`,
    deployment: i % 2 ? 'small' : 'big',
    servedModel: i % 2 ? 'small-sim' : 'big-sim',
    attempts: [],
    stream: false,
    promptTokens: 1,
    cachedTokens: 0,
    completionTokens: 1,
    reasoningTokens: 0,
    costUsd: 0,
    baselineCostUsd: 0,
    latencyMs: 1,
    status: 200,
    promptText: `prompt ${i}`,
    ...extra,
  };
}

let n = 0;
function feedback(r: RequestRecord, score: number, weight = 1): StoredFeedback {
  return {
    id: `fb_${++n}`,
    createdAt: r.time + 500,
    keyId: 'rater',
    score,
    weight,
    comment: 'ok',
    metadata: { source: 'thumbs' },
    request: {
      time: r.time,
      requestId: r.requestId,
      decisionId: r.decisionId,
      endpoint: r.endpoint,
      tenant: r.tenant!,
      keyId: r.keyId,
      router: r.router,
      deployment: r.deployment,
      servedModel: r.servedModel,
      endUser: r.endUser,
      tags: r.tags,
    },
  };
}

/**
 * A store, SQL run on its database directly (to leave it as an older build did), and the same
 * database opened again (a restart).
 */
interface Opened {
  log: RequestLogStore;
  exec(sql: string): Promise<void>;
  reopen(): RequestLogStore;
}

const backends = [
  {
    name: 'SQLite',
    skip: false,
    openWithSql(): Opened {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-fb-')), 'r.db');
      const open = () => {
        const log = createSqliteRequestStore(path);
        logs.push(log);
        return log;
      };
      return {
        log: open(),
        reopen: open,
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
    openWithSql(): Opened {
      const schema = `mr_feedback_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(schema);
      const open = () => {
        const log = createPostgresRequestStore(PG_URL, { schema });
        logs.push(log);
        return log;
      };
      return {
        log: open(),
        reopen: open,
        async exec(sql) {
          const c = new pg.Client({ connectionString: PG_URL });
          await c.connect();
          try {
            await c.query(`SET search_path TO "${schema}"`);
            await c.query(sql);
          } finally {
            await c.end();
          }
        },
      };
    },
  },
].map((b) => ({ ...b, open: () => b.openWithSql().log }));

describe.each(backends)('feedback store ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'finds a request by id or decision id in its tenant only, the latest of a reused id',
    async () => {
      const store = backend.open();
      await store.migrate();
      await store.insert([
        rec(1),
        rec(2, { tenant: 'team-b' }),
        // A client that sent the same x-request-id twice: the later one is rated.
        rec(3, { requestId: 'req_1', servedModel: 'later-sim' }),
      ]);
      expect((await store.findRequest('team-a', { requestId: 'req_1' }))?.servedModel).toBe(
        'later-sim',
      );
      expect((await store.findRequest('team-a', { decisionId: 'dec_1' }))?.time).toBe(T0 + 1000);
      // Another tenant's request does not exist for this one.
      expect(await store.findRequest('team-a', { requestId: 'req_2' })).toBeUndefined();
      expect(await store.findRequest('team-a', { decisionId: 'dec_2' })).toBeUndefined();
      expect((await store.findRequest('team-b', { requestId: 'req_2' }))?.tenant).toBe('team-b');
      expect(await store.findRequest('team-a', { requestId: 'nope' })).toBeUndefined();
      // Found without its texts.
      expect((await store.findRequest('team-a', { requestId: 'req_1' }))?.promptText).toBe(
        undefined,
      );
    },
  );

  it.skipIf(backend.skip)(
    'summarizes every feedback per group, weighted, narrowed like the requests',
    async () => {
      const store = backend.open();
      await store.migrate();
      const rs = [
        rec(1, { tags: ['team=x', 'nightly'] }),
        rec(2, { tags: ['team=x'] }),
        rec(3, { keyId: 'k2' }),
        rec(4),
        rec(50), // outside the window
      ];
      await store.insert(rs);
      // Two feedbacks on req_1 (both count), one on each of req_2 and req_3, none on req_4.
      for (const f of [
        feedback(rs[0]!, 1),
        feedback(rs[0]!, 0.5, 0.5),
        feedback(rs[1]!, 0.2),
        feedback(rs[2]!, 0.9),
        feedback(rs[4]!, 0),
      ])
        await store.saveFeedback(f);
      const q = { since: T0, until: T0 + 10_000 };
      const byModel = await usageSummary(store, { ...q, by: 'model' });
      expect(byModel.requests).toBe(4);
      expect(byModel.feedback).toBe(4);
      // (1 + 0.25 + 0.2 + 0.9) / (1 + 0.5 + 1 + 1)
      expect(byModel.meanScore).toBeCloseTo(2.35 / 3.5, 12);
      const small = byModel.groups.find((g) => g.key === 'small-sim')!;
      const big = byModel.groups.find((g) => g.key === 'big-sim')!;
      // req_1 and req_3 are small-sim; req_2 and req_4 big-sim.
      expect(small.feedback).toBe(3);
      expect(small.meanScore).toBeCloseTo(2.15 / 2.5, 12);
      expect(big.feedback).toBe(1);
      expect(big.meanScore).toBeCloseTo(0.2, 12);
      // By the request's key, and by tag (a feedback in each of its request's tags).
      const byKey = await usageSummary(store, { ...q, by: 'key' });
      expect(byKey.groups.find((g) => g.key === 'k2')).toMatchObject({
        requests: 1,
        feedback: 1,
        meanScore: 0.9,
      });
      const byTag = await usageSummary(store, { ...q, by: 'tag' });
      expect(byTag.groups.find((g) => g.key === 'team=x')?.feedback).toBe(3);
      expect(byTag.groups.find((g) => g.key === 'nightly')?.feedback).toBe(2);
      expect(byTag.groups.find((g) => g.key === '(untagged)')).toMatchObject({
        requests: 2,
        feedback: 1,
      });
      expect(byTag.feedback).toBe(4);
      // Narrowed to a key: only the feedback on its requests.
      const k2 = await usageSummary(store, { ...q, by: 'model', filter: { keyId: 'k2' } });
      expect(k2).toMatchObject({ requests: 1, feedback: 1, meanScore: 0.9 });
      // A group with no feedback: 0 and null; all weight 0: null too.
      const none = await usageSummary(store, { since: T0 + 4000, until: T0 + 5000, by: 'model' });
      expect(none).toMatchObject({ requests: 1, feedback: 0, meanScore: null });
      expect(none.groups[0]).toMatchObject({ key: 'big-sim', feedback: 0, meanScore: null });
    },
  );

  it.skipIf(backend.skip)(
    "lists feedback with its request's prompt text; the retention takes it with its request",
    async () => {
      const store = backend.open();
      await store.migrate();
      const rs = [rec(1), rec(2, { promptText: undefined }), rec(3, { tenant: 'team-b' })];
      await store.insert(rs);
      const f1 = feedback(rs[0]!, 0.75);
      await store.saveFeedback(f1);
      await store.saveFeedback(feedback(rs[1]!, 0.25));
      // team-b's feedback names req_3 of team-b; team-a has no req_3 whose text it could take.
      await store.saveFeedback(feedback(rs[2]!, 1));
      const listed = await store.listFeedback(T0, T0 + 10_000);
      expect(listed.map((f) => [f.request.requestId, f.score, f.promptText])).toEqual([
        ['req_1', 0.75, 'prompt 1'],
        ['req_2', 0.25, undefined],
        ['req_3', 1, 'prompt 3'],
      ]);
      expect(listed[0]).toEqual({ ...f1, promptText: 'prompt 1' });
      await store.deleteOlderThan(T0 + 2500);
      expect((await store.listFeedback(T0, T0 + 10_000)).map((f) => f.request.requestId)).toEqual([
        'req_3',
      ]);
    },
  );

  it.skipIf(backend.skip)(
    'lists whether each rated request was multi-turn; a log from before migration 18 gains the column and its rows say nothing',
    async () => {
      const { log: before, exec, reopen } = backend.openWithSql();
      await before.migrate();
      // The log as a build before migration 18 left it, with a rated request of then.
      await exec(
        `ALTER TABLE requests DROP COLUMN multi_turn; DELETE FROM schema_migrations WHERE version = 18;
         INSERT INTO requests (time, request_id, endpoint, tenant, attempts, stream, prompt_tokens,
           cached_tokens, completion_tokens, reasoning_tokens, cost_usd, baseline_cost_usd, latency_ms,
           status, prompt_text)
         VALUES (${T0}, 'req_old', 'chat', 'team-a', '[]', 0, 1, 0, 1, 0, 0, 0, 1, 200, 'old prompt')`,
      );
      const old = { ...rec(0), requestId: 'req_old', multiTurn: undefined };
      await before.saveFeedback(feedback(old, 1));
      const store = reopen();
      await store.migrate();
      const rs = [rec(1, { multiTurn: true }), rec(2, { multiTurn: false }), rec(3)];
      await store.insert(rs);
      for (const r of rs) await store.saveFeedback(feedback(r, 0.5));
      const listed = await store.listFeedback(T0, T0 + 10_000);
      expect(listed.map((f) => [f.request.requestId, f.promptText, f.multiTurn])).toEqual([
        ['req_old', 'old prompt', undefined],
        ['req_1', 'prompt 1', true],
        ['req_2', 'prompt 2', false],
        ['req_3', 'prompt 3', undefined],
      ]);
      expect((await store.query(T0, T0 + 10_000)).map((r) => r.multiTurn)).toEqual([
        undefined,
        true,
        false,
        undefined,
      ]);
    },
  );
});
