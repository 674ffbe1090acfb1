import { describe, expect, it } from 'vitest';
import { unauthorized } from '../../core/errors.js';
import type { Authenticator } from '../auth-hook.js';
import { authenticate } from '../../auth/authenticate.js';
import { hashApiKey } from '../../auth/api-key.js';
import { KeyStore } from '../../auth/key-store.js';
import { createRuntime } from '../../runtime.js';
import { createManualClock } from '../../core/clock.js';
import { MemoryState } from '../../store/memory/memory-state.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import {
  simDeployment,
  simModerationDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import { loadPrices } from '../../../training/load-prices.js';
import { loadRows } from '../../../training/load-rows.js';
import { trainArtefact } from '../../../training/train-artefact.js';
import { createTrainedRouter } from '../../routing/trained-router.js';

const keys: Authenticator = {
  authenticate(headers) {
    if (headers.authorization === 'Bearer admin')
      return { keyId: 'k-admin', tenant: 'ops', admin: true, scopes: ['*'] };
    if (headers.authorization === 'Bearer user')
      return { keyId: 'k-user', tenant: 'team-a', admin: false, scopes: ['*'] };
    throw unauthorized();
  },
};

async function setup() {
  const reply = [{ reply: 'ok' }];
  return buildTestApp(
    testConfig(),
    {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    },
    { authenticator: keys },
  );
}

const chat = { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] };

