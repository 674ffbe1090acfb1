import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { hashApiKey } from './api-key.js';
import { authenticate, authorize, authorizeAdmin, extractApiKey } from './authenticate.js';
import { KeyStore } from './key-store.js';
import { LOG_REDACT_PATHS, redactHeaders } from './redaction.js';

const CONFIG_KEY = 'mr-config-key-for-tests-0000000000000000000';

function setup(mode: 'none' | 'keys' = 'keys') {
  const clock = createManualClock(Date.parse('2026-08-21T12:00:00Z'));
  const state = new MemoryState(clock);
  const keys = new KeyStore({
    state,
    clock,
    adminKey: 'mr-bootstrap-admin',
    configKeys: () => [
      {
        id: 'team-a',
        hash: hashApiKey(CONFIG_KEY),
        tenant: 'acme',
        admin: false,
        scopes: ['router-eu', 'gpt-4o*'],
        rateLimit: { rpm: 10 },
        budget: { dailyUsd: 5 },
        maxRoutingMode: 'balanced',
      },
    ],
  });
  return {
    clock,
    state,
    keys,
    auth: (h: Record<string, string>) => authenticate(h, { mode: () => mode, keys, clock }),
  };
}

function caught(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('authenticate', () => {
  it('reads Bearer, api-key and x-api-key', () => {
    expect(extractApiKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(extractApiKey({ 'api-key': 'def' })).toBe('def');
    expect(extractApiKey({ 'x-api-key': 'ghi' })).toBe('ghi');
    expect(extractApiKey({ authorization: 'Basic xyz' })).toBeUndefined();
  });

  it('resolves a config key to its tenant, scopes and overrides', () => {
    const { auth } = setup();
    const variants: Record<string, string>[] = [
      { authorization: `Bearer ${CONFIG_KEY}` },
      { 'api-key': CONFIG_KEY },
      { 'x-api-key': CONFIG_KEY },
    ];
    for (const h of variants) {
      expect(auth(h)).toEqual({
        keyId: 'team-a',
        tenant: 'acme',
        admin: false,
        scopes: ['router-eu', 'gpt-4o*'],
        maxRoutingMode: 'balanced',
        overrides: {
          rateLimit: { rpm: 10 },
          budget: { dailyUsd: 5 },
          maxRoutingMode: 'balanced',
          modelSubset: undefined,
        },
      });
    }
  });

  it('401 for missing, wrong and expired keys, without echoing the key', async () => {
    const { auth, keys, clock } = setup();
    const missing = caught(() => auth({}));
    expect([missing.status, missing.code]).toEqual([401, 'invalid_api_key']);
    const wrong = caught(() => auth({ authorization: 'Bearer mr-wrong-secret-value' }));
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.toEnvelope())).not.toContain('mr-wrong-secret-value');
    const { key } = await keys.issue({ tenant: 't', expiresAt: '2026-08-21T13:00:00Z' });
    expect(auth({ 'api-key': key }).tenant).toBe('t');
    clock.advance(3_600_000);
    const expired = caught(() => auth({ 'api-key': key }));
    expect(expired.status).toBe(401);
    expect(expired.message).toMatch(/expired at 2026-08-21T13:00:00Z/);
    expect(JSON.stringify(expired.toEnvelope()) + expired.message).not.toContain(key);
    // Issued already expired: refused (it was issued, and never worked).
    await expect(
      keys.issue({ tenant: 't', expiresAt: '2026-08-21T13:00:00Z' }),
    ).rejects.toMatchObject({ status: 400, param: 'expiresAt' });
  });

  it('mode none lets everyone in as the anonymous tenant, but a valid key keeps its identity', () => {
    const { auth } = setup('none');
    expect(auth({}).tenant).toBe('default');
    expect(auth({ authorization: 'Bearer nonsense' }).tenant).toBe('default');
    expect(auth({ 'api-key': 'mr-bootstrap-admin' })).toMatchObject({
      keyId: 'admin-env',
      admin: true,
    });
  });

  it('a key with allowedIps: 403 from elsewhere or from an unknown address, in either mode', async () => {
    for (const mode of ['keys', 'none'] as const) {
      const { keys, clock } = setup(mode);
      const { key } = await keys.issue({ id: 'lab', tenant: 't', allowedIps: ['192.0.2.0/24'] });
      const auth = (ip?: string) =>
        authenticate({ 'api-key': key }, { mode: () => mode, keys, clock }, ip);
      expect(auth('192.0.2.44').keyId).toBe('lab');
      const outside = caught(() => auth('192.0.3.1'));
      expect([outside.status, outside.type, outside.code]).toEqual([
        403,
        'permission_error',
        'permission_denied',
      ]);
      expect(outside.message).not.toContain('192.0.2.0');
      expect(caught(() => auth()).message).toBe(
        'API key lab is restricted to certain client addresses; this request came from an unknown address.',
      );
      // A key without a list is not asked where it comes from.
      expect(authenticate({ 'api-key': CONFIG_KEY }, { mode: () => mode, keys, clock }).keyId).toBe(
        'team-a',
      );
    }
  });

  it('authorize: 403 outside scopes; prefix scopes; admin check', () => {
    const { auth } = setup();
    const ctx = auth({ 'api-key': CONFIG_KEY });
    expect(() => authorize(ctx, 'router-eu')).not.toThrow();
    expect(() => authorize(ctx, 'gpt-4o-mini')).not.toThrow();
    const e = caught(() => authorize(ctx, 'router-us'));
    expect([e.status, e.code]).toEqual([403, 'permission_denied']);
    expect(caught(() => authorizeAdmin(ctx)).status).toBe(403);
    expect(() =>
      authorizeAdmin(auth({ authorization: 'Bearer mr-bootstrap-admin' })),
    ).not.toThrow();
  });
});

