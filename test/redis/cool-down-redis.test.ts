// Cool-downs shared through the real Redis: an upstream that answers one replica with 429 and
// "retry after 30 s" is skipped by the other replica too, without a refused call of its own.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Runtime } from '../../src/runtime.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';
import { redisStateInput, redisSuite } from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const suite = await redisSuite();
const prefix = suite.prefix('cool-down');

function replicaConfig() {
  const input = testConfigInput({
    deployments: [
      simDeployment('ptu', {
        model: 'gpt-4.1',
        simulation: { ttftMs: 0, answerTokens: 5, failure: { kind: '429', retryAfterSeconds: 30 } },
      }),
      simDeployment('paygo', { model: 'gpt-4.1' }),
    ],
    routers: [],
    pools: [{ name: 'gpt-pool', deployments: ['ptu', 'paygo'], strategy: 'priority' }],
    state: redisStateInput(prefix),
    requestLog: { kind: 'none' },
  });
  return parseConfig(input, {}).config;
}

describe.skipIf(!suite.available)('cool-downs on Redis', () => {
  it("one replica's 429 with retry-after takes the deployment out of rotation on the other", async () => {
    const [one, two] = [await suite.runtime(replicaConfig()), await suite.runtime(replicaConfig())];
    const send = (r: Runtime) =>
      r.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'gpt-pool', messages: [{ role: 'user', content: 'hi' }] },
      });
    const coolingOn = async (r: Runtime) =>
      (await r.app.inject({ method: 'GET', url: '/readyz' })).json().cooling_down;
    expect(await coolingOn(two!)).toEqual({});
    // Replica one calls ptu, is told to wait 30 s, and spills over to paygo.
    const first = await send(one!);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-router-attempts']).toBe('2');
    expect(first.headers['x-router-deployment']).toBe('paygo');
    // Replica two hears of it (pub/sub) and goes to paygo at once: one attempt, no refused call.
    await waitFor(async () => expect((await coolingOn(two!)).ptu).toBeGreaterThan(25));
    const second = await send(two!);
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-router-deployment']).toBe('paygo');
    expect(second.headers['x-router-attempts']).toBe('1');
  });
});
