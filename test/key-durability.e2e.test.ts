// With in-memory state, keys issued and revocations made through the admin API last until the
// router restarts. Revoking a config file's key (a leaked one) said `revoked: true` and the key
// worked again after the next deploy: the answer now says so, and what makes it permanent.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { createRuntime } from '../src/runtime.js';
import { testConfig } from './helpers/test-config.js';

const ADMIN = 'mr-admin-key-0123456789';
const LEAKED = 'mr-leaked-key-0123456789';

describe('keys through the admin API with in-memory state', () => {
  it('issuing and revoking a config key warn that it lasts until restart', async () => {
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [
            { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true },
            { id: 'leaked', hash: hashApiKey(LEAKED), tenant: 'acme' },
          ],
        },
      }),
    );
    try {
      const admin = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
        rt.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, payload });
      const revoked = await admin('DELETE', '/admin/v1/keys/leaked');
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toMatchObject({ id: 'leaked', revoked: true });
      expect(revoked.json().warnings[0]).toContain(
        'lasts until the router restarts, when the config file\'s key "leaked" works again; remove it from auth.keys',
      );
      const issued = await admin('POST', '/admin/v1/keys', { tenant: 'acme' });
      expect(issued.statusCode).toBe(201);
      expect(issued.json().warnings).toEqual([
        expect.stringContaining('state.kind is memory: this key lasts until the router restarts'),
      ]);
      // A key born expired would answer 401 to everything: refused, naming the field.
      const expired = await admin('POST', '/admin/v1/keys', {
        tenant: 'acme',
        expiresAt: '2020-01-01T00:00:00Z',
      });
      expect(expired.statusCode).toBe(400);
      expect(expired.json().error).toMatchObject({ param: 'expiresAt' });
      expect(expired.json().error.message).toContain('has passed');
      // A key issued through the API and revoked goes with the process anyway: nothing to say.
      const id = issued.json().record.id as string;
      const gone = await admin('DELETE', `/admin/v1/keys/${id}`);
      expect(gone.json()).toEqual({ id, revoked: true });
    } finally {
      await rt.close();
    }
  });
});
