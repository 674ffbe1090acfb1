// The x-ratelimit-* headers of a router's limit, which every tenant shares: by default
// (`rateLimits.headers: tenant`) each tenant's headers count only its own requests, so no tenant
// reads another's volume from them; a refusal by the shared bucket says only "none left now, try
// again in…" (what retry-after says anyway). `shared` keeps the shared bucket's level (before
// 2026-12-07, the only behaviour). In memory and on the real Redis (two replicas).
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { parseConfig } from '../src/config/load-config.js';
import { createManualClock } from '../src/core/clock.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { testConfigInput } from './helpers/test-config.js';
import { cleanupPrefix, redisAvailable, REDIS_URL } from './redis/redis-helpers.js';

const redis = await redisAvailable();
const KEY_A = 'mr-tenant-a-key-0123456789';
const KEY_B = 'mr-tenant-b-key-0123456789';

function configWith(extra: Record<string, unknown>) {
  return parseConfig(
    testConfigInput({
      auth: {
        mode: 'keys',
        keys: [
          { id: 'a', hash: hashApiKey(KEY_A), tenant: 'team-a', scopes: ['*'] },
          { id: 'b', hash: hashApiKey(KEY_B), tenant: 'team-b', scopes: ['*'] },
        ],
      },
      routers: [
        {
          name: 'model-router',
          modelSubset: ['big', 'mid', 'small'],
          rateLimit: { rpm: 10, tpm: 100_000 },
        },
      ],
      ...extra,
    }),
    {},
  ).config;
}

const send = (rt: Runtime, key: string) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}` },
    payload: { model: 'model-router', messages: [{ role: 'user', content: 'hello' }] },
  });

/** Team A sends 6 requests (through `a`), then team B one (through `b`): B's headers. */
async function afterOtherTenant(a: Runtime, b: Runtime) {
  for (let i = 0; i < 6; i++) expect((await send(a, KEY_A)).statusCode).toBe(200);
  const res = await send(b, KEY_B);
  expect(res.statusCode).toBe(200);
  return res;
}

describe("router limits' headers across tenants", () => {
  it('by default a tenant sees its own use of a shared limit, never another tenant’s', async () => {
    const rt = await createRuntime(configWith({}), { clock: createManualClock() });
    try {
      const res = await afterOtherTenant(rt, rt);
      expect(res.headers['x-ratelimit-limit-requests']).toBe('10');
      // Team A's six requests are not in team B's count.
      expect(res.headers['x-ratelimit-remaining-requests']).toBe('9');
      const tokensLeft = Number(res.headers['x-ratelimit-remaining-tokens']);
      expect(100_000 - tokensLeft).toBeLessThan(100);
      // Team A's own count goes on from its own six.
      expect((await send(rt, KEY_A)).headers['x-ratelimit-remaining-requests']).toBe('3');
      // The shared bucket is spent (7 + 1 + 2 = 10): team B, with 8 of its own left, is refused,
      // and its headers say none is left now and when one is, not how much the others used.
      expect((await send(rt, KEY_B)).statusCode).toBe(200);
      expect((await send(rt, KEY_B)).statusCode).toBe(200);
      const refused = await send(rt, KEY_B);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
      // Reset: when its own three are back (18 s), never sooner than it fits (retry-after, 6 s).
      expect(refused.headers['x-ratelimit-reset-requests']).toBe('18s');
      expect(refused.headers['retry-after']).toBe('6');
      expect(refused.json().error.message).not.toContain('Used');
      // Anthropic's names carry the same figures.
      const messages = await rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'x-api-key': KEY_B, 'anthropic-version': '2023-06-01' },
        payload: {
          model: 'model-router',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        },
      });
      expect(messages.statusCode).toBe(429);
      expect(messages.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
    } finally {
      await rt.close();
    }
  });

  it('`rateLimits.headers: shared` reports the shared bucket, as before', async () => {
    const config = configWith({ rateLimits: { headers: 'shared' } });
    const rt = await createRuntime(config, { clock: createManualClock() });
    try {
      const res = await afterOtherTenant(rt, rt);
      expect(res.headers['x-ratelimit-remaining-requests']).toBe('3');
    } finally {
      await rt.close();
    }
  });

  it.skipIf(!redis)('on Redis, across replicas, a tenant sees its own use only', async () => {
    const prefix = `hE:tenant-headers:${process.pid}:`;
    const config = configWith({
      state: { kind: 'redis', redisUrl: REDIS_URL, prefix, commandTimeoutMs: 1000 },
    });
    const clock = createManualClock();
    const one = await createRuntime(config, { clock });
    const two = await createRuntime(config, { clock });
    try {
      const res = await afterOtherTenant(one, two);
      expect(res.headers['x-ratelimit-remaining-requests']).toBe('9');
      // Team A's count is shared by the replicas: its seventh request, on the other one, says 3.
      expect((await send(two, KEY_A)).headers['x-ratelimit-remaining-requests']).toBe('3');
      // And the shared limit still holds across both: 2 more, then a refusal on either replica.
      expect((await send(one, KEY_B)).statusCode).toBe(200);
      expect((await send(two, KEY_B)).statusCode).toBe(200);
      for (const rt of [one, two]) {
        const refused = await send(rt, KEY_B);
        expect(refused.statusCode).toBe(429);
        expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
      }
    } finally {
      await one.close();
      await two.close();
      await cleanupPrefix(prefix);
    }
  });
});
