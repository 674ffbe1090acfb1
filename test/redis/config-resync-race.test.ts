// Replicas on different revisions when Redis loses its data. A replica that missed the newest
// config version (cut off from Redis while an admin changed the config through another) and
// answered first once Redis came back empty recorded its older config again, numbered as the
// revision the others ran: they ignored it, and the fleet split, the replica behind on the config
// the admin had changed and the others on the change, both under one revision number, until the
// next change (until 2026-12-07; hG's lost-store work left it). Now the highest revision any
// replica ran wins: a replica that finds the store's newest version below its own, or at its own
// number but another config, records its own again, numbered after it, and every replica takes
// it. Each replica reaches Redis through its own loopback proxy, so the test chooses which one
// answers first (no sleeps).
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import {
  adminReplicaInput,
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  startRedisProxy,
  uniquePrefix,
  type RedisProxy,
} from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const available = await redisAvailable();
/** This suite's loopback ports, for its proxies (hG2's range). */
const PORTS = [47175, 47186] as const;
const ADMIN = 'mr-resync-race-admin-0123456789';

const prefixes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  for (const p of prefixes) await cleanupPrefix(p);
});

/** A replica whose only way to Redis is `proxy`. */
async function replica(prefix: string, proxy: RedisProxy): Promise<Runtime> {
  const input = adminReplicaInput(prefix, ADMIN);
  input.state = { kind: 'redis', redisUrl: proxy.url, prefix, commandTimeoutMs: 1000 };
  const runtime = await createRuntime(parseConfig(input, {}).config);
  cleanups.push(() => runtime.close());
  return runtime;
}

async function proxyInRange(): Promise<RedisProxy> {
  const proxy = await startRedisProxy(...PORTS);
  cleanups.push(() => proxy.cut());
  return proxy;
}

const patchMode = async (r: Runtime, routingMode: string) =>
  (
    await r.app.inject({
      method: 'PATCH',
      url: '/admin/v1/routers/model-router',
      payload: { routingMode },
      headers: { authorization: `Bearer ${ADMIN}` },
    })
  ).statusCode;
const modeOf = (r: Runtime) =>
  r.config.current.config.routers.find((x) => x.name === 'model-router')!.routingMode;
const serving = async (r: Runtime) =>
  (await r.app.inject({ method: 'GET', url: '/readyz' })).json().shared_state.serving as string;

/** The config versions Redis holds under `prefix`, newest first. */
async function storedVersions(prefix: string): Promise<{ version: number; who: string }[]> {
  const client = new Redis(REDIS_URL);
  try {
    const raw = await client.hgetall(`${prefix}config:versions`);
    return Object.values(raw)
      .map((json) => JSON.parse(json) as { version: number; who: string; resyncOf?: number })
      .sort((x, y) => y.version - x.version);
  } finally {
    client.disconnect();
  }
}

/**
 * Two replicas on `balanced`; B is cut off from Redis, then an admin changes the mode to
 * `quality` through A. B still runs the revision before (`cost`).
 */
async function fleetWithReplicaBehind() {
  const prefix = uniquePrefix('hG2-resync-race');
  prefixes.push(prefix);
  const [pa, pb] = [await proxyInRange(), await proxyInRange()];
  const a = await replica(prefix, pa);
  const b = await replica(prefix, pb);
  expect(await patchMode(a, 'cost')).toBe(200);
  await waitFor(() => expect(modeOf(b)).toBe('cost'));
  await pb.cut();
  await waitFor(async () => expect(await serving(b)).toBe('local'));
  expect(await patchMode(a, 'quality')).toBe(200);
  const newest = a.config.current.revision;
  expect(b.config.current.revision).toBe(newest - 1);
  expect(modeOf(b)).toBe('cost');
  return { prefix, a, b, pa, pb, newest };
}

describe.skipIf(!available)('replicas on different revisions when Redis loses its data', () => {
  it('the replica behind answers first after Redis came back empty: the newest revision wins', async () => {
    const { prefix, a, b, pa, pb, newest } = await fleetWithReplicaBehind();
    await pa.cut();
    await waitFor(async () => expect(await serving(a)).toBe('local'));
    // Redis comes back empty, and B (behind) reaches it first: it records `cost` again.
    await cleanupPrefix(prefix);
    await pb.resume();
    await waitFor(async () => expect((await storedVersions(prefix))[0]?.who).toBe('resync'));
    expect(modeOf(b)).toBe('cost');

    await pa.resume();
    await waitFor(() => expect([modeOf(a), modeOf(b)]).toEqual(['quality', 'quality']));
    await waitFor(() => expect(b.config.current.revision).toBe(a.config.current.revision));
    expect(a.config.current.revision).toBeGreaterThan(newest);
    // What Redis holds says so too: a replica started now runs `quality`.
    const [latest] = await storedVersions(prefix);
    expect(latest).toMatchObject({
      version: a.config.current.revision,
      who: 'resync',
      resyncOf: newest,
    });
  }, 60_000);

  it('a flush while only the replica behind was cut off: the others answer its record', async () => {
    const { prefix, a, b, pb, newest } = await fleetWithReplicaBehind();
    // A stays connected (it sees no outage, so it has no resync of its own); Redis is flushed.
    await cleanupPrefix(prefix);
    await pb.resume();
    await waitFor(() => expect([modeOf(a), modeOf(b)]).toEqual(['quality', 'quality']));
    await waitFor(() => expect(b.config.current.revision).toBe(a.config.current.revision));
    expect(a.config.current.revision).toBeGreaterThan(newest);
    // And the next change, through the replica that was behind, builds on the newest revision.
    expect(await patchMode(b, 'cost')).toBe(200);
    await waitFor(() => expect(modeOf(a)).toBe('cost'));
  }, 60_000);
});
