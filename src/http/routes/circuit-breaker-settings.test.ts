// The circuit breaker's settings through the admin API of the whole router (createRuntime +
// app.inject, a manual clock): the global ones as a live setting, a deployment's own through the
// deployment routes; each change validated by the config schema, versioned, rolled back by
// rollback, and followed by the live breakers from their next decision without losing their state.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { parseConfig } from '../../config/load-config.js';
import { createManualClock } from '../../core/clock.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { simDeployment, testConfigInput } from '../../../test/helpers/test-config.js';

const ADMIN = 'mr-breaker-admin-0123456789';
const USER = 'mr-breaker-user-0123456789';
const DEFAULTS = { failureThreshold: 5, windowMs: 30_000, openMs: 15_000 };

async function runtime() {
  const clock = createManualClock();
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] },
        { id: 'app', hash: hashApiKey(USER), tenant: 'team-a', scopes: ['*'] },
      ],
    },
  });
  input.deployments.push(
    simDeployment('flaky', { simulation: { ttftMs: 0, failure: { kind: '500' } } }),
  );
  const rt = await createRuntime(parseConfig(input, {}).config, { clock });
  return { rt, clock, ...helpers(rt) };
}

function helpers(rt: Runtime) {
  const admin = (method: 'GET' | 'PUT' | 'PATCH' | 'POST', url: string, payload?: unknown) =>
    rt.app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
      headers: { authorization: `Bearer ${ADMIN}` },
    });
  /** One call to the failing deployment: a failure for its breaker while its circuit lets it in. */
  const callFlaky = () =>
    rt.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'flaky', messages: [{ role: 'user', content: 'hi' }] },
      headers: { authorization: `Bearer ${USER}` },
    });
  const circuit = async () =>
    (await rt.app.inject({ method: 'GET', url: '/readyz' })).json().circuits.flaky ?? 'closed';
  return { admin, callFlaky, circuit };
}

