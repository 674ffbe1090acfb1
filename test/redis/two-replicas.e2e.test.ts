// Two real router processes (the built server) sharing one Redis: the router deployment's rate
// limit holds across both, and a config change made on one replica reaches the other within 5 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';
import { REDIS_URL, cleanupPrefix, redisAvailable, uniquePrefix } from './redis-helpers.js';

const available = await redisAvailable();
const LIMIT = 300;
const ADMIN_KEY = 'mr-test-admin-key-two-replicas';

describe.skipIf(!available)('two replicas on one Redis', () => {
  const prefix = uniquePrefix('replicas');
  let a: SpawnedServer;
  let b: SpawnedServer;

  beforeAll(async () => {
    const config: ConfigInput = testConfigInput({
      state: { kind: 'redis', redisUrl: REDIS_URL, prefix },
      auth: { mode: 'none', adminKeyEnv: 'MR_ADMIN_KEY' },
    });
    config.routers = [
      {
        name: 'model-router',
        modelSubset: ['big', 'mid', 'small'],
        rateLimit: { rpm: LIMIT, tpm: 10_000_000 },
      },
    ];
    [a, b] = await Promise.all([
      spawnServer(config, { MR_ADMIN_KEY: ADMIN_KEY }),
      spawnServer(config, { MR_ADMIN_KEY: ADMIN_KEY }),
    ]);
    // Both replicas must be serving from Redis (not their local fallback) before the test starts.
    for (const s of [a, b]) {
      const started = Date.now();
      for (;;) {
        const ready = (await (await fetch(`${s.baseUrl}/readyz`)).json()) as {
          shared_state?: { serving?: string };
        };
        if (ready.shared_state?.serving === 'redis') break;
        if (Date.now() - started > 10_000)
          throw new Error(`replica ${s.baseUrl} never reached Redis: ${JSON.stringify(ready)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cleanupPrefix(prefix);
  });

  it(`admits ${LIMIT} requests per minute across both replicas, within 2%`, async () => {
    const body = JSON.stringify({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
    });
    let admitted = 0;
    let limited = 0;
    const hammer = async (base: string, n: number) => {
      for (let i = 0; i < n; i += 20) {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, () =>
            fetch(`${base}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }).then(async (r) => {
              await r.arrayBuffer();
              if (r.status === 429) expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
              return r.status;
            }),
          ),
        );
        for (const s of statuses) {
          if (s === 200) admitted++;
          else if (s === 429) limited++;
          else throw new Error(`unexpected status ${s}`);
        }
      }
    };
    await Promise.all([hammer(a.baseUrl, 400), hammer(b.baseUrl, 400)]);
    expect(admitted + limited).toBe(800);
    expect(Math.abs(admitted - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.02);
  }, 60_000);

  it('a routing-mode change on one replica takes effect on the other within 5 seconds', async () => {
    const patch = await fetch(`${a.baseUrl}/admin/v1/routers/model-router`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ routingMode: 'quality' }),
    });
    expect(patch.status).toBe(200);
    const started = Date.now();
    let seen = '';
    while (Date.now() - started < 5_000) {
      const r = await fetch(`${b.baseUrl}/v1/models`);
      const list = (await r.json()) as { data: { id: string; routing_mode?: string }[] };
      seen = list.data.find((m) => m.id === 'model-router')?.routing_mode ?? '';
      if (seen === 'quality') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(seen).toBe('quality');
  }, 15_000);
});
