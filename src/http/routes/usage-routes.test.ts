// Attribution end to end in process: the end user and tags of chat, Responses, Messages and
// embeddings requests reach the request log (SQLite), and GET /admin/v1/usage groups and narrows
// by them; bad tags get a 400 in each API's own error shape, and are logged as invalid requests. A key reads its own usage and what
// is left of its budgets without an admin key.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { parseConfig } from '../../config/load-config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { simEmbeddingDeployment, testConfigInput } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

// Unset, so each runtime makes a one-off admin key.
const ADMIN_ENV = 'MR_USAGE_TEST_ADMIN_KEY_UNSET';
let runtime: Runtime;
let admin: Record<string, string>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-usage-'));
  const input = testConfigInput({
    requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
    auth: { mode: 'none', adminKeyEnv: ADMIN_ENV },
  });
  input.deployments.push(simEmbeddingDeployment('embed-sim'));
  runtime = await createRuntime(parseConfig(input, {}).config);
  admin = { authorization: `Bearer ${runtime.ephemeralAdminKey}` };
});
afterAll(async () => {
  await runtime.close();
});

type Summary = {
  requests: number;
  errorRate: number;
  invalidRequests: number;
  groups: { key: string; invalidRequests: number }[];
};

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  runtime.app.inject({ method: 'POST', url, payload: payload as object, headers });
const usage = (query: string, headers = admin) =>
  runtime.app.inject({ method: 'GET', url: `/admin/v1/usage?${query}`, headers });

