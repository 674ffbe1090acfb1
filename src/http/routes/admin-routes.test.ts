// The admin API: who may call it (admin keys only; a bad key answered alike under auth.mode none
// and keys) and how its query parameters are read. Secrets in what it shows, config versions and
// rollback, refused changes, and deployments and pools: admin-routes-*.test.ts.
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../auth/authenticate.js';
import { KeyStore } from '../../auth/key-store.js';
import { createManualClock } from '../../core/clock.js';
import { MemoryState } from '../../store/memory/memory-state.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import {
  adminTestApp as setup,
  chatRequest as chat,
} from '../../../test/helpers/admin-test-app.js';

describe('admin API', () => {
  it('refuses non-admin keys with 403 and missing keys with 401', async () => {
    const t = await setup();
    const user = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/routers/model-router',
      headers: { authorization: 'Bearer user' },
    });
    expect(user.statusCode).toBe(403);
    expect(user.json().error.type).toBe('permission_error');
    const none = await t.app.inject({ method: 'GET', url: '/admin/v1/routers/model-router' });
    expect(none.statusCode).toBe(401);
  });

  it('answers a bad admin key alike under auth.mode none and keys: 401 for none or an unknown one, 403 for a key that is not an admin key', async () => {
    const clock = createManualClock();
    const keyStore = new KeyStore({
      state: new MemoryState(clock),
      clock,
      adminKey: 'mr-admin-for-tests',
      configKeys: () => [],
    });
    const { key: userKey } = await keyStore.issue({ id: 'svc', tenant: 'team-a' });
    const reply = [{ reply: 'ok' }];
    const url = '/admin/v1/routers/model-router';
    const answers: Record<string, unknown>[] = [];
    for (const mode of ['none', 'keys'] as const) {
      const t = await buildTestApp(
        testConfig(),
        {
          big: fakeAdapter('big', reply),
          mid: fakeAdapter('mid', reply),
          small: fakeAdapter('small', reply),
        },
        {
          authenticator: {
            authenticate: (headers) =>
              authenticate(headers, { mode: () => mode, keys: keyStore, clock }),
          },
        },
      );
      if (mode === 'none')
        expect(
          (await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat }))
            .statusCode,
        ).toBe(200);
      const call = async (headers: Record<string, string>) => {
        const res = await t.app.inject({ method: 'GET', url, headers });
        return { status: res.statusCode, ...res.json().error };
      };
      const none = await call({});
      expect(none, mode).toMatchObject({
        status: 401,
        code: 'invalid_api_key',
      });
      const unknown = await call({ authorization: 'Bearer not-a-key' });
      expect(unknown, mode).toMatchObject({
        status: 401,
        code: 'invalid_api_key',
        message: expect.stringContaining('Incorrect API key provided.'),
      });
      const notAdmin = await call({ authorization: `Bearer ${userKey}` });
      expect(notAdmin, mode).toMatchObject({
        status: 403,
        type: 'permission_error',
        code: 'permission_denied',
        message: 'API key svc is not an admin key.',
      });
      const dashboard = await t.app.inject({
        method: 'GET',
        url: '/dashboard/api/overview',
        headers: { authorization: 'Bearer not-a-key' },
      });
      expect(dashboard.statusCode, mode).toBe(401);
      answers.push({ unknown: unknown.status, notAdmin: notAdmin.status });
      const admin = await t.app.inject({
        method: 'GET',
        url,
        headers: { authorization: 'Bearer mr-admin-for-tests' },
      });
      expect(admin.statusCode).toBe(200);
    }
    expect(answers[0]).toEqual(answers[1]);
  });

  it('a query parameter that is not a positive number gets a 400 naming it, not a silent default', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    for (const url of ['/admin/v1/config/versions?limit=abc', '/dashboard/api/decisions?limit=0']) {
      const res = await t.app.inject({ method: 'GET', url, headers: admin });
      expect(res.statusCode, url).toBe(400);
      const param = /[?&](\w+)=/.exec(url)![1];
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json().error.message).toContain(
        `Query parameter ${param} must be a positive number`,
      );
    }
    // In range or clamped to it: at most 200 decisions.
    const many = await t.app.inject({
      method: 'GET',
      url: '/dashboard/api/decisions?limit=5000',
      headers: admin,
    });
    expect(many.statusCode).toBe(200);
  });

  it('the dashboard overview reads since and bucket as /admin/v1/usage does; a value it cannot read is a 400, one out of range is clamped and says so', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const get = (query: string) =>
      t.app.inject({ method: 'GET', url: `/dashboard/api/overview?${query}`, headers: admin });
    const hour = await get('since=3600s');
    expect(hour.statusCode).toBe(200);
    expect(hour.json().window).toEqual({ sinceMs: 3_600_000, bucketMs: 60_000 });
    expect(hour.json().now - hour.json().overview.since).toBe(3_600_000);
    expect(hour.json().warnings).toBeUndefined();
    expect((await get('since=15m&bucket=30s')).json().window).toEqual({
      sinceMs: 900_000,
      bucketMs: 30_000,
    });
    for (const [query, param, text] of [
      ['since=3600', 'since', 'since needs a unit: write 3600s for 3600 seconds'],
      ['since=abc', 'since', 'since must be a duration back from now (7d, 24h, 30m, 90s)'],
      ['since=2999-01-01', 'since', 'since must be in the past'],
      ['bucket=-5', 'bucket', 'bucket must look like 7d, 24h, 30m or 90s'],
      ['bucket=5000', 'bucket', 'bucket needs a unit: write 5000s'],
    ] as const) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error, query).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json().error.message, query).toContain(text);
    }
    const year = await get('since=365d');
    expect(year.statusCode).toBe(200);
    expect(year.json().window.sinceMs).toBe(7 * 86_400_000);
    expect(year.json().warnings).toEqual([
      'since: the overview covers 1m to 7d (its live records); showing the last 7d, not 365d',
    ]);
    const wide = await get('since=1h&bucket=2h');
    expect(wide.json().window.bucketMs).toBe(3_600_000);
    expect(wide.json().warnings).toEqual([
      'bucket: at least 1s and at most the window (1h); using 1h, not 2h',
    ]);
  });
});
