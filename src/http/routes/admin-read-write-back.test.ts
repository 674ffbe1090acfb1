// An item or settings section read from the admin API and sent back as read (a PUT of the whole
// item, a PATCH) is accepted: the reply's `config_revision` is the reply's, not a field of the
// item, and was refused as an unknown key ("check the spelling"), so no GET → edit → PUT worked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { parseConfig } from '../../config/load-config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { testConfigInput } from '../../../test/helpers/test-config.js';

const ADMIN = 'mr-write-back-admin-0123456789';

describe('admin API: what was read, sent back', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await createRuntime(
      parseConfig(
        testConfigInput({
          auth: {
            mode: 'keys',
            keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true }],
          },
        }),
        {},
      ).config,
    );
  });
  afterAll(() => rt.close());
  const call = (method: 'GET' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
    rt.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('takes a deployment, router and settings section back as read, with an edit', async () => {
    for (const [read, edit] of [
      ['/admin/v1/deployments/mid', { qualityOffset: 0.02 }],
      ['/admin/v1/routers/model-router', { routingMode: 'cost' }],
      ['/admin/v1/settings/budgets', { shiftToCostAt: 0.7 }],
    ] as const) {
      const item = (await call('GET', read)).json();
      expect(item.config_revision).toEqual(expect.any(Number));
      for (const method of ['PUT', 'PATCH'] as const) {
        const res = await call(method, read, { ...item, ...edit });
        expect(res.statusCode, `${method} ${read}: ${res.body}`).toBe(200);
        expect(res.json()).toMatchObject(edit);
        expect(res.json().config_revision).toBeGreaterThan(item.config_revision);
      }
    }
    expect(rt.config.current.config.deployments.find((d) => d.name === 'mid')?.qualityOffset).toBe(
      0.02,
    );
    expect(rt.config.current.config.budgets.shiftToCostAt).toBe(0.7);
  });

  it('still refuses a key that is no field, naming it', async () => {
    const item = (await call('GET', '/admin/v1/deployments/mid')).json();
    const res = await call('PUT', '/admin/v1/deployments/mid', { ...item, bogus: 1 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('bogus: unknown key');
    expect(res.json().error.message).not.toContain('config_revision');
  });
});
