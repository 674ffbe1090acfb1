// The free text of a key (its tenant, and the names in its scopes and modelSubset) is checked as
// it comes in: an admin audit (2026-12-07) issued keys with a 70,000-character tenant, a NUL (which
// PostgreSQL's request log cannot store) and a lone surrogate, and the API took each one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from './api-key.js';
import { createRuntime } from '../runtime.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { TENANT_MAX_LENGTH } from '../config/key-text-schema.js';

const ADMIN = 'mr-admin-key-text-0123456789';

describe('POST /admin/v1/keys: free-text fields', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  beforeAll(async () => {
    rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true }],
        },
      }),
    );
  });
  afterAll(() => rt.close());
  const issue = (payload: object) =>
    rt.app.inject({
      method: 'POST',
      url: '/admin/v1/keys',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload,
    });

  it('refuses an over-long tenant, a control character, a lone surrogate or edge spaces, naming the field', async () => {
    expect(TENANT_MAX_LENGTH).toBe(128);
    for (const [body, param, says] of [
      [{ tenant: 'a'.repeat(70_000) }, 'tenant', 'tenant: at most 128 characters (got 70000)'],
      [{ tenant: 'a\u0000b' }, 'tenant', 'tenant: a control character (U+0000) at 2'],
      [{ tenant: 'line\nbreak' }, 'tenant', 'tenant: a control character (U+000A) at 5'],
      [{ tenant: 'x\uD800y' }, 'tenant', 'tenant: a lone surrogate (U+D800) at 2'],
      [{ tenant: ' acme' }, 'tenant', 'tenant: white space at its start or end'],
      [{ tenant: 'acme', scopes: ['model-router', 'a\u0000'] }, 'scopes.1', 'scopes.1: a control'],
      [
        { tenant: 'acme', modelSubset: ['b'.repeat(300)] },
        'modelSubset.0',
        'modelSubset.0: at most 256 characters (got 300)',
      ],
    ] as const) {
      const res = await issue(body);
      expect(res.statusCode, param).toBe(400);
      expect(res.json().error, param).toMatchObject({
        type: 'invalid_request_error',
        param,
        message: expect.stringContaining(says),
      });
    }
  });

  it('takes a tenant of any script up to the limit', async () => {
    for (const tenant of ['équipe-α 東京', 't'.repeat(128), 'team a/b:c']) {
      const res = await issue({ tenant });
      expect(res.statusCode, tenant).toBe(201);
      expect(res.json().record.tenant).toBe(tenant);
    }
  });

  it('holds the config file’s keys to the same rules', () => {
    expect(() =>
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'k', hash: hashApiKey('x'.repeat(20)), tenant: 'a\u0000' }],
        },
      }),
    ).toThrow(/auth\.keys\[0\]\.tenant: a control character \(U\+0000\) at 2/);
  });
});
