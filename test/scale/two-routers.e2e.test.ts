// Two real router processes (the built server) sharing one Redis and one PostgreSQL, called by a
// round-robin client as a load balancer would: the router's rate limit holds across both, a live
// config change made through one reaches the other, and both write one request log.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { dropSchema, PG_URL, pgAvailable } from '../helpers/postgres.js';
import { spawnServers, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';
import { REDIS_URL, cleanupPrefix, redisAvailable, uniquePrefix } from '../redis/redis-helpers.js';

const available = (await redisAvailable()) && (await pgAvailable('the two-router test'));
const LIMIT = 300;
const ADMIN_KEY = 'mr-test-admin-key-two-routers';

describe.skipIf(!available)(
  'two routers on one Redis and one PostgreSQL, behind round robin',
  () => {
    const prefix = uniquePrefix('replicas');
    const schema = `mr_scale_${process.pid}_${Date.now()}`;
    let replicas: SpawnedServer[] = [];
    let next = 0;
    let sent = 0;
    /** The load balancer: each call goes to the next replica. */
    const roundRobin = (path: string, init?: RequestInit) => {
      const base = replicas[next++ % replicas.length]!.baseUrl;
      return fetch(`${base}${path}`, init);
    };
    const chat = async (headers: Record<string, string> = {}) => {
      sent++;
      const r = await roundRobin('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          model: 'model-router',
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
      await r.arrayBuffer();
      return r;
    };

    beforeAll(async () => {
      const config: ConfigInput = testConfigInput({
        // A Redis command slower than the timeout counts as Redis down and the replica serves on
        // its local limit (onFailure: open, tested in test/redis/redis-failure.test.ts); on a busy
        // CI machine 200 ms is passed now and then, which admitted 15 too many here once. This test
        // is about the shared limit, so it gives Redis time.
        state: { kind: 'redis', redisUrl: REDIS_URL, prefix, commandTimeoutMs: 2000 },
        requestLog: { kind: 'postgres', postgresUrl: PG_URL, postgresSchema: schema },
        auth: { mode: 'none', adminKeyEnv: 'MR_ADMIN_KEY' },
      });
      config.routers = [
        {
          name: 'model-router',
          modelSubset: ['big', 'mid', 'small'],
          rateLimit: { rpm: LIMIT, tpm: 10_000_000 },
        },
      ];
      const env = { MR_ADMIN_KEY: ADMIN_KEY };
      replicas = await spawnServers([
        { config, env },
        { config, env },
      ]);
      // Both replicas must be serving from Redis (not their local fallback) before the test starts.
      for (const s of replicas) {
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
      await Promise.all(replicas.map((r) => r.stop()));
      await cleanupPrefix(prefix);
      await dropSchema(schema);
    });

    let admitted = 0;
    let limited = 0;

    it(`admits ${LIMIT} requests per minute across both replicas, within 2%`, async () => {
      // The limit is a GCRA: after the burst of LIMIT, one more request is admitted every
      // 60 s / LIMIT. On a busy machine the 800 requests take seconds, so the allowance earned
      // meanwhile is counted (a limit held per replica would admit 2 × LIMIT).
      const started = performance.now();
      for (let i = 0; i < 800; i += 20) {
        const replies = await Promise.all(Array.from({ length: 20 }, () => chat()));
        for (const r of replies) {
          if (r.status === 200) admitted++;
          else if (r.status === 429) {
            limited++;
            expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
          } else throw new Error(`unexpected status ${r.status}`);
        }
      }
      const refilled = Math.ceil((performance.now() - started) / (60_000 / LIMIT));
      expect(admitted + limited).toBe(800);
      expect(admitted).toBeGreaterThanOrEqual(LIMIT * 0.98);
      expect(admitted).toBeLessThanOrEqual(LIMIT * 1.02 + refilled);
    }, 60_000);

    it('a live config change made through one replica holds on both within 5 seconds', async () => {
      const patch = await roundRobin('/admin/v1/routers/model-router', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({
          routingMode: 'quality',
          rateLimit: { rpm: 100_000, tpm: 10_000_000 },
        }),
      });
      expect(patch.status).toBe(200);
      // Every replica lists the new mode and routes with it (the limit was raised in the same change).
      const started = Date.now();
      const seen = new Map<string, string>();
      while (Date.now() - started < 5_000) {
        for (const s of replicas) {
          const list = (await (await fetch(`${s.baseUrl}/v1/models`)).json()) as {
            data: { id: string; routing_mode?: string }[];
          };
          seen.set(s.baseUrl, list.data.find((m) => m.id === 'model-router')?.routing_mode ?? '');
        }
        if ([...seen.values()].every((m) => m === 'quality')) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect([...seen.values()]).toEqual(['quality', 'quality']);
      for (let i = 0; i < 4; i++) {
        const r = await chat();
        expect(r.status).toBe(200);
        expect(r.headers.get('x-router-mode')).toBe('quality');
      }
    }, 15_000);

    it('both replicas write one request log: every request, once, with the same numbers', async () => {
      // SIGTERM drains and flushes each replica's batch.
      await Promise.all(replicas.map((r) => r.stop()));
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        const { rows } = await c.query<{ status: number; n: string; ids: string }>(
          `SELECT status, count(*) AS n, count(DISTINCT request_id) AS ids FROM "${schema}".requests GROUP BY status ORDER BY status`,
        );
        const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
        expect(byStatus).toEqual({ 200: admitted + 4, 429: limited });
        expect(rows.reduce((a, r) => a + Number(r.ids), 0)).toBe(sent);
        const modes = await c.query<{ routing_mode: string; n: string }>(
          `SELECT routing_mode, count(*) AS n FROM "${schema}".requests WHERE status = 200 GROUP BY routing_mode ORDER BY routing_mode`,
        );
        expect(Object.fromEntries(modes.rows.map((r) => [r.routing_mode, Number(r.n)]))).toEqual({
          balanced: admitted,
          quality: 4,
        });
      } finally {
        await c.end();
      }
    }, 30_000);
  },
);
