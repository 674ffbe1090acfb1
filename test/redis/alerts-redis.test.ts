// Alerts with several replicas on the real Redis: an event about one subject is sent once between
// them (the first to increment the shared counter sends it), and again after its window.
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { Alerter, circuitAlert } from '../../src/telemetry/alerts.js';
import { cleanupPrefix, redisAvailable, REDIS_URL, uniquePrefix } from './redis-helpers.js';
import { WAIT_TIMEOUT_MS } from '../helpers/wait-for.js';

const available = await redisAvailable();
const prefix = uniquePrefix('alerts');

describe.skipIf(!available)('alerts on Redis', () => {
  const states: RedisState[] = [];
  afterAll(async () => {
    for (const s of states) await s.close();
    await cleanupPrefix(prefix);
  });

  it('three replicas that see the same circuit open send one alert', async () => {
    const sent: string[] = [];
    const replicas = [0, 1, 2].map((i) => {
      const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
      states.push(state);
      return new Alerter({
        config: () => ({
          webhooks: [
            {
              url: 'http://127.0.0.1:9/hook',
              events: ['circuit_open'],
              format: 'json',
            },
          ],
          minIntervalSeconds: 1,
          timeoutMs: 1000,
        }),
        state,
        clock: systemClock,
        post: async (_url, body) => {
          sent.push(`${i}:${JSON.parse(body).subject}`);
          return 200;
        },
      });
    });
    await Promise.all(states.map((s) => s.waitUntilReady(WAIT_TIMEOUT_MS)));
    for (const r of replicas) r.emit(circuitAlert('gpt-4.1', 'open'));
    await Promise.all(replicas.map((r) => r.idle()));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^\d:gpt-4\.1$/);
    // After the window (1 s) the shared counter has expired: one of them sends it again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const r of replicas) r.emit(circuitAlert('gpt-4.1', 'open'));
    await Promise.all(replicas.map((r) => r.idle()));
    expect(sent).toHaveLength(2);
  });
});
