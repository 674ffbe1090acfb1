// Issuing a key by id after Redis lost its data, while another replica writes back the keys and
// revocations it knew. Until 2026-12-07 (hG2's write-back left it) issuing took a lock of its own
// id only and read the store outside the fleet's key lock, so an issue through a replica that never
// knew the id (started after the loss) landed between the write-back's read and its writes: an id
// revoked before the loss answered 201 with a key revoked a moment later, and an id issued before
// it answered 201 with a key whose record the write-back then replaced (the secret given refused).
// And an issue made before the write-back read the store was replaced all the same when the key
// written back had been rotated. Now issuing takes the key lock and judges the store as it is then,
// as rotations, revocations and write-backs do (a revoked or written-back id: the 409 a replica
// that knows it answers), and of two issues of one id the one in the store stands (here the
// later; test/redis/key-reissue-write-back.test.ts: whatever the clocks). Replica Y reaches Redis
// through a loopback proxy that holds its write-back at its first write, and X's lock attempts are
// watched, so the steps of X and Y are ordered without sleeping.
import { describe, expect, it } from 'vitest';
import type { KeyStore } from '../../src/auth/key-store.js';
import { cleanupPrefix, redisSuite } from './redis-helpers.js';
import { admitted, keyReplica, storedKeys } from './key-race-helpers.js';

/** Prefixes, the proxy (on this suite's loopback ports: hG3's range) and replicas, cleaned up. */
const suite = await redisSuite([47350, 47374]);

/** A replica's key store on `url` (the shared Redis when not given). */
const keyStore = (prefix: string, url?: string) =>
  keyReplica(suite, prefix, { url, commandTimeoutMs: 30_000 });

/** Replica Y, on Redis through a proxy its write-back can be held at; a fresh prefix. */
async function replicaBehindProxy() {
  const prefix = suite.prefix('hG3-key-issue');
  const proxy = await suite.proxy();
  return { prefix, proxy, y: await keyStore(prefix, proxy.url) };
}

/** Y's first write of its write-back, after it took the key lock and read the store. */
const keyWrite = (command: string) => /\r\nhset\r\n/i.test(command) && command.includes('auth:');

/** How a call ended: its value, or the error's status, code and message. */
async function outcome<T>(call: Promise<T>) {
  try {
    return { value: await call };
  } catch (err) {
    const { status, code, message } = err as { status?: number; code?: string; message: string };
    return { error: { status, code, message } };
  }
}

/**
 * X issues `id` while Y's write-back is held after its read: once X's issue has ended, or is
 * waiting for the lock Y holds, Y's write-back goes on. Resolves to how X's issue ended.
 */
async function issueDuringWriteBack(
  proxy: Awaited<ReturnType<typeof replicaBehindProxy>>['proxy'],
  y: KeyStore,
  x: Awaited<ReturnType<typeof keyStore>>,
  id: string,
) {
  const held = proxy.holdWhen(keyWrite);
  const writingBack = y.refresh();
  await held;
  const issuing = outcome(x.keys.issue({ id, tenant: 'fresh' }));
  await Promise.race([issuing, x.lockRefused]);
  proxy.release();
  await writingBack;
  return issuing;
}

describe.skipIf(!suite.available)('issuing a key by id while another replica writes back', () => {
  it('an id revoked before the loss: the 409 a replica that knows the revocation answers', async () => {
    const { prefix, proxy, y } = await replicaBehindProxy();
    const team = (await y.keys.issue({ id: 'team', tenant: 'team' })).key;
    const other = (await y.keys.issue({ id: 'other', tenant: 'other' })).key;
    expect(await y.keys.revoke('team')).toBe(true);
    const known = await outcome(y.keys.issue({ id: 'team', tenant: 'fresh' }));
    expect(known.error).toMatchObject({ status: 409, code: 'key_exists' });
    // Redis loses everything; X starts afterwards, so it never knew of `team` or its revocation.
    await cleanupPrefix(prefix);
    const x = await keyStore(prefix);

    const issued = await issueDuringWriteBack(proxy, y.keys, x, 'team');

    expect(issued).toEqual(known);
    expect(await admitted([x.keys, y.keys], [team, other])).toEqual([
      [null, 'other'],
      [null, 'other'],
    ]);
    expect(Object.keys(await storedKeys(prefix))).toEqual(['other']);
  }, 30_000);

  it('an id written back meanwhile: 409, and the key written back keeps working', async () => {
    const { prefix, proxy, y } = await replicaBehindProxy();
    await y.keys.issue({ id: 'team', tenant: 'team' });
    const team = (await y.keys.rotate('team', 0))!.key;
    await cleanupPrefix(prefix);
    const x = await keyStore(prefix);

    const issued = await issueDuringWriteBack(proxy, y.keys, x, 'team');

    expect(issued.error).toMatchObject({ status: 409, code: 'key_exists' });
    expect(await admitted([x.keys, y.keys], [team])).toEqual([['team'], ['team']]);
    expect(JSON.parse((await storedKeys(prefix)).team!)).toMatchObject({ tenant: 'team' });
  }, 30_000);

  it('an id issued again before the write-back read the store: the key issued last stands', async () => {
    const { prefix, y } = await replicaBehindProxy();
    await y.keys.issue({ id: 'team', tenant: 'team' });
    const before = (await y.keys.rotate('team', 0))!.key;
    await cleanupPrefix(prefix);
    const x = await keyStore(prefix);
    // Through X, which finds no `team`: the admin is given a new key, then Y writes back.
    const fresh = (await x.keys.issue({ id: 'team', tenant: 'fresh' })).key;
    await y.keys.refresh();

    expect(await admitted([x.keys, y.keys], [fresh, before])).toEqual([
      ['team', null],
      ['team', null],
    ]);
    expect(JSON.parse((await storedKeys(prefix)).team!)).toMatchObject({ tenant: 'fresh' });
    expect(y.warnings.join('\n')).toContain('API key "team" was issued again');
  }, 30_000);
});
