// The admin API refuses a change that would leave the config invalid, whole and saying where:
// issues at the paths the caller sent, a name that is not the URL's, a deployment still named.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import {
  simDeployment,
  simModerationDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import { adminKeys as keys, adminTestApp as setup } from '../../../test/helpers/admin-test-app.js';

describe('admin API', () => {
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
});