describe('attribution and GET /admin/v1/usage', () => {
  it('records who and what each request was for, on every API, and reports by user and tag', async () => {
    const hi = [{ role: 'user', content: 'hi' }];
    const sent = await Promise.all([
      post(
        '/v1/chat/completions',
        { model: 'model-router', messages: hi, user: 'alice', metadata: { feature: 'search' } },
        { 'x-router-tags': 'team-a' },
      ),
      post(
        '/v1/chat/completions',
        { model: 'model-router', messages: hi, stream: true, safety_identifier: 'bob' },
        { 'x-router-tags': 'team-a,batch' },
      ),
      post('/v1/responses', { model: 'model-router', input: 'hi', user: 'alice' }),
      post(
        '/v1/messages',
        { model: 'model-router', max_tokens: 50, messages: hi, metadata: { user_id: 'carol' } },
        { 'anthropic-version': '2023-06-01', 'x-router-tags': 'cli' },
      ),
      post(
        '/v1/embeddings',
        { model: 'embed-sim', input: 'hello', user: 'alice' },
        { 'x-router-tags': 'team-a' },
      ),
      post('/v1/chat/completions', { model: 'model-router', messages: hi }),
    ]);
    for (const r of sent) expect(r.statusCode, r.body).toBe(200);

    const byUser = await usage('since=1h&by=user');
    expect(byUser.statusCode).toBe(200);
    expect(byUser.json()).toMatchObject({ object: 'usage.summary', by: 'user', requests: 6 });
    expect(
      Object.fromEntries(
        byUser.json().groups.map((g: { key: string; requests: number }) => [g.key, g.requests]),
      ),
    ).toEqual({ alice: 3, bob: 1, carol: 1, '(no user)': 1 });

    const byTag = await usage('since=1h&by=tag');
    expect(
      Object.fromEntries(
        byTag.json().groups.map((g: { key: string; requests: number }) => [g.key, g.requests]),
      ),
    ).toEqual({ 'team-a': 3, 'feature=search': 1, batch: 1, cli: 1, '(untagged)': 2 });

    const byEndpoint = await usage('since=1h&by=endpoint');
    expect(
      Object.fromEntries(
        byEndpoint.json().groups.map((g: { key: string; requests: number }) => [g.key, g.requests]),
      ),
    ).toEqual({ chat: 3, responses: 1, messages: 1, embeddings: 1 });

    // Narrowed to one tag, grouped by model: what team-a's requests cost, model by model.
    const teamA = await usage('since=1h&by=model&tag=team-a');
    expect(teamA.json()).toMatchObject({ requests: 3, filter: { tag: 'team-a' } });
    expect(teamA.json().costUsd).toBeGreaterThan(0);
    // Figures without floating-point noise: costs to 6 significant digits, latencies to 0.1 ms.
    for (const res of [byUser, byTag, byEndpoint, teamA]) expect(res.body).not.toMatch(/\.\d{10,}/);
    const aliceSearch = await usage('since=1h&user=alice&tag=feature%3Dsearch');
    expect(aliceSearch.json().requests).toBe(1);
    // A window by dates: nothing before this year's first day is logged.
    const old = await usage('since=2020-01-01&until=2021-01-01');
    expect(old.json().requests).toBe(0);

    // The same by tag as CSV, a file for a spreadsheet: the JSON's rows, then the total.
    const csv = await usage('since=2026-01-01&until=2100-01-01&by=tag&format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="usage-by-tag-2026-01-01-2100-01-01.csv"',
    );
    const rows = csv.payload
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(','));
    expect(rows[0]!.slice(0, 4)).toEqual(['tag', 'requests', 'share', 'cost_usd']);
    expect(Object.fromEntries(rows.slice(1, -1).map((r) => [r[0], Number(r[1])]))).toEqual({
      'team-a': 3,
      'feature=search': 1,
      batch: 1,
      cli: 1,
      '(untagged)': 2,
    });
    const json = byTag.json();
    expect(rows.at(-1)!.slice(0, 2)).toEqual(['(total)', String(json.requests)]);
    expect(Number(rows.at(-1)![3])).toBe(json.costUsd);
    expect((await usage('format=xml')).json().error).toMatchObject({ param: 'format' });
  });

  it('refuses bad tags, users and metadata in the caller’s own error shape, logged as invalid requests', async () => {
    const hi = [{ role: 'user', content: 'hi' }];
    const before = (await usage('since=1h&by=endpoint')).json() as Summary;
    const openai = await post(
      '/v1/chat/completions',
      { model: 'model-router', messages: hi },
      { 'x-router-tags': 'has space' },
    );
    expect(openai.statusCode).toBe(400);
    expect(openai.json().error).toMatchObject({
      type: 'invalid_request_error',
      param: 'x-router-tags',
    });
    expect(openai.json().error.message).toContain('"has space"');
    const user = await post('/v1/chat/completions', {
      model: 'model-router',
      messages: hi,
      user: 7,
    });
    expect(user.json().error.param).toBe('user');
    const meta = await post('/v1/responses', {
      model: 'model-router',
      input: 'hi',
      metadata: { n: 1 },
    });
    expect(meta.statusCode).toBe(400);
    expect(meta.json().error.param).toBe('metadata.n');
    const anthropic = await post(
      '/v1/messages',
      { model: 'model-router', max_tokens: 50, messages: hi },
      { 'anthropic-version': '2023-06-01', 'x-router-tags': 'a;b' },
    );
    expect(anthropic.statusCode).toBe(400);
    expect(anthropic.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
    expect(anthropic.json().error.message).toContain('x-router-tags');
    // Each is in the log as an invalid request of its endpoint, not as an error, and without the
    // values refused (no group is made of a bad tag or user). A refusal is recorded once its
    // answer has gone out (record-refusals.ts, onResponse), which may be just after the client
    // has it: wait (bounded) for the fourth.
    const after = await waitFor(async () => {
      const now = (await usage('since=1h&by=endpoint')).json() as Summary;
      expect(now.requests - before.requests).toBeGreaterThanOrEqual(4);
      return now;
    });
    expect(after.requests - before.requests).toBe(4);
    expect(after.invalidRequests - before.invalidRequests).toBe(4);
    expect(after.errorRate * after.requests).toBeCloseTo(before.errorRate * before.requests, 6);
    const invalid = (s: Summary, key: string) =>
      s.groups.find((g) => g.key === key)?.invalidRequests ?? 0;
    expect({
      chat: invalid(after, 'chat') - invalid(before, 'chat'),
      responses: invalid(after, 'responses') - invalid(before, 'responses'),
      messages: invalid(after, 'messages') - invalid(before, 'messages'),
    }).toEqual({ chat: 2, responses: 1, messages: 1 });
    const tags = (await usage('since=1h&by=tag')).json() as Summary;
    expect(tags.groups.map((g) => g.key)).not.toContain('has space');
    expect(tags.groups.map((g) => g.key)).not.toContain('a;b');
  });

  it('serves a window over usageMaxRecords from SQL, without reading its records', async () => {
    const config = runtime.config.current.config;
    const store = runtime.requestLog!.store;
    const query = store.query;
    const all = (await usage('since=1h&by=tag')).json();
    expect(all.requests).toBeGreaterThan(3);
    runtime.config.apply({ ...config, requestLog: { ...config.requestLog, usageMaxRecords: 3 } });
    store.query = () => Promise.reject(new Error('a summary read the records'));
    try {
      const big = await usage('since=1h&by=tag');
      expect(big.statusCode, big.body).toBe(200);
      // The same numbers as before the guard was lowered (the window moved with the clock).
      expect({ ...big.json(), since: 0, until: 0 }).toEqual({ ...all, since: 0, until: 0 });
    } finally {
      store.query = query;
      runtime.config.apply(config);
    }
  });

  it('still guards a store that cannot aggregate in SQL: a window too big is refused, saying what to do', async () => {
    const config = runtime.config.current.config;
    const store = runtime.requestLog!.store;
    const summarize = store.summarize;
    runtime.config.apply({ ...config, requestLog: { ...config.requestLog, usageMaxRecords: 3 } });
    store.summarize = undefined;
    try {
      const big = await usage('since=1h');
      expect(big.statusCode).toBe(400);
      expect(big.json().error).toMatchObject({ code: 'window_too_large', param: 'since' });
      expect(big.json().error.message).toMatch(
        /^The window holds \d+ requests, more than the 3 a summary reads in the server \(requestLog\.usageMaxRecords\): narrow it/,
      );
      // A narrower window is read.
      expect((await usage('since=2020-01-01&until=2021-01-01')).statusCode).toBe(200);
    } finally {
      store.summarize = summarize;
      runtime.config.apply(config);
    }
  });

  it('limit keeps the busiest groups and says how many there were; the totals count them all', async () => {
    const all = (await usage('since=1h&by=tag')).json();
    expect(all.groups.length).toBeGreaterThan(1);
    expect(all.groupsTotal).toBeUndefined();
    const top = (await usage('since=1h&by=tag&limit=1')).json();
    expect(top.groups).toEqual([all.groups[0]]);
    expect(top.groupsTotal).toBe(all.groups.length);
    expect(top.requests).toBe(all.requests);
    expect(top.costUsd).toBe(all.costUsd);
    const csv = (await usage('since=1h&by=tag&limit=1&format=csv')).body.trim().split('\r\n');
    // The header, the busiest group and the (total) row.
    expect(csv).toHaveLength(3);
    expect(csv[2]).toMatch(/^\(total\),/);
    const bad = await usage('since=1h&limit=lots');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ param: 'limit' });
  });

  it('is for admin keys only, and says what to fix in a bad query', async () => {
    const anonymous = await usage('since=1h', {});
    // No key at all: 401, as for an unknown key (a key that is not an admin key is 403).
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('invalid_api_key');
    const by = await usage('by=colour');
    expect(by.statusCode).toBe(400);
    expect(by.json().error).toMatchObject({ param: 'by' });
    expect(by.json().error.message).toContain(
      'model, deployment, endpoint, key, router, tenant, user, tag',
    );
    const since = await usage('since=last-week');
    expect(since.statusCode).toBe(400);
    expect(since.json().error.param).toBe('since');
    const order = await usage('since=2026-11-02&until=2026-11-01');
    expect(order.statusCode).toBe(400);
    expect(order.json().error.message).toMatch(/must be before/);
  });
});

