// Who a batch's lines run as, decided when each line runs: the creating key as it is now. A
// revoked or expired key, a key moved to another tenant, or a keyless batch on a router that now
// requires keys stops the lines; the anonymous caller runs a keyless batch while keys are off.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { KeyStore } from '../auth/key-store.js';
import type { ApiKeyConfig } from '../config/schema.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { BatchService } from './batch-service.js';

describe('BatchService.callerFor', () => {
  it('runs lines as the key as it is now, and refuses a key that changed hands', async () => {
    const clock = createManualClock(Date.parse('2026-12-01T00:00:00Z'));
    const keys: ApiKeyConfig[] = [
      {
        id: 'team',
        hash: hashApiKey('mr-team-key-0123456789'),
        tenant: 'acme',
        admin: false,
        scopes: ['small'],
        expiresAt: '2026-12-02T00:00:00Z',
      },
    ];
    const config = new ConfigHolder(compileConfig(testConfig({ auth: { mode: 'keys', keys } })));
    const keyStore = new KeyStore({
      state: new MemoryState(clock),
      clock,
      configKeys: () => keys,
    });
    await keyStore.start();
    const service = new BatchService({
      store: createMemoryBatchStore(),
      config,
      keys: keyStore,
      clock,
      log: { warn: () => {}, info: () => {} },
    });
    expect(service.callerFor('team', 'acme')).toMatchObject({
      keyId: 'team',
      tenant: 'acme',
      scopes: ['small'],
    });
    expect(service.callerFor('gone', 'acme')).toEqual({ error: expect.stringMatching(/revoked/) });
    expect(service.callerFor(undefined, 'default')).toEqual({
      error: expect.stringMatching(/requires one/),
    });
    keys[0] = { ...keys[0]!, tenant: 'globex' };
    keyStore.rebuild();
    expect(service.callerFor('team', 'acme')).toEqual({
      error: expect.stringMatching(/now belongs to another tenant/),
    });
    clock.advance(86_400_000);
    expect(service.callerFor('team', 'globex')).toEqual({
      error: expect.stringMatching(/expired/),
    });
    await keyStore.close();
  });

  it('a keyless batch runs as the anonymous caller while keys are off', () => {
    const clock = createManualClock();
    const config = new ConfigHolder(compileConfig(testConfig()));
    const service = new BatchService({
      store: createMemoryBatchStore(),
      config,
      keys: new KeyStore({ state: new MemoryState(clock), clock, configKeys: () => [] }),
      clock,
      log: { warn: () => {}, info: () => {} },
    });
    expect(service.callerFor(undefined, 'default')).toMatchObject({ tenant: 'default' });
  });
});
