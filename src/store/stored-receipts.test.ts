// Routing receipts kept in the request log (`requestLog.storeReceipts`): found by decision id or
// by a tenant's request id after the replica that made them forgot them, on SQLite and on a real
// PostgreSQL (skipped, loudly, without one).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { buildReceipt, withSummary } from '../routing/receipt.js';
import { createRuntime } from '../runtime.js';
import { dropSchema, PG_URL, pgAvailable } from '../../test/helpers/postgres.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import type { RequestLogStore } from './request-log.js';
import type { RequestRecord } from './request-record.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL stored-receipt tests');
const schemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

function receipt(id: string, requestId: string, tenant: string) {
  const r = buildReceipt({
    id,
    time: 1_700_000_000_000,
    requestId,
    tenant,
    router: 'model-router',
    decision: {
      mode: 'balanced',
      version: '2026-12-03b',
      band: 0.98765,
      ordered: ['small', 'big'],
      scores: [
        {
          deployment: 'small',
          predictedQuality: 0.951,
          predictedCostUsd: 0.0012,
          expectedOutputTokens: 90,
        },
        {
          deployment: 'big',
          predictedQuality: 1,
          predictedCostUsd: 0.01,
          expectedOutputTokens: 120,
        },
      ],
      reason: 'small is within the band of big at a tenth of its cost',
      topDeployment: 'big',
    },
    checks: [
      { deployment: 'small', failed: [] },
      { deployment: 'big', failed: [] },
      { deployment: 'tiny', failed: ['context_window'] },
    ],
  });
  r.attempts = [{ deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.21 }];
  r.servedBy = 'small';
  return r;
}

function rec(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: 1_700_000_000_000 + i,
    requestId: `req_${i}`,
    endpoint: 'chat',
    tenant: 'team-a',
    router: 'model-router',
    decisionId: `dec_${i}`,
    deployment: 'small',
    servedModel: 'small-sim',
    attempts: [{ deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.21 }],
    stream: false,
    promptTokens: 10,
    cachedTokens: 0,
    completionTokens: 5,
    reasoningTokens: 0,
    costUsd: 0.001,
    baselineCostUsd: 0.01,
    latencyMs: 20,
    status: 200,
    ...extra,
  };
}

const BACKENDS: { name: string; skip: boolean; open(): RequestLogStore }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: () => createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-rcpt-')), 'r.db')),
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open() {
      const s = `mr_rcpt_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(s);
      return createPostgresRequestStore(PG_URL, { schema: s });
    },
  },
];

describe.each(BACKENDS)('$name: receipts in the request log', (backend) => {
  it.skipIf(backend.skip)(
    'found by decision id, or by request id within its tenant only; records read back without them',
    async () => {
      const store = backend.open();
      try {
        await store.migrate();
        const kept = receipt('dec_1', 'req_1', 'team-a');
        const withReceipt = rec(1, { receipt: kept });
        await store.insert([withReceipt, rec(2)]);
        const shown = withSummary(kept);
        expect(await store.findReceipt('dec_1')).toEqual(JSON.parse(JSON.stringify(shown)));
        const found = await store.findReceipt('req_1', 'team-a');
        expect(found).toMatchObject({
          id: 'dec_1',
          pick: 'small',
          servedBy: 'small',
          band: 0.9877,
          summary: shown.summary,
        });
        expect(found?.candidates.find((c) => c.deployment === 'tiny')).toMatchObject({
          eligible: false,
          failedRules: [{ rule: 'context_window' }],
        });
        // Another tenant's request id, a request routed without a receipt, an unknown id.
        expect(await store.findReceipt('req_1', 'team-b')).toBeUndefined();
        expect(await store.findReceipt('req_1')).toBeUndefined();
        expect(await store.findReceipt('dec_2')).toBeUndefined();
        expect(await store.findReceipt('dec_nope')).toBeUndefined();
        // Summaries and `query` do not read the receipts.
        const back = await store.query(0);
        expect(back.map((r) => r.receipt)).toEqual([undefined, undefined]);
        expect(back[0]).toEqual({ ...withReceipt, receipt: undefined });
      } finally {
        await store.close();
      }
    },
  );
});

describe('SQLite: migration 22 (receipt)', () => {
  it('a log from before it gains the column, its rows kept', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mr-rcpt-mig-')), 'r.db');
    const before = createSqliteRequestStore(path);
    await before.migrate();
    await before.close();
    const db = new Database(path);
    db.exec(
      `ALTER TABLE requests DROP COLUMN receipt; DELETE FROM schema_migrations WHERE version = 22;
       INSERT INTO requests (time, request_id, endpoint, decision_id, attempts, stream, prompt_tokens,
         cached_tokens, completion_tokens, reasoning_tokens, cost_usd, baseline_cost_usd, latency_ms, status)
       VALUES (1700000000000, 'req_old', 'chat', 'dec_old', '[]', 0, 7, 0, 3, 0, 0.5, 0.5, 1, 200)`,
    );
    db.close();
    const store = createSqliteRequestStore(path);
    try {
      await store.migrate();
      await store.insert([rec(5, { receipt: receipt('dec_5', 'req_5', 'team-a') })]);
      expect((await store.query(0)).map((r) => r.requestId)).toEqual(['req_old', 'req_5']);
      expect(await store.findReceipt('dec_old')).toBeUndefined();
      expect((await store.findReceipt('dec_5'))?.pick).toBe('small');
    } finally {
      await store.close();
    }
  });
});

describe('receipts through the running router', () => {
  async function routeThenRestart(storeReceipts?: boolean) {
    const dir = mkdtempSync(join(tmpdir(), 'mr-rcpt-e2e-'));
    const config = parseConfig(
      testConfigInput({
        requestLog: {
          kind: 'sqlite',
          sqlitePath: join(dir, 'requests.db'),
          ...(storeReceipts === undefined ? {} : { storeReceipts }),
        },
      }),
      {},
    ).config;
    const first = await createRuntime(config);
    const res = await first.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(res.statusCode).toBe(200);
    const decisionId = String(res.headers['x-router-decision-id']);
    const requestId = String(res.headers['x-request-id']);
    const before = await first.app.inject({ url: `/v1/router/decisions/${decisionId}` });
    expect(before.statusCode).toBe(200);
    await first.close();
    const second = await createRuntime(config);
    try {
      const byDecision = await second.app.inject({ url: `/v1/router/decisions/${decisionId}` });
      const byRequest = await second.app.inject({ url: `/v1/router/decisions/${requestId}` });
      return { before: before.json(), byDecision, byRequest, served: res.json().model as string };
    } finally {
      await second.close();
    }
  }

  it('a receipt outlives a restart (by decision id and by request id), as it was shown before', async () => {
    const { before, byDecision, byRequest, served } = await routeThenRestart();
    expect(byDecision.statusCode).toBe(200);
    expect(byDecision.json()).toEqual(before);
    expect(byDecision.json().attempts).toHaveLength(1);
    expect(byRequest.statusCode).toBe(200);
    expect(byRequest.json().id).toBe(before.id);
    expect(served).toContain(byDecision.json().servedBy);
  });

  it('with storeReceipts off, a restart forgets it (404, as before)', async () => {
    const { byDecision, byRequest } = await routeThenRestart(false);
    expect(byDecision.statusCode).toBe(404);
    expect(byDecision.json().error.code).toBe('decision_not_found');
    expect(byRequest.statusCode).toBe(404);
  });
});