describe('GET /admin/v1/usage without a request log', () => {
  it('says the log is off and how to turn it on', async () => {
    const off = await createRuntime(
      parseConfig(testConfigInput({ auth: { mode: 'none', adminKeyEnv: ADMIN_ENV } }), {}).config,
    );
    try {
      const res = await off.app.inject({
        method: 'GET',
        url: '/admin/v1/usage',
        headers: { authorization: `Bearer ${off.ephemeralAdminKey}` },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'request_log_off' });
      expect(res.json().error.message).toContain('requestLog.kind');
    } finally {
      await off.close();
    }
  });
});

describe('self-service: GET /v1/router/key and /v1/router/usage', () => {
  it("a key sees who it is, what is left of its budgets, and its own usage, not its neighbours'", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-self-'));
    const keyA = 'mr-self-service-key-a-0123456789';
    const keyB = 'mr-self-service-key-b-0123456789';
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
          auth: {
            mode: 'keys',
            keys: [
              {
                id: 'team-a-app',
                hash: hashApiKey(keyA),
                tenant: 'team-a',
                scopes: ['model-router'],
                maxRoutingMode: 'balanced',
                budget: { dailyUsd: 5 },
              },
              { id: 'team-a-batch', hash: hashApiKey(keyB), tenant: 'team-a' },
            ],
          },
          budgets: { shiftToCostAt: 0.8, tenants: { 'team-a': { monthlyUsd: 100 } } },
        }),
        {},
      ).config,
    );
    try {
      const as = (key: string) => ({ authorization: `Bearer ${key}` });
      const chat = { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] };
      for (const [key, user] of [
        [keyA, 'alice'],
        [keyA, 'bob'],
        [keyB, 'alice'],
      ] as const) {
        const r = await rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: as(key),
          payload: { ...chat, user },
        });
        expect(r.statusCode).toBe(200);
      }
      const me = await rt.app.inject({ method: 'GET', url: '/v1/router/key', headers: as(keyA) });
      expect(me.statusCode).toBe(200);
      const info = me.json();
      expect(info).toMatchObject({
        object: 'router.key',
        id: 'team-a-app',
        tenant: 'team-a',
        admin: false,
        scopes: ['model-router'],
        max_routing_mode: 'balanced',
        answer_cache: true,
      });
      expect(
        info.budgets.map((b: { scope: string; period: string }) => [b.scope, b.period]),
      ).toEqual([
        ['key', 'day'],
        ['tenant', 'month'],
      ]);
      // Its two requests are in its key's budget; the tenant's counts the other key's too.
      const [keyDay, tenantMonth] = info.budgets as {
        spent_usd: number;
        remaining_usd: number;
        limit_usd: number;
      }[];
      expect(keyDay!.spent_usd).toBeGreaterThan(0);
      expect(tenantMonth!.spent_usd).toBeGreaterThan(keyDay!.spent_usd);
      // To 6 significant digits, as every USD figure of the API (no floating-point noise).
      expect(keyDay!.remaining_usd).toBeCloseTo(5 - keyDay!.spent_usd, 4);
      for (const b of [keyDay!, tenantMonth!])
        for (const usd of [b.spent_usd, b.remaining_usd]) expect(+usd.toPrecision(6)).toBe(usd);

      const mine = await rt.app.inject({
        method: 'GET',
        url: '/v1/router/usage?since=1h&by=user',
        headers: as(keyA),
      });
      expect(mine.statusCode).toBe(200);
      expect(mine.json()).toMatchObject({ requests: 2, filter: { keyId: 'team-a-app' } });
      expect(
        mine
          .json()
          .groups.map((g: { key: string }) => g.key)
          .sort(),
      ).toEqual(['alice', 'bob']);
      const widen = await rt.app.inject({
        method: 'GET',
        url: '/v1/router/usage?key=team-a-batch',
        headers: as(keyA),
      });
      expect(widen.statusCode).toBe(400);
      expect(widen.json().error.param).toBe('key');
      const anonymous = await rt.app.inject({ method: 'GET', url: '/v1/router/usage' });
      expect(anonymous.statusCode).toBe(401);
    } finally {
      await rt.close();
    }
  });
});
