// A key id issued again after Redis lost its data, before the replicas that knew the id wrote back
// what they knew. Until 2026-12-07 (hRd; hG2/hG3's write-back left it) the write-back judged an
// id, not the key issued under it: a replica that knew the id had been revoked wrote the
// revocation back over the key issued since through a replica that never knew it (the admin's 201
// key refused a moment later), and of two issues of one id the one created later by its replica's
// clock was kept, so a replica whose clock ran ahead put the old key back over the new one (the
// new secret refused, the old one working again). Now a revocation names the issue it revoked and
// is written back only over that key, and a key written back never replaces another issue of its
// id: the store's, written first after the loss, stands. The replicas are reloaded by the test,
// not by change messages, so each writes back when the test chooses.
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { cleanupPrefix, redisSuite } from './redis-helpers.js';
import { admitted, keyReplica, storedKeys } from './key-race-helpers.js';

const suite = await redisSuite();

/** A replica's key store under `prefix`, on its own clock. */
const keyStore = (prefix: string, clock?: Clock) => keyReplica(suite, prefix, { clock });
const freshPrefix = () => suite.prefix('hRd-key-reissue');

describe.skipIf(!suite.available)('a key id issued again before the write-back', () => {
  it('issued again after its revocation was lost: the new key stands, the revoked ones stay out', async () => {
    const prefix = freshPrefix();
    const y = await keyStore(prefix);
    const team = (await y.keys.issue({ id: 'team', tenant: 'team' })).key;
    const gone = (await y.keys.issue({ id: 'gone', tenant: 'gone' })).key;
    const other = (await y.keys.issue({ id: 'other', tenant: 'other' })).key;
    // Z reads the store now, then misses both revocations (cut off, slow).
    const z = await keyStore(prefix);
    expect(await y.keys.revoke('team')).toBe(true);
    expect(await y.keys.revoke('gone')).toBe(true);
    // Redis loses everything; X starts afterwards and issues `team` again: it never knew the id.
    await cleanupPrefix(prefix);
    const x = await keyStore(prefix);
    const fresh = (await x.keys.issue({ id: 'team', tenant: 'fresh' })).key;

    // Z writes back what it knew (`gone` and `team` live, as far as it knows), then Y.
    await z.keys.refresh();
    await y.keys.refresh();

    expect(await admitted([x.keys, y.keys, z.keys], [fresh, team, gone, other])).toEqual([
      ['team', null, null, 'other'],
      ['team', null, null, 'other'],
      ['team', null, null, 'other'],
    ]);
    const stored = await storedKeys(prefix);
    expect(Object.keys(stored).sort()).toEqual(['other', 'team']);
    expect(JSON.parse(stored.team!)).toMatchObject({ tenant: 'fresh' });
  }, 30_000);

  it('issued again through a replica whose clock is behind: the old key does not come back', async () => {
    const prefix = freshPrefix();
    // Y's clock runs an hour ahead of X's.
    const ahead: Clock = { now: () => Date.now() + 3_600_000, perfNow: () => performance.now() };
    const y = await keyStore(prefix, ahead);
    const before = (await y.keys.issue({ id: 'team', tenant: 'team' })).key;
    await cleanupPrefix(prefix);
    const x = await keyStore(prefix);
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
