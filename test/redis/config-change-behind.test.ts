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

/** Prefixes, proxies (on this suite's loopback ports: hRd's range) and replicas, cleaned up. */
const suite = await redisSuite([47300, 47349]);
const { available } = suite;
const ADMIN = 'mr-change-behind-admin-0123456789';

const patchMode = (r: Runtime, routingMode: string) =>
  adminPatch(r, ADMIN, '/admin/v1/routers/model-router', { routingMode });
const patchRpm = (r: Runtime, deployment: string, rpm: number) =>
  adminPatch(r, ADMIN, `/admin/v1/deployments/${deployment}`, { rateLimit: { rpm } });
const rpmOf = (r: Runtime, deployment: string) =>
  r.config.current.config.deployments.find((d) => d.name === deployment)!.rateLimit?.rpm;
/** What each replica runs: revision, routing mode and the rpm of `big` and `small`. */
const running = (r: Runtime) => ({
  revision: r.config.current.revision,
  mode: routingModeOf(r),
  big: rpmOf(r, 'big'),
  small: rpmOf(r, 'small'),
});

/**
 * Two replicas on `balanced`, then `cost`; B is cut off, and an admin makes `changesAhead` through
 * A. Then A is cut off too, Redis loses its data, and B answers first: it records `cost` again.
 */
async function lossWithReplicaBehind(changesAhead: (a: Runtime) => Promise<void>) {
  const prefix = suite.prefix('hRd-change-behind');
  const {
    replicas: { a, b },
    proxies: { a: pa, b: pb },
  } = await suite.fleetOnCost(prefix, ADMIN, ['a', 'b']);
  await cutOff(pb, b);
  await changesAhead(a);
  const ahead = a.config.current.revision;
  await cutOff(pa, a);
  await cleanupPrefix(prefix);
  await pb.resume();
  await waitFor(async () => expect((await storedVersions(prefix))[0]?.who).toBe('resync'));
  expect(routingModeOf(b)).toBe('cost');
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
    const prefix = suite.prefix('hRd-change-behind');
    const {
      replicas: { a, b, q },
      proxies: { a: pa, b: pb, q: pq },
    } = await suite.fleetOnCost(prefix, ADMIN, ['b', 'a', 'q'], 'a');
    // B misses `quality`; A misses Q's rpm of `big` after it; then Redis loses its data.
    await cutOff(pb, b);
    expect(await patchMode(a, 'quality')).toBe(200);
    await waitFor(() => expect(routingModeOf(q)).toBe('quality'));
    await cutOff(pa, a);
    expect(await patchRpm(q, 'big', 55)).toBe(200);
    await cutOff(pq, q);
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
