// A refusal because no deployment can take the request now says when one can: a deployment's own
// RPM limit gives the wait its bucket needs, an open circuit the time it stays open (through the
// whole router: createRuntime, a manual clock, the simulated fleet).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createManualClock } from '../core/clock.js';
import { createRuntime } from '../runtime.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';

async function runtime() {
  const clock = createManualClock();
  const input = testConfigInput();
  input.deployments.push(
    simDeployment('limited', { rateLimit: { rpm: 4 }, simulation: { ttftMs: 0 } }),
    simDeployment('flaky', {
      simulation: { ttftMs: 0, failure: { kind: '500' } },
      circuitBreaker: { failureThreshold: 1, openMs: 60_000 },
    }),
  );
  const rt = await createRuntime(parseConfig(input, {}).config, { clock });
  const call = (model: string) =>
    rt.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    });
  return { rt, clock, call };
}

describe('retry-after when no deployment can take the request now', () => {
  it("is the wait a deployment's RPM limit needs, not a fixed second", async () => {
    const { rt, clock, call } = await runtime();
    try {
      for (let i = 0; i < 4; i++) expect((await call('limited')).statusCode).toBe(200);
      const refused = await call('limited');
      expect(refused.statusCode).toBe(429);
      // 4 a minute: a slot every 15 s, the first of them taken just now.
      const ms = Number(refused.headers['retry-after-ms']);
      expect(ms).toBeGreaterThan(10_000);
      expect(ms).toBeLessThanOrEqual(15_000);
      expect(refused.headers['retry-after']).toBe(String(Math.ceil(ms / 1000)));
      // Azure's rate-limit headers, as a refusal on the charge path has them: every refusal.
      for (const r of [refused, await call('limited')])
        expect(r.headers).toMatchObject({
          'x-ratelimit-limit-requests': '4',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': expect.stringMatching(/^(\d+(\.\d+)?s|\d+ms|\d+m\d+s)$/),
        });
      // Waiting that long is enough.
      clock.advance(ms);
      expect((await call('limited')).statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('is the time an open circuit has left, not a fixed 5 s', async () => {
    const { rt, clock, call } = await runtime();
    try {
      expect((await call('flaky')).statusCode).toBeGreaterThanOrEqual(500);
      clock.advance(20_000);
      const refused = await call('flaky');
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('no_healthy_deployment');
      expect(refused.headers['retry-after-ms']).toBe('40000');
      expect(refused.headers['retry-after']).toBe('40');
    } finally {
      await rt.close();
    }
  });
});
