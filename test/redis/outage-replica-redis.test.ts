// API keys after a Redis outage, against the real Redis: a replica cut off from Redis (through a
// loopback proxy the test cuts) misses the pub/sub messages of keys revoked, rotated or issued on
// another replica meanwhile; when Redis answers again it reloads the keys, so a key revoked during
// the outage is refused there too and a key issued meanwhile works. A replica that started while
// Redis was away loads the keys issued before once Redis answers. And a replica without Redis
// (from its start, or since) shuts down without waiting for it.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';
import { redisStateInput, redisSuite, type RedisProxy } from './redis-helpers.js';

/** Prefixes, proxies (on this suite's loopback ports) and key stores, cleaned up. */
const suite = await redisSuite([47460, 47479]);

/** Another replica: a key store straight on Redis, where keys are issued and revoked. */
const adminReplica = (prefix: string) => suite.keyStore(prefix);

/** Runtimes a test closed itself. */
const closedByTest = new WeakSet<Runtime>();

/** A router replica whose only way to Redis is `proxy`. */
async function routerReplica(prefix: string, proxy: RedisProxy): Promise<Runtime> {
  const input = testConfigInput({
    auth: { mode: 'keys' },
    state: redisStateInput(prefix, proxy.url),
  });
  const runtime = await createRuntime(parseConfig(input, {}).config);
  suite.cleanup(async () => {
    if (!closedByTest.has(runtime)) await runtime.close();
  });
  return runtime;
}

const modelsStatus = async (r: Runtime, key: string) =>
  (
    await r.app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${key}` },
    })
  ).statusCode;
const serving = async (r: Runtime) =>
  (await r.app.inject({ method: 'GET', url: '/readyz' })).json().shared_state.serving as string;

describe.skipIf(!suite.available)('API keys after a Redis outage', () => {
  it('a replica cut off while keys changed picks the changes up when Redis returns', async () => {
    const prefix = suite.prefix('key-resync');
    const proxy = await suite.proxy();
    const admin = await adminReplica(prefix);
    const router = await routerReplica(prefix, proxy);
    const { key: revokedKey } = await admin.issue({ id: 'leaked', tenant: 'acme' });
    const { key: rotatedKey } = await admin.issue({ id: 'rotated', tenant: 'acme' });
    await expect.poll(() => modelsStatus(router, revokedKey)).toBe(200);
    await expect.poll(() => modelsStatus(router, rotatedKey)).toBe(200);

    await proxy.cut();
    await expect.poll(() => serving(router), { interval: 20 }).toBe('local');
    await admin.revoke('leaked');
    const { key: newSecret } = (await admin.rotate('rotated', 0))!;
    const { key: issuedMeanwhile } = await admin.issue({ id: 'fresh', tenant: 'acme' });
    await proxy.resume();
    await expect.poll(() => serving(router), { interval: 20 }).toBe('redis');

    await expect.poll(() => modelsStatus(router, revokedKey)).toBe(401);
    await expect.poll(() => modelsStatus(router, rotatedKey)).toBe(401);
    expect(await modelsStatus(router, newSecret)).toBe(200);
    expect(await modelsStatus(router, issuedMeanwhile)).toBe(200);
  }, 30_000);

  it('a replica started while Redis was away loads the keys issued before once it answers', async () => {
    const prefix = suite.prefix('key-resync-start');
    const proxy = await suite.proxy();
    const admin = await adminReplica(prefix);
    const { key } = await admin.issue({ id: 'early', tenant: 'acme' });

    await proxy.cut();
    // Until 2026-12-04 start-up waited for Redis without end (a SUBSCRIBE queued for it), then
    // failed on the config-file lock: a replica restarted during an outage never served.
    let timer: NodeJS.Timeout | undefined;
    const router = await Promise.race([
      routerReplica(prefix, proxy),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('start-up waited for Redis')), 15_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(await serving(router)).toBe('local');
    // Keys issued through the admin API live in Redis: unknown here until it answers.
    expect(await modelsStatus(router, key)).toBe(401);
    await proxy.resume();
    await expect.poll(() => serving(router), { interval: 20 }).toBe('redis');
    await expect.poll(() => modelsStatus(router, key)).toBe(200);
  }, 30_000);

  it('a replica without Redis, from its start or since, shuts down without waiting for it', async () => {
    const prefix = suite.prefix('outage-close');
    const proxy = await suite.proxy();
    const wasUp = await routerReplica(prefix, proxy);
    await proxy.cut();
    await expect.poll(() => serving(wasUp), { interval: 20 }).toBe('local');
    const neverUp = await routerReplica(prefix, proxy);
    // Until 2026-12-04 a replica that started without Redis never finished close() (SIGTERM
    // hung until the orchestrator killed it, its request log not flushed): the UNSUBSCRIBE of
    // background responses' cancel channel waited for Redis.
    const closed = (r: Runtime) =>
      closedByTest.add(r) &&
      Promise.race([
        r.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still closing after 10 s'), 10_000)),
      ]);
    expect(await closed(neverUp)).toBe('closed');
    expect(await closed(wasUp)).toBe('closed');
  }, 40_000);
});
