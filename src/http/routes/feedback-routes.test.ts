// `POST /v1/feedback` through the app (`app.inject()`) over a real SQLite request log whose batched
// writer never flushes on its own here: feedback sent right after the answer finds the request
// still queued (written first, then found), or written meanwhile by another replica (found on a
// later look); the router's body and Portkey's; another tenant's or an unknown id is a 404 (the
// same answer); every bad field is a 400 naming it; without a request log, a 404 saying so. Over
// SQLite and a real PostgreSQL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';
import type { StoredFeedback } from '../../store/feedback-store.js';
import { RequestLog, type RequestLogStore } from '../../store/request-log.js';
import type { RequestRecord } from '../../store/request-record.js';
import { usageSummary } from '../../store/usage-summary.js';
import { createPostgresRequestStore } from '../../store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../../store/sql/sqlite-request-store.js';
import { metricsText, recordFeedbackMetrics } from '../../telemetry/metrics.js';

const A = as('team-a');
const B = as('team-b');
const havePg = await pgAvailable('the feedback route tests over PostgreSQL');
const logs: RequestLog[] = [];
const schemas: string[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
});
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

const BACKENDS: { name: string; skip: boolean; open(): RequestLogStore }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: () => createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-fb-')), 'r.db')),
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open() {
      const schema = `mr_fbroute_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(schema);
      return createPostgresRequestStore(PG_URL, { schema });
    },
  },
];
let backend = BACKENDS[0]!;

/** `model_router_feedback_score`'s count and sum for model-router and `model`, as scraped. */
async function feedbackSeries(model: string): Promise<{ count: number; sum: number }> {
  const text = await metricsText();
  const read = (name: string) => {
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}{router="model-router",model="${model}"} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return {
    count: read('model_router_feedback_score_count'),
    sum: read('model_router_feedback_score_sum'),
  };
}

async function setup(opts: { log?: boolean } = {}) {
  const log =
    opts.log === false
      ? undefined
      : new RequestLog(backend.open(), {
          maxBuffer: 100,
          storeText: true,
          // The test clock is in 2023: a month's retention would sweep its records at once.
          retentionDays: 36_500,
          // Never on its own during a test: a record stays queued until something flushes.
          flushIntervalMs: 3_600_000,
        });
  if (log) logs.push(log);
  const sleeps: number[] = [];
  const stored: StoredFeedback[] = [];
  let duringSleep: ((n: number) => Promise<void>) | undefined;
  const t = await buildTestApp(
    // The gateway keeps a request's text for the log when the config says so.
    testConfig({ requestLog: { kind: 'none', storeText: true } }),
    {
      big: fakeAdapter('big', [{ reply: 'four' }]),
      mid: fakeAdapter('mid', [{ reply: 'four' }]),
      small: fakeAdapter('small', [{ reply: 'four' }]),
    },
    {
      authenticator: tenants,
      ...(log ? { requestLog: log } : {}),
      feedback: {
        sleep: async (ms) => {
          sleeps.push(ms);
          await duringSleep?.(sleeps.length);
        },
        onFeedback: (f) => {
          stored.push(f);
          recordFeedbackMetrics(f);
        },
      },
    },
  );
  const ask = async (headers = A) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers,
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'What is 2+2?' }] },
    });
    expect(res.statusCode).toBe(200);
    return {
      requestId: String(res.headers['x-request-id']),
      decisionId: String(res.headers['x-router-decision-id']),
      model: (res.json() as { model: string }).model,
    };
  };
  const rate = (payload: unknown, headers = A, url = '/v1/feedback') =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
  return {
    ...t,
    log,
    sleeps,
    stored,
    ask,
    rate,
    onSleep: (f: (n: number) => Promise<void>) => (duringSleep = f),
  };
}

describe.each(BACKENDS)('POST /v1/feedback ($name)', (b) => {
  beforeEach(({ skip }) => {
    if (b.skip) skip();
    backend = b;
  });

  it('rates an answer sent a moment ago, still queued in the batched log writer', async () => {
    const t = await setup();
    const answer = await t.ask();
    const before = await feedbackSeries(answer.model);
    expect(t.log!.status()).toMatchObject({ buffered: 1, written: 0 });
    const res = await t.rate({
      request_id: answer.requestId,
      score: 0.8,
      comment: 'right, and short',
      metadata: { screen: 'chat' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    expect(body).toEqual({
      object: 'feedback',
      id: expect.stringMatching(/^fb_/),
      request_id: answer.requestId,
      decision_id: answer.decisionId,
      model: answer.model,
      router: 'model-router',
      score: 0.8,
      weight: 1,
      comment: 'right, and short',
      metadata: { screen: 'chat' },
      created_at: Math.floor(t.clock.now() / 1000),
    });
    // Found at once after the log wrote its queue: no wait.
    expect(t.sleeps).toEqual([]);
    expect(t.log!.status()).toMatchObject({ buffered: 0, written: 1 });
    // Every feedback is kept, by decision id too, on the Azure-style path as well.
    t.clock.advance(1000);
    const again = await t.rate(
      { decision_id: answer.decisionId, score: 0.4 },
      A,
      '/openai/v1/feedback',
    );
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ request_id: answer.requestId, score: 0.4 });
    const rows = await t.log!.store.listFeedback(0, Number.MAX_SAFE_INTEGER);
    expect(rows.map((f) => [f.request.requestId, f.score, f.keyId, f.request.tenant])).toEqual([
      [answer.requestId, 0.8, 'k-team-a', 'team-a'],
      [answer.requestId, 0.4, 'k-team-a', 'team-a'],
    ]);
    expect(rows[0]!.promptText).toContain('What is 2+2?');
    const summary = await usageSummary(t.log!.store, {
      since: 0,
      until: Number.MAX_SAFE_INTEGER,
      by: 'model',
    });
    expect(summary.groups.find((g) => g.key === answer.model)).toMatchObject({
      requests: 1,
      feedback: 2,
      meanScore: expect.closeTo(0.6, 12),
    });
    // The Prometheus histogram: count and sum by router and served model (the registry is the
    // process's: this test's two on top of what the other backend's run counted).
    const after = await feedbackSeries(answer.model);
    expect(after.count - before.count).toBe(2);
    expect(after.sum - before.sum).toBeCloseTo(1.2, 12);
  });

  it("takes Portkey's body: trace_id, an integer value in [-10, 10], weight and metadata", async () => {
    const t = await setup();
    const answer = await t.ask();
    const res = await t.rate({
      trace_id: answer.requestId,
      value: 5,
      weight: 0.5,
      metadata: { _user: 'fef653' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      object: 'feedback',
      request_id: answer.requestId,
      score: 0.75,
      weight: 0.5,
      metadata: { _user: 'fef653' },
      status: 'success',
      feedback_ids: [(res.json() as { id: string }).id],
    });
    const down = await t.rate({ trace_id: answer.requestId, value: -10 });
    expect(down.json()).toMatchObject({ score: 0, weight: 1 });
  });

  it('waits for a request another replica has not written yet, then rates it', async () => {
    const t = await setup();
    const answer = await t.ask();
    // As if another replica had served it: not in this replica's queue, written on its next batch.
    const served = t.records.at(-1)!;
    await t.log!.flush();
    const other = { ...served, requestId: 'req_other_replica', decisionId: undefined };
    t.onSleep(async (n) => {
      if (n === 2) await t.log!.store.insert([other]);
    });
    const res = await t.rate({ request_id: 'req_other_replica', score: 1 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ request_id: 'req_other_replica', model: answer.model });
    expect(t.sleeps).toEqual([250, 250]);
  });

  it("answers 404 for another tenant's request as for an unknown one, after the wait", async () => {
    const t = await setup();
    const answer = await t.ask(A);
    const theirs = await t.rate({ request_id: answer.requestId, score: 1 }, B);
    expect(theirs.statusCode).toBe(404);
    const err = (theirs.json() as { error: Record<string, unknown> }).error;
    expect(err).toMatchObject({
      code: 'not_found',
      param: 'request_id',
      type: 'invalid_request_error',
    });
    expect(String(err.message)).toMatch(/not one of your tenant's/);
    // Waited up to 2 s (8 looks 250 ms apart) before saying so.
    expect(t.sleeps).toEqual(Array(8).fill(250));
    const unknown = await t.rate({ decision_id: 'dec_nope', score: 1 }, B);
    expect(unknown.statusCode).toBe(404);
    expect((unknown.json() as { error: { param: string } }).error.param).toBe('decision_id');
    expect(await t.log!.store.listFeedback(0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(t.stored).toEqual([]);
  });

  it('refuses a request that no model answered', async () => {
    const t = await setup();
    await t.log!.store.migrate();
    await t.log!.store.insert([
      {
        ...({} as RequestRecord),
        time: 1,
        requestId: 'req_failed',
        endpoint: 'chat',
        tenant: 'team-a',
        attempts: [],
        stream: false,
        promptTokens: 0,
        cachedTokens: 0,
        completionTokens: 0,
        reasoningTokens: 0,
        costUsd: 0,
        baselineCostUsd: 0,
        latencyMs: 1,
        status: 503,
      },
    ]);
    const res = await t.rate({ request_id: 'req_failed', score: 0 });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { param: 'request_id', message: expect.stringMatching(/no answer to rate/) },
    });
  });

  it.each([
    [{ score: 1 }, 'request_id', 'missing_required_parameter'],
    [{ request_id: 'r', decision_id: 'd', score: 1 }, 'decision_id', 'invalid_value'],
    [{ request_id: 'r', trace_id: 't', value: 1 }, 'trace_id', 'invalid_value'],
    [{ request_id: 42, score: 1 }, 'request_id', 'invalid_type'],
    [{ request_id: '', score: 1 }, 'request_id', 'invalid_value'],
    [{ request_id: 'x'.repeat(257), score: 1 }, 'request_id', 'invalid_value'],
    [{ request_id: 'r' }, 'score', 'missing_required_parameter'],
    [{ request_id: 'r', score: 1.5 }, 'score', 'invalid_value'],
    [{ request_id: 'r', score: -0.1 }, 'score', 'invalid_value'],
    [{ request_id: 'r', score: '0.5' }, 'score', 'invalid_type'],
    [{ request_id: 'r', score: 1, value: 3 }, 'value', 'invalid_value'],
    [{ trace_id: 't', value: 11 }, 'value', 'invalid_value'],
    [{ trace_id: 't', value: 2.5 }, 'value', 'invalid_value'],
    [{ trace_id: 't', value: 'up' }, 'value', 'invalid_type'],
    [{ request_id: 'r', score: 1, weight: 2 }, 'weight', 'invalid_value'],
    [{ request_id: 'r', score: 1, weight: 'heavy' }, 'weight', 'invalid_type'],
    [{ request_id: 'r', score: 1, comment: 7 }, 'comment', 'invalid_type'],
    [{ request_id: 'r', score: 1, comment: 'x'.repeat(4001) }, 'comment', 'invalid_value'],
    [{ request_id: 'r', score: 1, metadata: 'x' }, 'metadata', 'invalid_type'],
    [{ request_id: 'r', score: 1, metadata: { n: 1 } }, 'metadata.n', 'invalid_type'],
    [
      { request_id: 'r', score: 1, metadata: { ['k'.repeat(65)]: 'v' } },
      'metadata',
      'invalid_value',
    ],
    [
      {
        request_id: 'r',
        score: 1,
        metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
      },
      'metadata',
      'invalid_value',
    ],
  ])('400 for %j naming %s', async (payload, param, code) => {
    const t = await setup();
    const res = await t.rate(payload);
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: Record<string, unknown> }).error).toMatchObject({
      type: 'invalid_request_error',
      param,
      code,
    });
    expect(t.sleeps).toEqual([]);
  });

  it('a body that is not an object is a 400; a missing key a 401', async () => {
    const t = await setup();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/feedback',
      headers: { ...A, 'content-type': 'application/json' },
      payload: '[1]',
    });
    expect(res.statusCode).toBe(400);
    expect((await t.rate({ request_id: 'r', score: 1 }, {} as typeof A)).statusCode).toBe(401);
  });

  it('without a request log: a 404 that says feedback needs one', async () => {
    const t = await setup({ log: false });
    const answer = await t.ask();
    const res = await t.rate({ request_id: answer.requestId, score: 1 });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: { code: 'request_log_off', message: expect.stringMatching(/requestLog\.kind/) },
    });
  });
});
