// Key rotation through the whole router (createRuntime + app.inject, manual clock): a new secret
// for the same key id, the old one served until its grace period ends and refused after, the key's
// rate limit and request log untouched by the rotation; config keys are rotated in the config.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { createManualClock } from '../src/core/clock.js';
import type { RequestRecord } from '../src/store/request-record.js';
import { createRuntime } from '../src/runtime.js';
import { testConfig } from './helpers/test-config.js';

const ADMIN = 'mr-admin-key-0123456789';
const CONFIG_KEY = 'mr-config-key-0123456789';

describe('API key rotation', () => {
  it('old and new secrets both work during the grace period, the old one is 401 after; limits and logs stay on the key id', async () => {
    const clock = createManualClock(Date.parse('2026-08-21T12:00:00Z'));
    const records: RequestRecord[] = [];
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [
            { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true },
            { id: 'team-a', hash: hashApiKey(CONFIG_KEY), tenant: 'acme' },
          ],
        },
      }),
      { clock, recorder: { record: (r) => void records.push(r) } },
    );
    try {
      const admin = (method: 'GET' | 'POST', url: string, payload?: object) =>
        rt.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, payload });
      const chat = (key: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${key}` },
          payload: { model: 'model-router', messages: [{ role: 'user', content: 'hello' }] },
        });

      const issued = await admin('POST', '/admin/v1/keys', {
        id: 'svc',
        tenant: 'beta',
        rateLimit: { rpm: 3 },
      });
      const oldKey = issued.json().key as string;
      expect((await chat(oldKey)).statusCode).toBe(200);

      const rotation = await admin('POST', '/admin/v1/keys/svc/rotate', { graceSeconds: 600 });
      expect(rotation.statusCode).toBe(200);
      const newKey = rotation.json().key as string;
      expect(newKey).toMatch(/^mr-/);
      expect(rotation.json().record).toMatchObject({
        id: 'svc',
        tenant: 'beta',
        rateLimit: { rpm: 3 },
        rotatedAt: '2026-08-21T12:00:00.000Z',
        oldSecretExpiresAt: '2026-08-21T12:10:00.000Z',
      });
      const listed = (await admin('GET', '/admin/v1/keys')).json().data as Record<
        string,
        unknown
      >[];
      expect(listed.find((k) => k.id === 'svc')).toMatchObject({
        oldSecretExpiresAt: '2026-08-21T12:10:00.000Z',
      });

      expect((await chat(oldKey)).statusCode).toBe(200);
      expect((await chat(newKey)).statusCode).toBe(200);
      // The rotation did not reset the key's limit: its fourth request this minute is refused.
      const limited = await chat(newKey);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.message).toContain('svc');

      clock.advance(599_000);
      expect((await chat(oldKey)).statusCode).toBe(200);
      clock.advance(1_000);
      const refused = await chat(oldKey);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error).toMatchObject({
        code: 'invalid_api_key',
        message: 'Incorrect API key provided.',
      });
      expect((await chat(newKey)).statusCode).toBe(200);
      const after = (await admin('GET', '/admin/v1/keys')).json().data as Record<string, unknown>[];
      expect(after.find((k) => k.id === 'svc')).not.toHaveProperty('oldSecretExpiresAt');

      // Every request served or limited, with either secret, is logged under the same key id (the
      // 401 never became a request).
      await expect.poll(() => records.length).toBe(6);
      expect(records.map((r) => [r.keyId, r.status])).toEqual([
        ['svc', 200],
        ['svc', 200],
        ['svc', 200],
        ['svc', 429],
        ['svc', 200],
        ['svc', 200],
      ]);
    } finally {
      await rt.close();
    }
  });

  it('config keys, unknown ids and bad grace periods are refused', async () => {
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [
            { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true },
            { id: 'team-a', hash: hashApiKey(CONFIG_KEY), tenant: 'acme' },
          ],
        },
      }),
    );
    try {
      const rotate = (id: string, payload?: object, key = ADMIN) =>
        rt.app.inject({
          method: 'POST',
          url: `/admin/v1/keys/${id}/rotate`,
          headers: { authorization: `Bearer ${key}` },
          ...(payload ? { payload } : {}),
        });
      const config = await rotate('team-a');
      expect(config.statusCode).toBe(400);
      expect(config.json().error).toMatchObject({ code: 'config_key', param: 'id' });
      expect(config.json().error.message).toContain('rotate it by changing the config');
      expect((await rotate('nobody')).statusCode).toBe(404);
      const tooLong = await rotate('ops', { graceSeconds: 31 * 86_400 });
      expect([tooLong.statusCode, tooLong.json().error.param]).toEqual([400, 'graceSeconds']);
      expect((await rotate('team-a', undefined, CONFIG_KEY)).statusCode).toBe(403);
      // The config key still works: nothing was changed by the refused calls.
      const listed = await rt.app.inject({
        method: 'GET',
        url: '/admin/v1/keys',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(listed.json().data.find((k: { id: string }) => k.id === 'team-a')).not.toHaveProperty(
        'rotatedAt',
      );
    } finally {
      await rt.close();
    }
  });
});
