// Alerts with several replicas on the real Redis: an event about one subject is sent once between
// them (the first to increment the shared counter sends it), and again after its window.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { Alerter, circuitAlert } from '../../src/telemetry/alerts.js';
import { redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('alerts');

describe.skipIf(!suite.available)('alerts on Redis', () => {
  it('three replicas that see the same circuit open send one alert', async () => {
    const sent: string[] = [];
    const states = [
      await suite.state(prefix),
      await suite.state(prefix),
      await suite.state(prefix),
    ];
    const replicas = states.map((state, i) => {
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