describe('circuit breaker settings in the admin API', () => {
  it('the global settings: read, patched, in force for the next decision, an open circuit kept', async () => {
    const { rt, clock, admin, callFlaky, circuit } = await runtime();
    try {
      const all = (await admin('GET', '/admin/v1/settings')).json();
      expect(all.circuitBreaker).toEqual(DEFAULTS);
      const before = (await admin('GET', '/admin/v1/settings/circuitBreaker')).json();
      expect(before).toMatchObject(DEFAULTS);

      // One failure under the defaults: closed. Then the threshold goes to 2, and the next failure
      // counts with the one before it (the breaker's window was not reset): open.
      expect((await callFlaky()).statusCode).toBeGreaterThanOrEqual(500);
      expect(await circuit()).toBe('closed');
      const patched = await admin('PATCH', '/admin/v1/settings/circuitBreaker', {
        failureThreshold: 2,
      });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ ...DEFAULTS, failureThreshold: 2 });
      expect(patched.json().config_revision).toBe(before.config_revision + 1);
      await callFlaky();
      expect(await circuit()).toBe('open');
      const refused = await callFlaky();
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('no_healthy_deployment');

      // A longer openMs does not stretch the circuit open already: it keeps its 15 s...
      expect(
        (await admin('PATCH', '/admin/v1/settings/circuitBreaker', { openMs: 60_000 })).statusCode,
      ).toBe(200);
      clock.advance(15_000);
      expect(await circuit()).toBe('half-open');
      // ...and the probe's failure opens it again for the new 60 s.
      await callFlaky();
      expect(await circuit()).toBe('open');
      clock.advance(59_000);
      expect(await circuit()).toBe('open');
      clock.advance(1_000);
      expect(await circuit()).toBe('half-open');

      const versions = (await admin('GET', '/admin/v1/config/versions')).json().data;
      expect(versions.map((v: { reason: string }) => v.reason)).toEqual(
        expect.arrayContaining([
          'PATCH settings circuitBreaker: failureThreshold',
          'PATCH settings circuitBreaker: openMs',
        ]),
      );
    } finally {
      await rt.close();
    }
  });

  it('a bad value is a 400 invalid_config naming its path, and nothing changes', async () => {
    const { rt, admin } = await runtime();
    try {
      const cases: [method: 'PUT' | 'PATCH', body: unknown, path: string][] = [
        ['PATCH', { failureThreshold: 0 }, 'circuitBreaker.failureThreshold'],
        ['PATCH', { windowMs: 1.5 }, 'circuitBreaker.windowMs'],
        ['PATCH', { openMs: 'long' }, 'circuitBreaker.openMs'],
        ['PUT', { openSeconds: 10 }, 'openSeconds'],
      ];
      for (const [method, body, path] of cases) {
        const bad = await admin(method, '/admin/v1/settings/circuitBreaker', body);
        expect(bad.statusCode, JSON.stringify(body)).toBe(400);
        const { error } = bad.json();
        expect(error.type).toBe('invalid_request_error');
        expect(error.code).toBe('invalid_config');
        expect(error.message).toContain(path);
        expect(error.message).toMatch(/^Change rejected, nothing was applied: circuitBreaker/);
        // The first issue's field is the envelope's param too.
        expect(error.param).toBe(`circuitBreaker.${path.replace('circuitBreaker.', '')}`);
      }
      const notObject = await admin('PATCH', '/admin/v1/settings/circuitBreaker', [5]);
      expect(notObject.statusCode).toBe(400);
      expect(notObject.json().error.type).toBe('invalid_request_error');
      expect((await admin('GET', '/admin/v1/settings/circuitBreaker')).json()).toMatchObject(
        DEFAULTS,
      );
      const deployment = await admin('PATCH', '/admin/v1/deployments/flaky', {
        circuitBreaker: { openMs: -1 },
      });
      expect(deployment.statusCode).toBe(400);
      expect(deployment.json().error.code).toBe('invalid_config');
      expect(deployment.json().error.message).toContain('circuitBreaker.openMs: must be');
      expect(deployment.json().error.param).toBe('circuitBreaker.openMs');
    } finally {
      await rt.close();
    }
  });

  it("a deployment's own settings through its route; PUT resets; rollback restores", async () => {
    const { rt, admin, callFlaky, circuit } = await runtime();
    try {
      const start = (await admin('GET', '/admin/v1/settings')).json().config_revision;
      // The global threshold goes to 3; flaky's own to 1: its first failure opens it.
      await admin('PATCH', '/admin/v1/settings/circuitBreaker', { failureThreshold: 3 });
      const own = await admin('PATCH', '/admin/v1/deployments/flaky', {
        circuitBreaker: { failureThreshold: 1 },
      });
      expect(own.statusCode).toBe(200);
      expect(own.json().circuitBreaker).toEqual({ failureThreshold: 1 });
      await callFlaky();
      expect(await circuit()).toBe('open');
      // PUT of the section without a key gives that key its default again.
      const put = await admin('PUT', '/admin/v1/settings/circuitBreaker', { windowMs: 10_000 });
      expect(put.json()).toMatchObject({ failureThreshold: 5, windowMs: 10_000, openMs: 15_000 });

      // Rollback to before both changes: the settings and the deployment are as they started.
      const back = await admin('POST', '/admin/v1/config/rollback', { revision: start });
      expect(back.statusCode).toBe(200);
      expect(
        back
          .json()
          .changes.map((c: { path: string }) => c.path)
          .join(' '),
      ).toContain('circuitBreaker');
      expect((await admin('GET', '/admin/v1/settings/circuitBreaker')).json()).toMatchObject(
        DEFAULTS,
      );
      expect((await admin('GET', '/admin/v1/deployments/flaky')).json().circuitBreaker).toBe(
        undefined,
      );
    } finally {
      await rt.close();
    }
  });

  it('a rolled-back threshold is the one the breakers follow', async () => {
    const { rt, clock, admin, callFlaky, circuit } = await runtime();
    try {
      const start = (await admin('GET', '/admin/v1/settings')).json().config_revision;
      const one = await admin('PATCH', '/admin/v1/settings/circuitBreaker', {
        failureThreshold: 1,
      });
      expect(one.json().failureThreshold).toBe(1);
      const back = await admin('POST', '/admin/v1/config/rollback', { revision: start });
      expect(back.json().reason).toBe(`rollback to revision ${start}`);
      // Back at 5: four failures leave it closed, the fifth opens it.
      for (let i = 0; i < 4; i++) await callFlaky();
      expect(await circuit()).toBe('closed');
      await callFlaky();
      expect(await circuit()).toBe('open');
      clock.advance(15_000);
      expect(await circuit()).toBe('half-open');
    } finally {
      await rt.close();
    }
  });
});
