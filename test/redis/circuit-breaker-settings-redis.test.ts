// Circuit breaker settings changed through one replica's admin API reach the other through the
// real Redis (the config version log and its change messages), and the other replica's breakers
// follow them; a rollback on the second reaches the first the same way.
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { simDeployment } from '../helpers/test-config.js';
import { redisSuite } from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const suite = await redisSuite();
const prefix = suite.prefix('breaker-settings');
const ADMIN = 'mr-breaker-redis-admin-0123456789';

/** A replica in keys mode with the admin key, and a deployment that always fails. */
const replica = () =>
  suite.replica(prefix, {
    adminKey: ADMIN,
    edit: (input) =>
      void input.deployments.push(
        simDeployment('flaky', { simulation: { ttftMs: 0, failure: { kind: '500' } } }),
      ),
  });

describe.skipIf(!suite.available)('circuit breaker settings across replicas (Redis)', () => {
  it("a change on one replica is the other's next decision; a rollback on the other comes back", async () => {
    const [one, two] = [await replica(), await replica()];
    const admin = (r: Runtime, method: 'GET' | 'PATCH' | 'POST', url: string, payload?: object) =>
      r.app.inject({ method, url, payload, headers: { authorization: `Bearer ${ADMIN}` } });
    const settingsOn = async (r: Runtime) =>
      (await admin(r, 'GET', '/admin/v1/settings/circuitBreaker')).json();
    const circuitOn = async (r: Runtime, name: string) =>
      (await r.app.inject({ method: 'GET', url: '/readyz' })).json().circuits[name] ?? 'closed';
    const fail = (r: Runtime) =>
      r.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'flaky', messages: [{ role: 'user', content: 'hi' }] },
        headers: { authorization: `Bearer ${ADMIN}` },
      });

    const start = (await settingsOn(one!)).config_revision;
    const patched = await admin(one!, 'PATCH', '/admin/v1/settings/circuitBreaker', {
      failureThreshold: 1,
    });
    expect(patched.statusCode).toBe(200);
    await waitFor(async () => expect((await settingsOn(two!)).failureThreshold).toBe(1));
    // Replica two's breaker opens on its first failure: the threshold it heard of.
    await fail(two!);
    expect(await circuitOn(two!, 'flaky')).toBe('open');
    // Circuits stay per replica: one has seen no failure.
    expect(await circuitOn(one!, 'flaky')).toBe('closed');

    const back = await admin(two!, 'POST', '/admin/v1/config/rollback', { revision: start });
    expect(back.statusCode).toBe(200);
    await waitFor(async () => expect((await settingsOn(one!)).failureThreshold).toBe(5));
    await fail(one!);
    expect(await circuitOn(one!, 'flaky')).toBe('closed');
  });
});
