// Deployments and pools as live config through the admin API: added, served through at once,
// removed; and what the routing model makes of a changed subset, said in the change's answer.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { loadPrices } from '../../../training/load-prices.js';
import { loadRows } from '../../../training/load-rows.js';
import { trainArtefact } from '../../../training/train-artefact.js';
import { createTrainedRouter } from '../../routing/trained-router.js';
import {
  adminKeys as keys,
  adminTestApp as setup,
  chatRequest as chat,
} from '../../../test/helpers/admin-test-app.js';

describe('admin API', () => {
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
