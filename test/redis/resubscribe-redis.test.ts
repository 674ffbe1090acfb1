// A replica whose subscription connection to Redis drops while Redis stays up (a client kill, an
// output-buffer limit, a proxy's idle timeout) missed what was published meanwhile; once the
// connection is back it reads the config versions and keys again. Until 2026-12-06 it caught up
// only when Redis itself had been away, so a revoked key kept working there, and its config stayed
// old, until some later change happened to reach it (multi-replica audit, high). Real Redis: the
// subscriber connections of this test's two replicas are killed by name (`CLIENT KILL`).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { REDIS_URL, redisSuite } from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const suite = await redisSuite();
const prefix = suite.prefix('resubscribe');
const ADMIN = 'mr-resubscribe-admin-0123456789';

/** Kills this test's subscriber connections (by the name RedisState gives them); how many. */
async function killSubscribers(): Promise<number> {
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const list = String(await admin.client('LIST'));
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=model-router-sub:${prefix} `))
      .map((line) => /\bid=(\d+)/.exec(line)![1]!);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    admin.disconnect();
  }
}

describe.skipIf(!suite.available)('a subscription connection that drops (real Redis)', () => {
  it('catches up with the keys revoked and the config changed while it was down', async () => {
    const a = await suite.replica(prefix, { adminKey: ADMIN });
    const b = await suite.replica(prefix, { adminKey: ADMIN });
    const call = (
      r: Runtime,
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      key = ADMIN,
      payload?: object,
    ) => r.app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } });
    for (let round = 0; round < 3; round++) {
      const issued = await call(a, 'POST', '/admin/v1/keys', ADMIN, { tenant: `t${round}` });
      const key = issued.json().key as string;
      const id = issued.json().record.id as string;
      await waitFor(async () =>
        expect((await call(b, 'GET', '/v1/models', key)).statusCode).toBe(200),
      );
      expect(await killSubscribers()).toBe(2);
      // While the subscribers reconnect: a revocation and a config change through A.
      expect((await call(a, 'DELETE', `/admin/v1/keys/${id}`)).statusCode).toBe(200);
      const changed = await call(a, 'PATCH', '/admin/v1/routers/model-router', ADMIN, {
        routingMode: round % 2 ? 'balanced' : 'cost',
      });
      expect(changed.statusCode).toBe(200);
      await waitFor(
        async () => {
          expect((await call(b, 'GET', '/v1/models', key)).statusCode).toBe(401);
          expect(b.config.current.revision).toBe(changed.json().config_revision);
        },
        { interval: 50 },
      );
    }
  }, 60_000);
});