describe('KeyStore', () => {
  it('issues keys shown once, stores only the hash, and revokes them', async () => {
    const { keys, state, auth } = setup();
    const { key, record } = await keys.issue({
      id: 'svc',
      tenant: 'beta',
      scopes: ['r1'],
      createdBy: 'admin-env',
    });
    expect(key).toMatch(/^mr-[A-Za-z0-9_-]{43}$/);
    expect(record).not.toHaveProperty('hash');
    const stored = await state.hashGetAll('auth:keys');
    expect(stored.svc).toContain(hashApiKey(key));
    expect(stored.svc).not.toContain(key);
    expect(auth({ authorization: `Bearer ${key}` }).keyId).toBe('svc');
    expect(await keys.revoke('svc')).toBe(true);
    expect(caught(() => auth({ authorization: `Bearer ${key}` })).status).toBe(401);
    expect(await keys.revoke('svc')).toBe(false);
    await expect(keys.issue({ id: 'svc', tenant: 'beta' })).rejects.toMatchObject({ status: 409 });
  });

  it('revokes a config key and lists it as revoked', async () => {
    const { keys, auth } = setup();
    expect(await keys.revoke('team-a')).toBe(true);
    expect(caught(() => auth({ 'api-key': CONFIG_KEY })).status).toBe(401);
    expect(keys.list().find((k) => k.id === 'team-a')).toMatchObject({
      revoked: true,
      source: 'config',
    });
    expect(JSON.stringify(keys.list())).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('KeyStore rotation', () => {
  const status = (fn: () => { keyId?: string }) => {
    try {
      return fn().keyId;
    } catch (err) {
      return (err as GatewayError).status;
    }
  };

  it('a new secret for the same key; the old one works until the grace ends, then is an unknown key', async () => {
    const { keys, state, auth, clock } = setup();
    const issued = await keys.issue({
      id: 'svc',
      tenant: 'beta',
      scopes: ['r1'],
      rateLimit: { rpm: 5 },
      budget: { dailyUsd: 2 },
      allowedIps: ['192.0.2.0/24'],
    });
    const use = (key: string) =>
      status(() =>
        authenticate({ 'api-key': key }, { mode: () => 'keys', keys, clock }, '192.0.2.1'),
      );
    const rotated = (await keys.rotate('svc', 3600))!;
    expect(rotated.key).toMatch(/^mr-[A-Za-z0-9_-]{43}$/);
    expect(rotated.key).not.toBe(issued.key);
    const { rotatedAt, oldSecretExpiresAt, ...same } = rotated.record;
    expect(same).toEqual(issued.record);
    expect([rotatedAt, oldSecretExpiresAt]).toEqual([
      '2026-08-21T12:00:00.000Z',
      '2026-08-21T13:00:00.000Z',
    ]);
    expect([use(issued.key), use(rotated.key)]).toEqual(['svc', 'svc']);
    const stored = (await state.hashGetAll('auth:keys')).svc!;
    expect(stored).toContain(hashApiKey(rotated.key));
    expect(stored).toContain(hashApiKey(issued.key)); // the old hash, for its grace period
    expect(stored).not.toContain(rotated.key);
    expect(JSON.stringify(keys.list())).not.toMatch(/[0-9a-f]{64}/);
    expect(keys.list().find((k) => k.id === 'svc')?.oldSecretExpiresAt).toBe(
      '2026-08-21T13:00:00.000Z',
    );
    clock.advance(3_599_999);
    expect(use(issued.key)).toBe('svc');
    clock.advance(1);
    expect([use(issued.key), use(rotated.key)]).toEqual([401, 'svc']);
    expect(caught(() => auth({ 'api-key': issued.key })).message).toBe(
      'Incorrect API key provided.',
    );
    expect(keys.list().find((k) => k.id === 'svc')).not.toHaveProperty('oldSecretExpiresAt');
  });

  it('an earlier secret keeps its own grace through a second rotation; grace 0 refuses at once', async () => {
    const { keys, clock } = setup();
    const use = (key: string) =>
      status(() => authenticate({ 'api-key': key }, { mode: () => 'keys', keys, clock }));
    const first = await keys.issue({ id: 'svc', tenant: 'beta' });
    const second = (await keys.rotate('svc', 7200))!;
    clock.advance(1000);
    const third = (await keys.rotate('svc', 60))!;
    expect([use(first.key), use(second.key), use(third.key)]).toEqual(['svc', 'svc', 'svc']);
    expect(third.record.oldSecretExpiresAt).toBe('2026-08-21T14:00:00.000Z');
    clock.advance(60_000);
    expect([use(first.key), use(second.key), use(third.key)]).toEqual(['svc', 401, 'svc']);
    const fourth = (await keys.rotate('svc', 0))!;
    expect([use(first.key), use(third.key), use(fourth.key)]).toEqual(['svc', 401, 'svc']);
    await keys.revoke('svc');
    expect([use(first.key), use(fourth.key)]).toEqual([401, 401]);
  });

  it('config and env keys are not rotated here; unknown ids and bad grace periods are refused', async () => {
    const { keys } = setup();
    await expect(keys.rotate('team-a')).rejects.toMatchObject({
      status: 400,
      code: 'config_key',
      message: expect.stringContaining('defined in the config file (auth.keys)'),
    });
    await expect(keys.rotate('admin-env')).rejects.toMatchObject({ status: 400 });
    expect(await keys.rotate('nobody')).toBeUndefined();
    await keys.issue({ id: 'svc', tenant: 'beta' });
    await expect(keys.rotate('svc', 30 * 86_400 + 1)).rejects.toMatchObject({
      status: 400,
      param: 'graceSeconds',
    });
    await expect(keys.rotate('svc', -1)).rejects.toMatchObject({ status: 400 });
  });

  it('a config key answers to its previousHashes until their expiresAt', () => {
    const clock = createManualClock(Date.parse('2026-08-21T12:00:00Z'));
    const OLD = 'mr-old-config-secret';
    const keys = new KeyStore({
      state: new MemoryState(clock),
      clock,
      configKeys: () => [
        {
          id: 'team-a',
          hash: hashApiKey(CONFIG_KEY),
          previousHashes: [{ hash: hashApiKey(OLD), expiresAt: '2026-08-21T12:30:00Z' }],
          tenant: 'acme',
          admin: false,
          scopes: ['*'],
        },
      ],
    });
    const use = (key: string) =>
      status(() => authenticate({ 'api-key': key }, { mode: () => 'keys', keys, clock }));
    expect([use(OLD), use(CONFIG_KEY)]).toEqual(['team-a', 'team-a']);
    expect(keys.list()[0]).toMatchObject({ oldSecretExpiresAt: '2026-08-21T12:30:00.000Z' });
    clock.advance(30 * 60_000);
    expect([use(OLD), use(CONFIG_KEY)]).toEqual([401, 'team-a']);
  });
});

describe('redaction', () => {
  it('replaces every credential header', () => {
    expect(
      redactHeaders({ Authorization: 'Bearer x', 'api-key': 'y', 'x-api-key': 'z', accept: 'a' }),
    ).toEqual({
      Authorization: '[redacted]',
      'api-key': '[redacted]',
      'x-api-key': '[redacted]',
      accept: 'a',
    });
    expect(LOG_REDACT_PATHS).toContain('req.headers["authorization"]');
  });
});

describe('logger redaction', () => {
  it('pino with LOG_REDACT_PATHS never writes the key', async () => {
    const { pino } = await import('pino');
    const lines: string[] = [];
    const logger = pino({ redact: LOG_REDACT_PATHS }, { write: (l: string) => void lines.push(l) });
    logger.info(
      {
        req: {
          headers: {
            authorization: 'Bearer mr-secret-1',
            'api-key': 'mr-secret-2',
            'x-api-key': 'mr-secret-3',
          },
        },
      },
      'request',
    );
    expect(lines.join('')).not.toMatch(/mr-secret/);
    expect(lines.join('')).toContain('[Redacted]');
  });
});
