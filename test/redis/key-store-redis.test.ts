// Keys issued, rotated or revoked on one replica are seen by another within moments (Redis hash +
// pub/sub).
import { describe, expect, it } from 'vitest';
import { authenticate } from '../../src/auth/authenticate.js';
import type { KeyStore } from '../../src/auth/key-store.js';
import { createManualClock, systemClock } from '../../src/core/clock.js';
import { redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('keys');

describe.skipIf(!suite.available)('KeyStore on Redis', () => {
  it('replicas see issued and revoked keys', async () => {
    const [a, b] = await Promise.all([suite.keyStore(prefix), suite.keyStore(prefix)]);
    const status = (store: KeyStore, key: string) => {
      try {
        return authenticate(
          { authorization: `Bearer ${key}` },
          { mode: () => 'keys', keys: store, clock: systemClock },
        ).tenant;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    const { key } = await a.issue({ id: 'shared', tenant: 'acme' });
    await expect.poll(() => status(b, key), { interval: 10 }).toBe('acme');
    await b.revoke('shared');
    await expect.poll(() => status(a, key), { interval: 10 }).toBe(401);
    // A fresh replica starting later loads the state from Redis.
    const late = await suite.keyStore(prefix);
    const { key: key2 } = await a.issue({ tenant: 'beta' });
    await expect.poll(() => status(late, key2), { interval: 10 }).toBe('beta');
    expect(status(late, key)).toBe(401);
  });

  it('the same id issued through two replicas at once: one key, one 409 (every round)', async () => {
    const replica = () => suite.keyStore(`${prefix}race:`);
    const [a, b] = [await replica(), await replica()];
    for (let round = 0; round < 8; round++) {
      const id = `dup-${round}`;
      const outcomes = await Promise.allSettled([
        a.issue({ id, tenant: 'tenant-a' }),
        b.issue({ id, tenant: 'tenant-b' }),
      ]);
      const issued = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(issued, `round ${round}`).toHaveLength(1);
      expect(refused[0]).toMatchObject({ status: 409, code: 'key_exists' });
      // The secret handed out is the one both replicas accept, for the tenant it was issued to.
      const { key, record } = issued[0]!;
      for (const store of [a, b])
        await expect
          .poll(
            () =>
              authenticate(
                { authorization: `Bearer ${key}` },
                { mode: () => 'keys', keys: store, clock: systemClock },
              ).tenant,
            { timeout: 2000, interval: 10 },
          )
          .toBe(record.tenant);
    }
  });

  it('a key rotated on one replica answers to its new secret on another, and to its old one until the grace ends', async () => {
    const clock = createManualClock(Date.parse('2026-08-21T12:00:00Z'));
    const replica = () => suite.keyStore(`${prefix}rot:`, clock);
    const [a, b] = [await replica(), await replica()];
    const status = (store: KeyStore, key: string) => {
      try {
        return authenticate(
          { authorization: `Bearer ${key}` },
          { mode: () => 'keys', keys: store, clock },
        ).keyId;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    const { key: oldKey } = await a.issue({ id: 'svc', tenant: 'acme' });
    await expect.poll(() => status(b, oldKey), { interval: 10 }).toBe('svc');
    const { key: newKey } = (await a.rotate('svc', 3600))!;
    // b learns of the rotation by pub/sub alone: nothing here asks it to reload.
    await expect.poll(() => status(b, newKey), { interval: 10 }).toBe('svc');
    expect(status(b, oldKey)).toBe('svc');
    expect(b.list().find((k) => k.id === 'svc')?.oldSecretExpiresAt).toBe(
      '2026-08-21T13:00:00.000Z',
    );
    // A replica started after the rotation loads both secrets from Redis.
    const late = await replica();
    expect([status(late, oldKey), status(late, newKey)]).toEqual(['svc', 'svc']);
    clock.advance(3_600_000);
    expect([status(b, oldKey), status(b, newKey)]).toEqual([401, 'svc']);
    expect([status(late, oldKey), status(a, oldKey)]).toEqual([401, 401]);
  });
});
