// Key changes racing the write-back of keys and revocations to a Redis that lost its data. Until
// 2026-12-07 (hG's write-back) a replica wrote back what it knew only when the store held no key
// and no revocation, each key as it had it, whatever the store held by then: a rotation made
// through another replica while the write-back ran was overwritten (the new secret refused, the
// leaked old one working again), a revocation made before it read kept every other issued key from
// being written back (401 for them on every replica), and a replica that had missed a rotation
// before the loss put the old secret back for good. Now a replica writes back whatever the store
// lacks that it knows (revocations, keys, later rotations: a record counts its rotations), never
// a key revoked there nor a record older than the one there, under a lock that rotations and
// revocations take too. Replica X reaches Redis through a loopback proxy that holds its commands
// at a chosen step, so the steps of X and Y are ordered without sleeping.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { cleanupPrefix, redisSuite } from './redis-helpers.js';
import { admitted, keyReplica, storedKeys } from './key-race-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

/** Prefixes, the proxy (on this suite's loopback ports: hG2's range) and replicas, cleaned up. */
const suite = await redisSuite([47187, 47199]);
const LEAKED = 'mr-key-race-leaked-0123456789';

/** A replica's key store on `url` (the shared Redis when not given); a config key `leaked` is in every replica's config. */
const keyStore = (prefix: string, url?: string) =>
  keyReplica(suite, prefix, {
    url,
    commandTimeoutMs: 30_000,
    configKeys: [
      { id: 'leaked', hash: hashApiKey(LEAKED), tenant: 't', admin: false, scopes: ['*'] },
    ],
  });

/**
 * Replicas X (through a proxy) and Y (straight on Redis) that both know two issued keys and the
 * revoked config key `leaked`; then Redis loses everything under the test's prefix.
 */
async function fleetThenLoss() {
  const prefix = suite.prefix('hG2-key-race');
  const proxy = await suite.proxy();
  const x = await keyStore(prefix, proxy.url);
  const y = await keyStore(prefix);
  const team = (await y.keys.issue({ id: 'team', tenant: 'team' })).key;
  const other = (await y.keys.issue({ id: 'other', tenant: 'other' })).key;
  expect(await y.keys.revoke('leaked')).toBe(true);
  await x.keys.refresh();
  expect([x.keys.findByKey(team)?.id, x.keys.findByKey(LEAKED)]).toEqual(['team', undefined]);
  return { prefix, proxy, x, y, team, other };
}

/** X's first write of its write-back (or the lock it takes for it) is held at the proxy. */
const keyWrite = (command: string) =>
  /\r\n(hset|set)\r\n/i.test(command) && command.includes('auth:');

describe.skipIf(!suite.available)('key changes racing the write-back to an emptied Redis', () => {
  it('a rotation made while another replica writes back is kept: the old secret stays refused', async () => {
    const { prefix, proxy, x, y, team, other } = await fleetThenLoss();
    await cleanupPrefix(prefix);
    const held = proxy.holdWhen(keyWrite);
    const writingBack = x.keys.refresh();
    await held;
    // X read the empty store and is about to write; the admin rotates `team` through Y, at once.
    const rotated = await y.keys.rotate('team', 0);
    expect(rotated).toBeDefined();
    proxy.release();
    await writingBack;

    expect(await admitted([x.keys, y.keys], [rotated!.key, team, other, LEAKED])).toEqual([
      ['team', null, 'other', null],
      ['team', null, 'other', null],
    ]);
    expect(JSON.parse((await storedKeys(prefix)).team!).hash).toBe(hashApiKey(rotated!.key));
  }, 30_000);

  it('a revocation made while another replica writes back is kept, and the key not written back', async () => {
    const { prefix, proxy, x, y, team, other } = await fleetThenLoss();
    await cleanupPrefix(prefix);
    const held = proxy.holdWhen(keyWrite);
    const writingBack = x.keys.refresh();
    await held;
    expect(await y.keys.revoke('team')).toBe(true);
    proxy.release();
    await writingBack;

    expect(await admitted([x.keys, y.keys], [team, other, LEAKED])).toEqual([
      [null, 'other', null],
      [null, 'other', null],
    ]);
    expect(Object.keys(await storedKeys(prefix))).toEqual(['other']);
  }, 30_000);

  it('a revocation made before the write-back read the store: the other keys are written back all the same', async () => {
    const { prefix, x, y, team, other } = await fleetThenLoss();
    await cleanupPrefix(prefix);
    expect(await y.keys.revoke('team')).toBe(true);
    await x.keys.refresh();

    expect(await admitted([x.keys, y.keys], [team, other, LEAKED])).toEqual([
      [null, 'other', null],
      [null, 'other', null],
    ]);
  }, 30_000);

  it('a replica that missed a rotation before the loss does not bring the old secret back', async () => {
    const { prefix, proxy, x, y, team, other } = await fleetThenLoss();
    // X is cut off while the admin rotates `team` (a leaked secret: no grace) through Y.
    await proxy.cut();
    await waitFor(() => expect(x.state.ready).toBe(false));
    const rotated = await y.keys.rotate('team', 0);
    await cleanupPrefix(prefix);
    await proxy.resume();
    await x.state.waitUntilReady(10_000);
    // X reaches the emptied store first and writes back what it knew: `team` before its rotation.
    await x.keys.refresh();

    expect(await admitted([y.keys, x.keys], [rotated!.key, team, other, LEAKED])).toEqual([
      ['team', null, 'other', null],
      ['team', null, 'other', null],
    ]);
  }, 30_000);
});
