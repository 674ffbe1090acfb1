// Requests the router refuses as invalid before the gateway opens a record (bad JSON, a missing
// field, a body too large), through the whole router with a real SQLite request log: a keyed
// caller's are logged with their endpoint, tenant, key and code, and the usage summary and the
// dashboard count them as invalid requests, apart from the error rate; a refusal of no known
// caller (no key, a wrong one) or to no API (an unknown path) is only counted in the metrics.
// Each refusal is counted once in model_router_requests_total either way; the operator routes'
// (admin API, dashboard) are not the model API and are not counted.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { RequestRecord } from '../store/request-record.js';
import { createSqliteRequestStore } from '../store/sql/sqlite-request-store.js';
import { registry } from '../telemetry/metrics.js';
import { simEmbeddingDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { endpointOfRoute } from './record-refusals.js';

const KEY = 'mr-refusals-key-0123456789';
const ADMIN = 'mr-refusals-admin-0123456789';

describe('requests refused as invalid before they had a record', () => {
  let runtime: Runtime;
  let logPath: string;
  let records: RequestRecord[] = [];
  let summary: Record<string, unknown>;
  let overview: Record<string, unknown>;
  let metrics = '';
  let statuses: number[] = [];
  let operatorStatuses: number[] = [];

  beforeAll(async () => {
    logPath = join(mkdtempSync(join(tmpdir(), 'mr-refusals-')), 'requests.db');
    const input = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimitBytes: 2048 },
      requestLog: { kind: 'sqlite', sqlitePath: logPath },
      auth: {
        mode: 'keys',
        keys: [
          { id: 'team-key', hash: hashApiKey(KEY), tenant: 'team-a', scopes: ['*'] },
          { id: 'admin', hash: hashApiKey(ADMIN), tenant: 'ops', scopes: ['*'], admin: true },
        ],
      },
    });
    input.deployments.push(simEmbeddingDeployment('embed'));
    runtime = await createRuntime(parseConfig(input, {}).config);
    registry.resetMetrics();
    const keyed = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const post = (url: string, payload: string, headers: Record<string, string> = keyed) =>
      runtime.app.inject({ method: 'POST', url, payload, headers });
    const hi = JSON.stringify({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
    });
    statuses = [
      // Recorded: a keyed caller's invalid requests to an API.
      (await post('/v1/chat/completions', '{"model": "model-router", "messages": [')).statusCode,
      (await post('/v1/embeddings', '{"model": "embed"}')).statusCode,
      (await post('/v1/chat/completions', JSON.stringify({ stream: true, pad: 'x'.repeat(4096) })))
        .statusCode,
      // Counted only: no key, a wrong key, an unknown path.
      (await post('/v1/chat/completions', '{', { 'content-type': 'application/json' })).statusCode,
      (await post('/v1/chat/completions', '{', { ...keyed, authorization: 'Bearer nope' }))
        .statusCode,
      (await post('/v1/nowhere', '{}')).statusCode,
      // Paths that only look like operator routes are the model API's 404s.
      (await post('/dashboardx', '{}')).statusCode,
      (await runtime.app.inject({ method: 'GET', url: '/metricsfoo?x=1', headers: keyed }))
        .statusCode,
      // Served, for the rates.
      (await post('/v1/chat/completions', hi)).statusCode,
    ];
    const admin = { authorization: `Bearer ${ADMIN}` };
    // Operator routes' refusals: not the model API, never in model_router_requests_total.
    operatorStatuses = [
      (
        await runtime.app.inject({
          method: 'PATCH',
          url: '/admin/v1/deployments/nope',
          headers: { ...admin, 'content-type': 'application/json' },
          payload: '{"contextWindow": 1}',
        })
      ).statusCode,
      (
        await runtime.app.inject({
          method: 'PATCH',
          url: '/admin/v1/deployments/embed',
          headers: { ...admin, 'content-type': 'application/json' },
          payload: '{"contextWindow": "big"}',
        })
      ).statusCode,
      (await runtime.app.inject({ method: 'GET', url: '/admin/v1/usage' })).statusCode,
      (await runtime.app.inject({ method: 'GET', url: '/dashboard/api/overview' })).statusCode,
      // A conflict: model-router still names the deployment.
      (
        await runtime.app.inject({
          method: 'DELETE',
          url: '/admin/v1/deployments/big',
          headers: admin,
        })
      ).statusCode,
    ];
    summary = (
      await runtime.app.inject({
        method: 'GET',
        url: '/admin/v1/usage?since=1h&by=endpoint',
        headers: admin,
      })
    ).json();
    overview = (
      await runtime.app.inject({ method: 'GET', url: '/dashboard/api/overview', headers: admin })
    ).json().overview as Record<string, unknown>;
    metrics = (await runtime.app.inject({ method: 'GET', url: '/metrics' })).payload;
    await runtime.close();
    const store = createSqliteRequestStore(logPath);
    records = await store.query(0);
    await store.close();
  });
  afterAll(() => runtime.close());

  it('answers each as before', () => {
    expect(statuses).toEqual([400, 400, 413, 401, 401, 404, 404, 404, 200]);
    expect(operatorStatuses).toEqual([404, 400, 401, 401, 409]);
  });

  it("logs a keyed caller's invalid requests with endpoint, key, tenant and code; no others", () => {
    const refused = records.filter((r) => r.status !== 200);
    expect(
      refused.map((r) => [r.endpoint, r.tenant, r.keyId, r.status, r.errorCode, r.attempts]),
    ).toEqual([
      ['chat', 'team-a', 'team-key', 400, 'invalid_json', []],
      ['embeddings', 'team-a', 'team-key', 400, expect.any(String), []],
      ['chat', 'team-a', 'team-key', 413, 'request_too_large', []],
    ]);
    expect(refused.every((r) => r.deployment === undefined && r.costUsd === 0)).toBe(true);
    expect(records).toHaveLength(4);
  });

  it('the usage summary counts them as invalid requests, not in the error rate', () => {
    expect(summary).toMatchObject({
      requests: 4,
      invalidRequests: 3,
      invalidRequestRate: 0.75,
      errorRate: 0,
    });
    const groups = summary.groups as { key: string; invalidRequests: number; errors: number }[];
    expect(groups.map((g) => [g.key, g.invalidRequests, g.errors])).toEqual([
      ['chat', 2, 0],
      ['embeddings', 1, 0],
    ]);
  });

  it("the dashboard's overview counts them apart from the error rate", () => {
    expect(overview).toMatchObject({ invalidRequests: 3, invalidRequestRate: 0.75, errorRate: 0 });
  });

  it("counts every refusal of the model API once in model_router_requests_total, the operator routes' none", () => {
    const count = (status: number) =>
      Number(
        new RegExp(
          `^model_router_requests_total\\{router="",model="",deployment="",status="${status}"\\} (\\d+)$`,
          'm',
        ).exec(metrics)?.[1] ?? 0,
      );
    expect([count(400), count(413), count(401), count(404), count(409)]).toEqual([2, 1, 2, 3, 0]);
  });

  it('names the endpoint of every API path, Azure and unversioned ones too, and no other', () => {
    expect(endpointOfRoute('POST', '/v1/chat/completions')).toBe('chat');
    expect(endpointOfRoute('POST', '/openai/deployments/:deployment/chat/completions')).toBe(
      'chat',
    );
    expect(endpointOfRoute('POST', '/v1/completions')).toBe('completions');
    expect(endpointOfRoute('POST', '/v1/responses/compact')).toBe('responses.compact');
    expect(endpointOfRoute('POST', '/openai/v1/responses')).toBe('responses');
    expect(endpointOfRoute('POST', '/v1/images/edits')).toBe('images.edits');
    expect(endpointOfRoute('POST', '/v1/audio/transcriptions')).toBe('audio.transcriptions');
    expect(endpointOfRoute('POST', '/v1/messages/count_tokens')).toBeUndefined();
    expect(endpointOfRoute('POST', '/v1/messages/batches')).toBeUndefined();
    expect(endpointOfRoute('GET', '/v1/chat/completions')).toBeUndefined();
    expect(endpointOfRoute('POST', undefined)).toBeUndefined();
  });
});