describe('admin API', () => {
  // `${env:…}` puts secrets in header values and URL passwords; the admin API showed them (a
  // deployment's upstream token, a database or moderation password) to every admin key.
  it('never shows header values or URL passwords, and an item sent back whole keeps them', async () => {
    const ADMIN = 'mr-redaction-admin-0123456789';
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] }],
        },
        deployments: [
          simDeployment('big', { headers: { 'x-org-token': 'tok-SECRET' } }),
          simDeployment('mid'),
          simDeployment('small'),
        ],
        contentFilter: {
          enabled: true,
          moderationUrl: 'https://mod:pw-SECRET@moderation.example/v1/moderations',
        },
      }),
    );
    try {
      const admin = { authorization: `Bearer ${ADMIN}` };
      const get = (url: string) => rt.app.inject({ method: 'GET', url, headers: admin });
      const send = (method: 'PUT' | 'PATCH' | 'POST', url: string, payload: object) =>
        rt.app.inject({ method, url, headers: admin, payload });
      const big = (await get('/admin/v1/deployments/big')).json();
      expect(big.headers).toEqual({ 'x-org-token': '[redacted]' });
      expect((await get('/admin/v1/settings/contentFilter')).json().moderationUrl).toBe(
        'https://mod:[redacted]@moderation.example/v1/moderations',
      );
      for (const url of [
        '/admin/v1/deployments',
        '/admin/v1/settings',
        '/admin/v1/config/versions',
        '/admin/v1/config/versions/1',
      ])
        expect((await get(url)).body).not.toContain('SECRET');
      // Sent back as read (a PUT of the whole item, a PATCH naming the URL): secrets kept.
      const { config_revision: _revision, ...item } = big;
      const put = await send('PUT', '/admin/v1/deployments/big', { ...item, qualityOffset: 0.01 });
      expect(put.statusCode).toBe(200);
      expect(put.body).not.toContain('SECRET');
      const patch = await send('PATCH', '/admin/v1/settings/contentFilter', {
        moderationUrl: 'https://mod:[redacted]@moderation.example/v1/moderations',
      });
      expect(patch.statusCode).toBe(200);
      const live = rt.config.current.config;
      const liveBig = live.deployments.find((d) => d.name === 'big');
      expect(liveBig?.headers).toEqual({ 'x-org-token': 'tok-SECRET' });
      expect(liveBig?.qualityOffset).toBe(0.01);
      expect(live.contentFilter.moderationUrl).toBe(
        'https://mod:pw-SECRET@moderation.example/v1/moderations',
      );
      // The new versions' diffs are shown redacted too.
      expect((await get('/admin/v1/config/versions')).body).not.toContain('SECRET');
      // A header changed or added is a diff entry at `…headers.<name>`: its values are redacted
      // in the version list, the version and a rollback's answer.
      const changed = await send('PATCH', '/admin/v1/deployments/big', {
        headers: { 'x-org-token': 'tok-SECRET-2', 'x-new': 'new-SECRET' },
      });
      expect(changed.statusCode, changed.body).toBe(200);
      const versions = (await get('/admin/v1/config/versions')).json();
      const latest = versions.data[0];
      expect(latest.changes).toEqual(
        expect.arrayContaining([
          {
            path: 'deployments[big].headers.x-org-token',
            before: '[redacted]',
            after: '[redacted]',
          },
          { path: 'deployments[big].headers.x-new', after: '[redacted]' },
        ]),
      );
      expect(JSON.stringify(versions)).not.toContain('SECRET');
      expect((await get(`/admin/v1/config/versions/${latest.version}`)).body).not.toContain(
        'SECRET',
      );
      const back = await send('POST', '/admin/v1/config/rollback', {
        revision: latest.version - 1,
      });
      expect(back.statusCode, back.body).toBe(200);
      expect(back.body).toContain('headers.x-org-token');
      expect(back.body).not.toContain('SECRET');
      // The placeholder where there is no secret to keep (an item cloned under another name, a
      // new header, a URL changed but for its password) is a 400, not sent upstream as text.
      const clone = await send('PUT', '/admin/v1/deployments/big-clone', {
        ...item,
        name: 'big-clone',
      });
      expect(clone.statusCode, clone.body).toBe(400);
      expect(clone.json().error).toMatchObject({
        param: 'headers.x-org-token',
        code: 'invalid_value',
      });
      expect(clone.json().error.message).toContain('placeholder');
      const newHeader = await send('PATCH', '/admin/v1/deployments/big', {
        headers: { 'x-other': '[redacted]' },
      });
      expect(newHeader.statusCode).toBe(400);
      expect(newHeader.json().error.param).toBe('headers.x-other');
      const movedUrl = await send('PATCH', '/admin/v1/settings/contentFilter', {
        moderationUrl: 'https://mod:[redacted]@other.example/v1/moderations',
      });
      expect(movedUrl.statusCode).toBe(400);
      expect(movedUrl.json().error.param).toBe('moderationUrl');
      expect(rt.config.current.config.deployments.some((d) => d.name === 'big-clone')).toBe(false);
    } finally {
      await rt.close();
    }
  });

  // Security audit F4 (2026-12-06): a token in a URL's query or as its user name, and the keys'
  // hashes in the config versions, were shown to every admin key.
  it('hides URL query credentials, a token as user name and key hashes; sent back whole, kept', async () => {
    const ADMIN = 'mr-redaction-admin2-0123456789';
    const queryUrl = 'https://upstream.example/v1?api-version=1&api-key=q-SECRET&sig=s-SECRET';
    const userUrl = 'https://tokSECRETabcdefghijklmnop@upstream.example/v1';
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] }],
        },
        deployments: [
          simDeployment('big', { provider: 'openai', baseUrl: queryUrl }),
          simDeployment('mid', { provider: 'openai', baseUrl: userUrl }),
          simDeployment('small'),
        ],
      }),
    );
    try {
      const admin = { authorization: `Bearer ${ADMIN}` };
      const get = (url: string) => rt.app.inject({ method: 'GET', url, headers: admin });
      const big = (await get('/admin/v1/deployments/big')).json();
      expect(big.baseUrl).toBe(
        'https://upstream.example/v1?api-version=1&api-key=[redacted]&sig=[redacted]',
      );
      expect((await get('/admin/v1/deployments/mid')).json().baseUrl).toBe(
        'https://[redacted]@upstream.example/v1',
      );
      const hash = hashApiKey(ADMIN);
      for (const url of ['/admin/v1/deployments', '/admin/v1/config/versions/1']) {
        const body = (await get(url)).body;
        expect(body).not.toContain('SECRET');
        expect(body).not.toContain(hash);
      }
      const { config_revision: _revision, ...item } = big;
      const put = await rt.app.inject({
        method: 'PUT',
        url: '/admin/v1/deployments/big',
        headers: admin,
        payload: { ...item, qualityOffset: 0.02 },
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(rt.config.current.config.deployments.find((d) => d.name === 'big')?.baseUrl).toBe(
        queryUrl,
      );
    } finally {
      await rt.close();
    }
  });

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

  it('rolls back with {"revision": n}; another body is a 400 saying what to send', async () => {
    const t = await setup();
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/config/rollback',
      headers: { authorization: 'Bearer admin' },
      payload: { version: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      param: 'revision',
      message: 'Send {"revision": <number>} to roll back to.',
    });
  });

  it('a revision not in the log is a 404 naming revision and listing the ones there are', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { routingMode: 'cost' },
    });
    expect(patched.json().config_revision).toBe(2);
    for (const res of [
      await t.app.inject({
        method: 'POST',
        url: '/admin/v1/config/rollback',
        headers: admin,
        payload: { revision: 99 },
      }),
      await t.app.inject({ method: 'GET', url: '/admin/v1/config/versions/99', headers: admin }),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({
        code: 'revision_not_found',
        param: 'revision',
        message: expect.stringContaining(
          'No config revision 99. The revisions kept are 2, 1; GET /admin/v1/config/versions lists them',
        ),
      });
      expect(res.json().error.message).not.toMatch(/\bversion 99\b/);
    }
    expect(t.config.current.routers.get('model-router')?.routingMode).toBe('cost');
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

  it('PATCH changes the routing mode and subset for the next request, versioned and reversible', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { routingMode: 'quality', modelSubset: ['big', 'mid'] },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({
      routingMode: 'quality',
      modelSubset: ['big', 'mid'],
      config_revision: 2,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer user' },
      payload: chat,
    });
    expect(res.headers['x-router-mode']).toBe('quality');
    expect(res.headers['x-router-deployment']).not.toBe('small');

    const versions = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/config/versions',
      headers: admin,
    });
    expect(versions.json().data[0]).toMatchObject({ version: 2, who: 'k-admin' });
    expect(versions.json().data[0].changes.map((c: { path: string }) => c.path)).toContain(
      'routers[model-router].routingMode',
    );

    const back = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/config/rollback',
      headers: admin,
      payload: { revision: 1 },
    });
    expect(back.statusCode).toBe(200);
    expect(t.config.current.routers.get('model-router')?.routingMode).toBe('balanced');
    expect(t.config.current.routers.get('model-router')?.modelSubset).toEqual([
      'big',
      'mid',
      'small',
    ]);
  });

  it('If-Match: a change applies only while the item is as read (ETag); a stale one is a 412 changing nothing', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const url = '/admin/v1/routers/model-router';
    const read = await t.app.inject({ url, headers: admin });
    const tag = String(read.headers.etag);
    expect(tag).toMatch(/^"[\w-]+"$/);
    // Another item's change leaves this one's tag as it was (the tag is the item's, not the config's).
    const elsewhere = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/small',
      headers: admin,
      payload: { region: 'westus' },
    });
    expect(elsewhere.statusCode).toBe(200);
    expect((await t.app.inject({ url, headers: admin })).headers.etag).toBe(tag);
    // Admin A saves with the tag it read: applied, with the new tag.
    const first = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': tag },
      payload: { routingMode: 'quality' },
    });
    expect(first.statusCode).toBe(200);
    const newTag = String(first.headers.etag);
    expect(newTag).not.toBe(tag);
    expect((await t.app.inject({ url, headers: admin })).headers.etag).toBe(newTag);
    // Admin B read before A saved: its PATCH, PUT and DELETE are refused, nothing changes.
    const revision = t.config.current.revision;
    for (const [method, payload] of [
      ['PATCH', { modelSubset: ['small'] }],
      ['PUT', { name: 'model-router', modelSubset: ['small'] }],
      ['DELETE', undefined],
    ] as const) {
      const stale = await t.app.inject({
        method,
        url,
        headers: { ...admin, 'if-match': tag },
        ...(payload ? { payload } : {}),
      });
      expect(stale.statusCode, method).toBe(412);
      expect(stale.json().error).toMatchObject({
        code: 'precondition_failed',
        param: 'if-match',
        type: 'invalid_request_error',
      });
      expect(stale.json().error.message).toContain(`its ETag is now ${newTag}`);
      expect(stale.headers.etag).toBe(newTag);
    }
    expect(t.config.current.revision).toBe(revision);
    expect(t.config.current.routers.get('model-router')?.modelSubset).toEqual([
      'big',
      'mid',
      'small',
    ]);
    // Weak form, a list, and "*" match; no header is as before (unconditional).
    const weak = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': `"nope", W/${newTag}` },
      payload: { routingMode: 'cost' },
    });
    expect(weak.statusCode).toBe(200);
    const any = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': '*' },
      payload: { routingMode: 'balanced' },
    });
    expect(any.statusCode).toBe(200);
    // If-None-Match: * creates only.
    const exists = await t.app.inject({
      method: 'PUT',
      url,
      headers: { ...admin, 'if-none-match': '*' },
      payload: { modelSubset: ['small'] },
    });
    expect(exists.statusCode).toBe(412);
    expect(exists.json().error.param).toBe('if-none-match');
    const created = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/routers/fresh-router',
      headers: { ...admin, 'if-none-match': '*' },
      payload: { modelSubset: ['small'] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toMatch(/^"[\w-]+"$/);
    // If-Match on an item that is not there is a 412, not a create.
    const absent = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/routers/not-there',
      headers: { ...admin, 'if-match': '*' },
      payload: { modelSubset: ['small'] },
    });
    expect(absent.statusCode).toBe(412);
    expect(t.config.current.routers.has('not-there')).toBe(false);
    // A header that is no entity tag is a 400 naming it.
    const bad = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...admin, 'if-match': 'abc' },
      payload: { routingMode: 'cost' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ param: 'if-match', code: 'invalid_precondition' });
  });

  it('rejects an invalid change whole, naming the problem, and applies nothing', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const before = t.config.current;
    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { routingMode: 'cheap', modelSubset: ['big', 'ghost'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_config');
    // Paths as the caller wrote them: relative to the router it sent, not the whole config.
    expect(bad.json().error.message).toContain(
      'routingMode: must be one of "balanced", "quality", "cost" (got "cheap")',
    );
    expect(bad.json().error.param).toBe('routingMode');
    // `${env:…}` in a change is refused as such: the admin API does not read the router's
    // environment (it said the variable was not set, though it was).
    process.env.MR_ADMIN_ENV_TEST = 'set';
    try {
      const env = await t.app.inject({
        method: 'PATCH',
        url: '/admin/v1/deployments/big',
        headers: admin,
        payload: { model: '${env:MR_ADMIN_ENV_TEST}' },
      });
      expect(env.statusCode).toBe(400);
      expect(env.json().error).toMatchObject({ code: 'invalid_config', param: 'model' });
      expect(env.json().error.message).toContain(
        '${env:MR_ADMIN_ENV_TEST} is expanded only in the config file',
      );
    } finally {
      delete process.env.MR_ADMIN_ENV_TEST;
    }
    const ghost = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { modelSubset: ['big', 'ghost'] },
    });
    expect(ghost.json().error.issues).toEqual([
      'modelSubset[1]: unknown deployment "ghost" (known: big, mid, small)',
    ]);
    expect(bad.json().error.message).not.toContain('routers[');
    expect(t.config.current).toBe(before);
    const unknownKey = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/big',
      headers: admin,
      payload: { colour: 'red' },
    });
    expect(unknownKey.statusCode).toBe(400);
    expect(unknownKey.json().error.message).toBe(
      'Change rejected, nothing was applied: colour: unknown key (check the spelling; docs/configuration.md lists every key)',
    );
  });

  it('a single-object change reports issues at the paths the caller sent, other items by name', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/deployments/bad',
      headers: admin,
      payload: {
        provider: 'simulated',
        model: 'bad-sim',
        prices: { inputPer1M: -1, outputPer1M: 0.01 },
        maxOutputTokens: 100,
      },
    });
    expect(put.statusCode).toBe(400);
    expect(put.json().error.issues).toEqual([
      'prices.inputPer1M: must be at least 0 (got -1)',
      'contextWindow: missing: this key is required (a number)',
    ]);
    // An issue the change causes elsewhere names that item, not its index in the whole config.
    const kind = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/small',
      headers: admin,
      payload: { kind: 'embeddings' },
    });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().error.issues).toEqual([
      expect.stringMatching(
        /^routers\[model-router\]\.modelSubset\[2\]: "small" is an embeddings deployment/,
      ),
    ]);
  });

  it("a body whose name is not the URL's is a 400 naming both, for PUT and PATCH", async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    for (const method of ['PUT', 'PATCH'] as const) {
      const res = await t.app.inject({
        method,
        url: '/admin/v1/deployments/mid',
        headers: admin,
        payload: { ...simDeployment('other'), name: 'other' },
      });
      expect(res.statusCode, method).toBe(400);
      expect(res.json().error, method).toMatchObject({
        param: 'name',
        message: expect.stringContaining('The body\'s name "other" is not the URL\'s "mid"'),
      });
    }
    expect(t.config.current.deployments.has('other')).toBe(false);
    expect(t.config.current.revision).toBe(1);
    // The URL's own name in the body is fine.
    const same = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/mid',
      headers: admin,
      payload: { name: 'mid', region: 'westus' },
    });
    expect(same.statusCode).toBe(200);
  });

  it('DELETE of a deployment a router or a setting still names is a 409 saying where to remove it', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(
      testConfig({
        deployments: [
          simDeployment('big'),
          simDeployment('mid'),
          simDeployment('small'),
          simDeployment('my-mini'),
          simDeployment('my-mini2'),
          simModerationDeployment('mod'),
        ],
        routers: [{ name: 'model-router', modelSubset: ['big', 'mid', 'my-mini'] }],
        contentFilter: { moderationDeployment: 'mod' },
      }),
      {
        big: fakeAdapter('big', reply),
        mid: fakeAdapter('mid', reply),
        small: fakeAdapter('small', reply),
      },
      { authenticator: keys },
    );
    const admin = { authorization: 'Bearer admin' };
    const del = (name: string) =>
      t.app.inject({ method: 'DELETE', url: `/admin/v1/deployments/${name}`, headers: admin });
    const mini = await del('my-mini');
    expect(mini.statusCode).toBe(409);
    expect(mini.json().error).toMatchObject({
      code: 'deployment_in_use',
      message:
        'Deployment "my-mini" is still named in router "model-router"\'s modelSubset: remove it there first (PATCH /admin/v1/routers/model-router), then delete it. Nothing was changed.',
      used_by: ['routers[model-router].modelSubset'],
    });
    const mod = await del('mod');
    expect(mod.statusCode).toBe(409);
    expect(mod.json().error.message).toContain(
      'still named in contentFilter.moderationDeployment: remove it there first (PATCH /admin/v1/settings/contentFilter)',
    );
    // Named nowhere (my-mini2 is not my-mini): deleted.
    expect((await del('my-mini2')).json()).toMatchObject({ deleted: 'my-mini2' });
    // Once the router no longer names it, it goes.
    await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { modelSubset: ['big', 'mid'] },
    });
    expect((await del('my-mini')).statusCode).toBe(200);
    expect(t.config.current.deployments.has('my-mini')).toBe(false);
  });

  it('PUT adds a deployment that no router subset picks up by itself', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/deployments/newcomer',
      headers: admin,
      payload: {
        provider: 'simulated',
        model: 'new-sim',
        prices: { inputPer1M: 0.01, outputPer1M: 0.01 },
        contextWindow: 1000,
        maxOutputTokens: 100,
      },
    });
    expect(put.statusCode).toBe(201);
    expect(t.config.current.deployments.has('newcomer')).toBe(true);
    expect(t.config.current.routers.get('model-router')?.modelSubset).not.toContain('newcomer');
  });

  it('pools are live config too: PUT serves through the new pool at once, a bad member is refused, DELETE removes it', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/pools/spread',
      headers: admin,
      payload: { deployments: ['mid', 'small'], strategy: 'priority' },
    });
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({ name: 'spread', strategy: 'priority', cache: true });
    const served = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer user' },
      payload: { ...chat, model: 'spread' },
    });
    expect(served.headers['x-router-deployment']).toBe('mid');
    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/pools/spread',
      headers: admin,
      payload: { deployments: ['mid', 'nope'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('deployments[1]: unknown deployment "nope"');
    expect(bad.json().error.message).not.toContain('pools[');
    // A deployment a pool or router still names cannot be deleted from under it: 409, saying where.
    const orphan = await t.app.inject({
      method: 'DELETE',
      url: '/admin/v1/deployments/mid',
      headers: admin,
    });
    expect(orphan.statusCode).toBe(409);
    expect(orphan.json().error).toMatchObject({
      type: 'invalid_request_error',
      code: 'deployment_in_use',
      message:
        'Deployment "mid" is still named in router "model-router"\'s modelSubset, pool "spread"\'s deployments: remove it there first (PATCH /admin/v1/routers/model-router; PATCH /admin/v1/pools/spread), then delete it. Nothing was changed.',
      used_by: ['routers[model-router].modelSubset', 'pools[spread].deployments'],
    });
    expect(t.config.current.deployments.has('mid')).toBe(true);
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/admin/v1/pools/spread',
      headers: admin,
    });
    expect(del.json()).toMatchObject({ deleted: 'spread' });
    expect(t.config.current.pools.size).toBe(0);
    const gone = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/pools/spread',
      headers: admin,
    });
    expect(gone.json().error.code).toBe('pool_not_found');
  });

  it('a change answers with what the routing model makes of the subsets, when there is something to say', async () => {
    const rows = loadRows('test/fixtures/routing/tiny.jsonl');
    const { artefact } = trainArtefact(
      new Map([['tiny.jsonl', rows]]),
      loadPrices('test/fixtures/routing/prices.json'),
      { seed: 1 },
    );
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(
      testConfig({
        deployments: [
          simDeployment('big', { like: 'strong' }),
          simDeployment('mid', { like: 'weak' }),
          simDeployment('small', { like: 'weak' }),
        ],
      }),
      {
        big: fakeAdapter('big', reply),
        mid: fakeAdapter('mid', reply),
        small: fakeAdapter('small', reply),
      },
      { authenticator: keys, router: createTrainedRouter(artefact) },
    );
    const admin = { authorization: 'Bearer admin' };
    const fine = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      headers: admin,
      payload: { routingMode: 'cost' },
    });
    expect(fine.statusCode).toBe(200);
    expect(fine.json().warnings).toBeUndefined();
    const typo = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/small',
      headers: admin,
      payload: { like: 'wek' },
    });
    expect(typo.statusCode).toBe(200);
    expect(typo.json().warnings).toEqual([
      expect.stringContaining('deployment small is like "wek", a model the artefact does not know'),
    ]);
    // A change elsewhere does not repeat small's warning; a change to small itself does.
    const other = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/mid',
      headers: admin,
      payload: { region: 'westus' },
    });
    expect(other.statusCode).toBe(200);
    expect(other.json().warnings).toBeUndefined();
    const added = await t.app.inject({
      method: 'PUT',
      url: '/admin/v1/deployments/small2',
      headers: admin,
      payload: simDeployment('small2', { like: 'weak' }),
    });
    expect(added.statusCode).toBe(201);
    expect(added.json().warnings).toBeUndefined();
    const again = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/small',
      headers: admin,
      payload: { region: 'westus' },
    });
    expect(again.json().warnings).toEqual([
      expect.stringContaining('deployment small is like "wek"'),
    ]);
  });
});
