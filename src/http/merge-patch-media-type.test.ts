// The admin API's PATCH routes apply RFC 7386 merge patches, and take them in that RFC's media
// type, application/merge-patch+json, as well as application/json (before: a 415 telling the
// client to send application/json). Other methods keep refusing that media type.
import { describe, expect, it } from 'vitest';
import { unauthorized } from '../core/errors.js';
import type { Authenticator } from './auth-hook.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';

const keys: Authenticator = {
  authenticate(headers) {
    if (headers.authorization === 'Bearer admin')
      return { keyId: 'k-admin', tenant: 'ops', admin: true, scopes: ['*'] };
    throw unauthorized();
  },
};
const MERGE_PATCH = 'application/merge-patch+json';

describe('application/merge-patch+json', () => {
  it('is read on PATCH and refused elsewhere', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(
      testConfig(),
      {
        big: fakeAdapter('big', reply),
        mid: fakeAdapter('mid', reply),
        small: fakeAdapter('small', reply),
      },
      { authenticator: keys },
    );
    const send = (method: 'PATCH' | 'POST', url: string, payload: string) =>
      t.app.inject({
        method,
        url,
        headers: { authorization: 'Bearer admin', 'content-type': MERGE_PATCH },
        payload,
      });
    const patched = await send('PATCH', '/admin/v1/deployments/big', '{"region": "westus"}');
    expect(patched.statusCode, patched.body).toBe(200);
    const big = await t.app.inject({
      method: 'GET',
      url: '/admin/v1/deployments/big',
      headers: { authorization: 'Bearer admin' },
    });
    expect(big.json().region).toBe('westus');
    // Malformed JSON in that media type is the same 400 as in application/json.
    const broken = await send('PATCH', '/admin/v1/deployments/big', '{"region": }');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('invalid_json');
    // A model endpoint reads application/json only.
    const chat = await send(
      'POST',
      '/v1/chat/completions',
      '{"model": "model-router", "messages": [{"role": "user", "content": "hi"}]}',
    );
    expect(chat.statusCode).toBe(415);
    expect(chat.json().error.message).toContain(`came as content-type ${MERGE_PATCH}`);
    await t.app.close();
  });
});
