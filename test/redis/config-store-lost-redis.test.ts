// A Redis that loses its data (restarted without persistence, flushed, the version sequence
// evicted) while replicas run the config it held. Until 2026-12-07 the next version was numbered
// 1 again: an admin change answered 200 with the old values and applied on no replica (each ran a
// higher revision and ignored it), a file reload applied on one replica only, and a replica started
// afterwards ran its config file while the others kept the admin changes (hG's audit, three
// replicas on one redis-server stopped by PID), and the keys issued and revoked through the admin
// API were forgotten: a revoked config key (a leaked one) worked again on every replica. Now a
// version is numbered after the newest stored and the recording replica's revision, replicas that
// find the store emptied when Redis answers again record the live config once more, and a replica
// that finds no keys nor revocations there writes back those it knows.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { Runtime } from '../../src/runtime.js';
import {
  adminReplicaInput,
  cleanupPrefix,
  freePort,
  REDIS_URL,
  redisServerUsable,
  redisStateInput,
  redisSuite,
  startRedisServer,
  uniquePrefix,
} from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

/** Prefixes and replicas (and the test's own redis-server), cleaned up. */
const suite = await redisSuite();
const { available } = suite;
const hasRedisServer = await redisServerUsable('the lost-store restart test');
const ADMIN = 'mr-cfg-lost-admin-0123456789';
/** A key of the config file, revoked through the admin API as a leaked one would be. */
const LEAKED = 'mr-cfg-lost-leaked-0123456789';

function replicaConfig(prefix: string, redisUrl = REDIS_URL) {
  const input = adminReplicaInput(prefix, ADMIN);
  input.auth!.keys!.push({ id: 'leaked', hash: hashApiKey(LEAKED), tenant: 't', scopes: ['*'] });
  input.state = redisStateInput(prefix, redisUrl);
  return parseConfig(input, {}).config;
}

const patchRouter = (r: Runtime, payload: object) =>
  r.app.inject({
    method: 'PATCH',
    url: '/admin/v1/routers/model-router',
    payload,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
/** The status a chat request with `key` gets from replica `r`. */
const chatWith = async (r: Runtime, key: string) =>
  (
    await r.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
      headers: { authorization: `Bearer ${key}` },
    })
  ).statusCode;
const adminCall = (r: Runtime, method: 'POST' | 'DELETE', url: string, payload?: object) =>
  r.app.inject({ method, url, payload, headers: { authorization: `Bearer ${ADMIN}` } });
const modeOf = (r: Runtime) =>
  r.config.current.config.routers.find((x) => x.name === 'model-router')!.routingMode;

describe.skipIf(!available)('the config store emptied under running replicas (real Redis)', () => {
  it('an admin change after the store was flushed applies on every replica', async () => {
    const prefix = suite.prefix('cfg-lost-flush');
    const a = await suite.runtime(replicaConfig(prefix));
    const b = await suite.runtime(replicaConfig(prefix));
    expect((await patchRouter(a, { routingMode: 'cost' })).statusCode).toBe(200);
    await waitFor(() => expect(modeOf(b)).toBe('cost'));
    const before = a.config.current.revision;

    // Every key of the fleet gone, as after a FLUSHALL (Redis itself stays up).
    await cleanupPrefix(prefix);

    const res = await patchRouter(b, { routingMode: 'quality' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ routingMode: 'quality' });
    expect(res.json().config_revision).toBeGreaterThan(before);
    await waitFor(() => expect([modeOf(a), modeOf(b)]).toEqual(['quality', 'quality']));
    expect(a.config.current.revision).toBe(b.config.current.revision);
  }, 30_000);

  it('a revoked key stays revoked and an issued one works after the store was flushed', async () => {
    const prefix = suite.prefix('keys-lost-flush');
    const a = await suite.runtime(replicaConfig(prefix));
    const b = await suite.runtime(replicaConfig(prefix));
    const issued = await adminCall(a, 'POST', '/admin/v1/keys', { id: 'team', tenant: 'team' });
    const teamKey = issued.json().key as string;
    expect((await adminCall(a, 'DELETE', '/admin/v1/keys/leaked')).statusCode).toBe(200);
    await waitFor(async () => expect(await chatWith(b, LEAKED)).toBe(401));
    expect(await chatWith(b, teamKey)).toBe(200);

    await cleanupPrefix(prefix);
    // The next key change reads the store (an issue through B), and every replica reloads.
    expect(
      (await adminCall(b, 'POST', '/admin/v1/keys', { id: 'next', tenant: 'n' })).statusCode,
    ).toBe(201);
    await waitFor(async () =>
      expect(
        (await adminCall(a, 'POST', '/admin/v1/keys', { id: 'next', tenant: 'n' })).statusCode,
      ).toBe(409),
    );
    for (const r of [a, b]) {
      expect(await chatWith(r, LEAKED)).toBe(401);
      expect(await chatWith(r, teamKey)).toBe(200);
    }
  }, 30_000);
});

