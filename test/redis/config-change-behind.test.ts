// A config change made through a replica behind after Redis lost its data. The replica behind
// (cut off while an admin changed the config through another) records what it ran again when it
// finds the store empty, and an admin's change through it is built on that older config. Until
// 2026-12-07 (hRd; hG2's reconcile left it) the replica ahead then either took that lineage whole,
// undoing its own newer revision (the change was numbered above it), or recorded its own again
// over it, dropping the admin's change (numbered at or below it), silently: the admin had a 200.
// Now the replica ahead records its revision again with the changes made since on the replica
// behind's lineage applied on top (on a path both changed, the later change, the admin's through
// the replica behind, wins), and every replica runs that. Each replica reaches Redis through its
// own loopback proxy, so the test chooses which one answers when (no sleeps).
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
/** This suite's loopback ports, for its proxies (hRd's range). */
const PORTS = [47300, 47349] as const;
const ADMIN = 'mr-change-behind-admin-0123456789';

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

const patch = async (r: Runtime, url: string, payload: Record<string, unknown>) =>
  (
    await r.app.inject({
      method: 'PATCH',
      url,
      payload,
      headers: { authorization: `Bearer ${ADMIN}` },
    })
  ).statusCode;
const patchMode = (r: Runtime, routingMode: string) =>
  patch(r, '/admin/v1/routers/model-router', { routingMode });
const patchRpm = (r: Runtime, deployment: string, rpm: number) =>
  patch(r, `/admin/v1/deployments/${deployment}`, { rateLimit: { rpm } });
const modeOf = (r: Runtime) =>
  r.config.current.config.routers.find((x) => x.name === 'model-router')!.routingMode;
const rpmOf = (r: Runtime, deployment: string) =>
  r.config.current.config.deployments.find((d) => d.name === deployment)!.rateLimit?.rpm;
/** What each replica runs: revision, routing mode and the rpm of `big` and `small`. */
const running = (r: Runtime) => ({
  revision: r.config.current.revision,
  mode: modeOf(r),
  big: rpmOf(r, 'big'),
  small: rpmOf(r, 'small'),
});
const serving = async (r: Runtime) =>
  (await r.app.inject({ method: 'GET', url: '/readyz' })).json().shared_state.serving as string;

/** The config versions Redis holds under `prefix`, newest first. */
async function storedVersions(prefix: string) {
  const client = new Redis(REDIS_URL);
  try {
    const raw = await client.hgetall(`${prefix}config:versions`);
    return Object.values(raw)
      .map(
        (json) =>
          JSON.parse(json) as { version: number; who: string; resyncOf?: number; reason: string },
      )
      .sort((x, y) => y.version - x.version);
  } finally {
    client.disconnect();
  }
}

/**
 * Two replicas on `balanced`, then `cost`; B is cut off, and an admin makes `changesAhead` through
 * A. Then A is cut off too, Redis loses its data, and B answers first: it records `cost` again.
 */
async function lossWithReplicaBehind(changesAhead: (a: Runtime) => Promise<void>) {
  const prefix = uniquePrefix('hRd-change-behind');
  prefixes.push(prefix);
  const [pa, pb] = [await proxyInRange(), await proxyInRange()];
  const a = await replica(prefix, pa);
  const b = await replica(prefix, pb);
  expect(await patchMode(a, 'cost')).toBe(200);
  await waitFor(() => expect(modeOf(b)).toBe('cost'));
  await pb.cut();
  await waitFor(async () => expect(await serving(b)).toBe('local'));
  await changesAhead(a);
  const ahead = a.config.current.revision;
  await pa.cut();
  await waitFor(async () => expect(await serving(a)).toBe('local'));
  await cleanupPrefix(prefix);
  await pb.resume();
  await waitFor(async () => expect((await storedVersions(prefix))[0]?.who).toBe('resync'));
  expect(modeOf(b)).toBe('cost');
  return { prefix, a, b, pa, ahead };
}

