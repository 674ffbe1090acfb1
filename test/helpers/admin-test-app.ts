// The app the admin API's tests (src/http/routes/admin-routes*.test.ts) call: the simulated test
// fleet behind fake adapters, with two keys (`Bearer admin`, an admin key of tenant `ops`, and
// `Bearer user`, a plain key of `team-a`); any other caller is a 401.
import { unauthorized } from '../../src/core/errors.js';
import type { Authenticator } from '../../src/http/auth-hook.js';
import { buildTestApp } from './build-test-app.js';
import { fakeAdapter } from './fake-adapter.js';
import { testConfig } from './test-config.js';

/** `Bearer admin` (admin, tenant ops) and `Bearer user` (tenant team-a); others are a 401. */
export const adminKeys: Authenticator = {
  authenticate(headers) {
    if (headers.authorization === 'Bearer admin')
      return { keyId: 'k-admin', tenant: 'ops', admin: true, scopes: ['*'] };
    if (headers.authorization === 'Bearer user')
      return { keyId: 'k-user', tenant: 'team-a', admin: false, scopes: ['*'] };
    throw unauthorized();
  },
};

/** The test config's app, each deployment answering "ok", behind adminKeys. */
export async function adminTestApp() {
  const reply = [{ reply: 'ok' }];
  return buildTestApp(
    testConfig(),
    {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    },
    { authenticator: adminKeys },
  );
}

/** A one-message chat request to the default router. */
export const chatRequest = { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] };