describe.skipIf(!hasRedisServer)('Redis restarted empty under running replicas', () => {
  it('they record the live config again, and a replica started afterwards runs it', async () => {
    const port = await freePort();
    let server = await startRedisServer(port);
    // Stopped after the replicas are closed: whichever server runs then.
    suite.cleanup(() => server.stop());
    // On its own redis-server: nothing to clean up on the shared one.
    const prefix = uniquePrefix('cfg-lost-restart');
    const config = () => replicaConfig(prefix, server.url);
    const a = await suite.runtime(config());
    const b = await suite.runtime(config());
    // An admin change the config file does not have, a key issued and a config key revoked.
    expect((await patchRouter(a, { routingMode: 'quality' })).statusCode).toBe(200);
    await waitFor(() => expect(modeOf(b)).toBe('quality'));
    const issued = await adminCall(a, 'POST', '/admin/v1/keys', { id: 'team', tenant: 'team' });
    expect(issued.statusCode).toBe(201);
    const teamKey = issued.json().key as string;
    expect((await adminCall(a, 'DELETE', '/admin/v1/keys/leaked')).statusCode).toBe(200);
    await waitFor(async () => expect(await chatWith(b, LEAKED)).toBe(401));
    const revision = a.config.current.revision;

    await server.stop();
    const serving = async (r: Runtime) =>
      (await r.app.inject({ method: 'GET', url: '/readyz' })).json().shared_state.serving;
    await waitFor(async () => expect(await serving(a)).toBe('local'));
    server = await startRedisServer(port); // no persistence: it comes back empty

    // Both resync; one records the live config again, numbered after the revision they ran.
    const client = new Redis(server.url);
    try {
      await waitFor(
        async () => {
          const versions = Object.keys(await client.hgetall(`${prefix}config:versions`));
          expect(versions.map(Number).some((v) => v > revision)).toBe(true);
        },
        { timeout: 10_000, interval: 100 },
      );
    } finally {
      client.disconnect();
    }
    await waitFor(() => expect(b.config.current.revision).toBe(a.config.current.revision));
    expect([modeOf(a), modeOf(b)]).toEqual(['quality', 'quality']);
    // The keys too: the revoked one stays revoked, the issued one works, on both and in Redis.
    for (const r of [a, b]) {
      expect(await chatWith(r, LEAKED)).toBe(401);
      expect(await chatWith(r, teamKey)).toBe(200);
    }

    // A replica started now, on the same config file, runs the live config (the file unchanged).
    const c = await suite.runtime(config());
    expect(modeOf(c)).toBe('quality');
    expect(c.config.current.revision).toBe(a.config.current.revision);
    expect([await chatWith(c, LEAKED), await chatWith(c, teamKey)]).toEqual([401, 200]);

    // And a change made through it reaches the others.
    expect((await patchRouter(c, { routingMode: 'cost' })).statusCode).toBe(200);
    await waitFor(() =>
      expect([modeOf(a), modeOf(b), modeOf(c)]).toEqual(['cost', 'cost', 'cost']),
    );
  }, 60_000);
});