describe.skipIf(!available)('a change through the replica behind after Redis lost its data', () => {
  it('numbered above the revision ahead: applied on top of it, which is not undone', async () => {
    const { prefix, a, b, pa, ahead } = await lossWithReplicaBehind(async (a) => {
      expect(await patchMode(a, 'quality')).toBe(200);
    });
    expect(await patchRpm(b, 'small', 77)).toBe(200);
    expect(b.config.current.revision).toBeGreaterThan(ahead);

    await pa.resume();
    const both = { mode: 'quality', big: undefined, small: 77 };
    await waitFor(() => expect([running(a), running(b)]).toMatchObject([both, both]));
    await waitFor(() => expect(b.config.current.revision).toBe(a.config.current.revision));
    // A's revision recorded again, then the change made through B on top of it.
    const [merged, own] = await storedVersions(prefix);
    expect(own).toMatchObject({ who: 'resync', resyncOf: ahead });
    expect(merged).toMatchObject({ version: a.config.current.revision, who: 'resync' });
    expect(merged!.reason).toContain(`applied on top of version ${own!.version}`);
  }, 60_000);

  it('numbered at or below the revision ahead: kept, and on a path both changed the later wins', async () => {
    const { a, b, pa, ahead } = await lossWithReplicaBehind(async (a) => {
      expect(await patchMode(a, 'quality')).toBe(200);
      expect(await patchRpm(a, 'big', 55)).toBe(200);
    });
    // B runs `cost` again as the revision below A's; the admin sets the mode through it.
    expect(await patchMode(b, 'balanced')).toBe(200);
    expect(b.config.current.revision).toBeLessThanOrEqual(ahead);

    await pa.resume();
    const both = { mode: 'balanced', big: 55, small: undefined };
    await waitFor(() => expect([running(a), running(b)]).toMatchObject([both, both]));
    await waitFor(() => expect(b.config.current.revision).toBe(a.config.current.revision));
    expect(a.config.current.revision).toBeGreaterThan(ahead);
  }, 60_000);

  it('with a replica further ahead too: it keeps that change, and its own on top', async () => {
    const prefix = uniquePrefix('hRd-change-behind');
    prefixes.push(prefix);
    const [pb, pa, pq] = [await proxyInRange(), await proxyInRange(), await proxyInRange()];
    const b = await replica(prefix, pb);
    const a = await replica(prefix, pa);
    const q = await replica(prefix, pq);
    expect(await patchMode(a, 'cost')).toBe(200);
    await waitFor(() => expect([modeOf(b), modeOf(q)]).toEqual(['cost', 'cost']));
    // B misses `quality`; A misses Q's rpm of `big` after it; then Redis loses its data.
    const cut = async (proxy: RedisProxy, r: Runtime) => {
      await proxy.cut();
      await waitFor(async () => expect(await serving(r)).toBe('local'));
    };
    await cut(pb, b);
    expect(await patchMode(a, 'quality')).toBe(200);
    await waitFor(() => expect(modeOf(q)).toBe('quality'));
    await cut(pa, a);
    expect(await patchRpm(q, 'big', 55)).toBe(200);
    await cut(pq, q);
    await cleanupPrefix(prefix);
    // B answers first and is changed, then A (which merges B's change), then Q.
    await pb.resume();
    await waitFor(async () => expect((await storedVersions(prefix))[0]?.who).toBe('resync'));
    expect(await patchRpm(b, 'small', 77)).toBe(200);
    await pa.resume();
    await waitFor(() => expect(running(b)).toMatchObject({ mode: 'quality', small: 77 }));
    await pq.resume();

    const all = { mode: 'quality', big: 55, small: 77 };
    await waitFor(() =>
      expect([running(a), running(b), running(q)]).toMatchObject([all, all, all]),
    );
    await waitFor(() =>
      expect([a, b].map((r) => r.config.current.revision)).toEqual([
        q.config.current.revision,
        q.config.current.revision,
      ]),
    );
  }, 60_000);
});
