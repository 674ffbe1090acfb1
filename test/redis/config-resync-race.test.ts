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
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import {
  adminPatch,
  cleanupPrefix,
  cutOff,
  redisSuite,
  routingModeOf,
  storedVersions,
} from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

/** Prefixes, proxies (on this suite's loopback ports: hG2's range) and replicas, cleaned up. */
const suite = await redisSuite([47175, 47186]);
const { available } = suite;
const ADMIN = 'mr-resync-race-admin-0123456789';

const patchMode = (r: Runtime, routingMode: string) =>
  adminPatch(r, ADMIN, '/admin/v1/routers/model-router', { routingMode });

/**
 * Two replicas on `balanced`; B is cut off from Redis, then an admin changes the mode to
 * `quality` through A. B still runs the revision before (`cost`).
 */
async function fleetWithReplicaBehind() {
  const prefix = suite.prefix('hG2-resync-race');
  const {
    replicas: { a, b },
    proxies: { a: pa, b: pb },
  } = await suite.fleetOnCost(prefix, ADMIN, ['a', 'b']);
  await cutOff(pb, b);
  expect(await patchMode(a, 'quality')).toBe(200);
  const newest = a.config.current.revision;
  expect(b.config.current.revision).toBe(newest - 1);
  expect(routingModeOf(b)).toBe('cost');
  return { prefix, a, b, pa, pb, newest };
}

describe.skipIf(!available)('replicas on different revisions when Redis loses its data', () => {
  it('the replica behind answers first after Redis came back empty: the newest revision wins', async () => {
    const { prefix, a, b, pa, pb, newest } = await fleetWithReplicaBehind();
    await cutOff(pa, a);
    // Redis comes back empty, and B (behind) reaches it first: it records `cost` again.
    await cleanupPrefix(prefix);
    await pb.resume();
    await waitFor(async () => expect((await storedVersions(prefix))[0]?.who).toBe('resync'));
    expect(routingModeOf(b)).toBe('cost');

    await pa.resume();
    await waitFor(() =>
      expect([routingModeOf(a), routingModeOf(b)]).toEqual(['quality', 'quality']),
    );
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
    await waitFor(() =>
      expect([routingModeOf(a), routingModeOf(b)]).toEqual(['quality', 'quality']),
    );
    await waitFor(() => expect(b.config.current.revision).toBe(a.config.current.revision));
    expect(a.config.current.revision).toBeGreaterThan(newest);
    // And the next change, through the replica that was behind, builds on the newest revision.
    expect(await patchMode(b, 'cost')).toBe(200);
    await waitFor(() => expect(routingModeOf(a)).toBe('cost'));
  }, 60_000);
});
