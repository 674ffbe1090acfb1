import { describe, expect, it } from 'vitest';
import { unauthorized } from '../../core/errors.js';
import type { Authenticator } from '../auth-hook.js';
import { authenticate } from '../../auth/authenticate.js';
import { KeyStore } from '../../auth/key-store.js';
import { createManualClock } from '../../core/clock.js';
import { MemoryState } from '../../store/memory/memory-state.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { loadPrices, loadRows } from '../../../training/dataset.js';
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

  it('with auth.mode none (no key needed for the model endpoints) still needs an admin key: 403 without one', async () => {
    const clock = createManualClock();
    const keyStore = new KeyStore({
      state: new MemoryState(clock),
      clock,
      adminKey: 'mr-admin-for-tests',
      configKeys: () => [],
    });
    const modeNone: Authenticator = {
      authenticate: (headers) =>
        authenticate(headers, { mode: () => 'none', keys: keyStore, clock }),
    };
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(
      testConfig(),
      {
        big: fakeAdapter('big', reply),
        mid: fakeAdapter('mid', reply),
        small: fakeAdapter('small', reply),
      },
      { authenticator: modeNone },
    );
    const url = '/admin/v1/routers/model-router';
    expect(
      (await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat }))
        .statusCode,
    ).toBe(200);
    for (const headers of [{}, { authorization: 'Bearer not-a-key' }]) {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({
        type: 'permission_error',
        code: 'permission_denied',
        message: 'This endpoint needs an admin API key.',
      });
    }
    const admin = await t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: 'Bearer mr-admin-for-tests' },
    });
    expect(admin.statusCode).toBe(200);
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

  it('a query parameter that is not a positive number gets a 400 naming it, not a silent default', async () => {
    const t = await setup();
    const admin = { authorization: 'Bearer admin' };
    for (const url of [
      '/admin/v1/config/versions?limit=abc',
      '/dashboard/api/overview?since=1h',
      '/dashboard/api/overview?bucket=-5',
      '/dashboard/api/decisions?limit=0',
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: admin });
      expect(res.statusCode, url).toBe(400);
      const param = /[?&](\w+)=/.exec(url)![1];
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
      expect(res.json().error.message).toContain(
        `Query parameter ${param} must be a positive number`,
      );
    }
    // In range or clamped to it: a 7-day cap on the window, at most 200 decisions.
    const year = await t.app.inject({
      method: 'GET',
      url: `/dashboard/api/overview?since=${365 * 86_400_000}`,
      headers: admin,
    });
    expect(year.statusCode).toBe(200);
    expect(year.json().now - year.json().overview.since).toBeLessThanOrEqual(7 * 86_400_000 + 1000);
    const many = await t.app.inject({
      method: 'GET',
      url: '/dashboard/api/decisions?limit=5000',
      headers: admin,
    });
    expect(many.statusCode).toBe(200);
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
    expect(bad.json().error.message).toContain('routers[0].routingMode');
    expect(t.config.current).toBe(before);
    const unknownKey = await t.app.inject({
      method: 'PATCH',
      url: '/admin/v1/deployments/big',
      headers: admin,
      payload: { colour: 'red' },
    });
    expect(unknownKey.statusCode).toBe(400);
    expect(unknownKey.json().error.message).toContain('deployments[0].colour');
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
    expect(bad.json().error.message).toContain(
      'pools[0].deployments[1]: unknown deployment "nope"',
    );
    // A deployment a pool still names cannot be deleted from under it.
    const orphan = await t.app.inject({
      method: 'DELETE',
      url: '/admin/v1/deployments/mid',
      headers: admin,
    });
    expect(orphan.statusCode).toBe(400);
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
  });
});
