// The rate-limit queue (rateLimits.queue, x-router-max-wait-ms) through the whole router
// (createRuntime + app.inject) on the real clock: a key of 60 RPM frees a slot every second once
// its burst is spent, so of requests sent together that may wait 3 s at most one is admitted at
// once and the others after a real wait, and one that may wait 10 ms gets its 429. Asserts on
// statuses and headers, never on elapsed time (a slow machine changes which request waits, not
// whether one does).
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { parseConfig } from '../src/config/load-config.js';
import { createRuntime } from '../src/runtime.js';
import { simEmbeddingDeployment, testConfigInput } from './helpers/test-config.js';

const KEY = 'mr-batch-key-0123456789';
const RPM = 60;

async function runtime(maxWaitMs: number) {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        {
          id: 'batch',
          hash: hashApiKey(KEY),
          tenant: 'batch',
          scopes: ['*'],
          rateLimit: { rpm: RPM },
        },
      ],
    },
    // The router's own limit (250 RPM by default) raised out of the way: the key's is tested.
    routers: [
      {
        name: 'model-router',
        modelSubset: ['big', 'mid', 'small'],
        rateLimit: { rpm: 100_000, tpm: 100_000_000 },
      },
    ],
    rateLimits: { queue: { maxWaitMs, maxWaiting: 10 } },
  });
  input.deployments.push(simEmbeddingDeployment('embed', { simulation: { dimensions: 8 } }));
  return createRuntime(parseConfig(input, {}).config);
}

describe('rate-limit queue through the router', () => {
  it('serves a request that may wait once a slot frees up; one that may not gets the 429', async () => {
    const rt = await runtime(5000);
    try {
      const chat = (maxWait?: number) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: {
            authorization: `Bearer ${KEY}`,
            ...(maxWait !== undefined ? { 'x-router-max-wait-ms': String(maxWait) } : {}),
          },
          payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
        });
      // Spend the burst (slots refill while we send, so send until one is refused).
      let refused = 0;
      for (let i = 0; i < RPM * 2 && refused === 0; i++)
        if ((await chat()).statusCode === 429) refused++;
      expect(refused).toBe(1);

      // Two chat requests and one for embeddings (which admits through the same code), sent
      // together: one slot frees a second, so at least two of them wait for theirs.
      const [first, second, embedded] = await Promise.all([
        chat(3000),
        chat(3000),
        rt.app.inject({
          method: 'POST',
          url: '/v1/embeddings',
          headers: { authorization: `Bearer ${KEY}`, 'x-router-max-wait-ms': '3000' },
          payload: { model: 'embed', input: ['hello'] },
        }),
      ]);
      const served = [first!, second!, embedded!];
      expect(served.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      const waited = served
        .map((r) => Number(r.headers['x-router-queued-ms']))
        .filter((ms) => ms >= 1 && ms <= 3000);
      expect(waited.length).toBeGreaterThanOrEqual(2);
      expect(first!.headers['x-ratelimit-limit-requests']).toBe(String(RPM));

      // The last slot was just taken and the next is a second away: 10 ms of patience is not enough.
      const impatient = await chat(10);
      expect(impatient.statusCode).toBe(429);
      expect(impatient.json().error.code).toBe('rate_limit_exceeded');
      expect(impatient.headers['retry-after']).toBe('1');
      expect(impatient.headers['x-ratelimit-remaining-requests']).toBe('0');
      expect(impatient.headers['x-router-queued-ms']).toBeUndefined();

      const metrics = (await rt.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(
        /^model_router_rate_limit_queue_wait_seconds_count\{router="model-router"\} [1-9]/m,
      );
      expect(metrics).toMatch(
        /^model_router_rate_limit_queue_waiting\{router="model-router"\} 0$/m,
      );
    } finally {
      await rt.close();
    }
  });

  it('with the queue off the header changes nothing: the 429 at once', async () => {
    const rt = await runtime(0);
    try {
      const chat = (maxWait?: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: {
            authorization: `Bearer ${KEY}`,
            ...(maxWait !== undefined ? { 'x-router-max-wait-ms': maxWait } : {}),
          },
          payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
        });
      let refused = 0;
      for (let i = 0; i < RPM * 2 && refused === 0; i++)
        if ((await chat('not a number')).statusCode === 429) refused++;
      expect(refused).toBe(1);
      const r = await chat('5000');
      expect(r.statusCode).toBe(429);
      expect(r.headers['x-router-queued-ms']).toBeUndefined();
    } finally {
      await rt.close();
    }
  });
});
