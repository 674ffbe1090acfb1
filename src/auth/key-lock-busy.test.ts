// An admin change to the API keys while another replica holds the fleet key lock past the wait
// (it died holding it, or Redis is slow): a 503 the client may retry, in the API's error shape,
// not the bare 500 `internal_error` it was until 2026-12-07.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { KeyStore } from './key-store.js';

describe('the API key lock held by another replica', () => {
  it('issue, rotate and revoke answer 503 lock_busy with retry-after, and work once it frees', async () => {
    const clock = createManualClock(Date.parse('2026-12-07T12:00:00Z'));
    const state = new MemoryState(clock);
    const keys = new KeyStore({ state, clock, configKeys: () => [], lockWaitMs: 30 });
    await keys.refresh();
    const issued = await keys.issue({ id: 'team', tenant: 'team' });
    expect(await state.tryLock('auth:keys:lock', 'another-replica', 60_000)).toBe(true);

    for (const change of [
      () => keys.issue({ id: 'next', tenant: 'n' }),
      () => keys.rotate('team', 0),
      () => keys.revoke('team'),
    ]) {
      const err = await change().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GatewayError);
      const g = err as GatewayError;
      expect([g.status, g.type, g.code, g.headers['retry-after']]).toEqual([
        503,
        'server_error',
        'lock_busy',
        '10',
      ]);
      expect(g.message).toContain('try again');
    }
    // Nothing changed meanwhile; once the lock is free the same changes go through.
    expect(keys.findByKey(issued.key)?.id).toBe('team');
    await state.unlock('auth:keys:lock', 'another-replica');
    expect((await keys.issue({ id: 'next', tenant: 'n' })).key).toMatch(/^mr-/);
    expect(await keys.revoke('team')).toBe(true);
  });
});
