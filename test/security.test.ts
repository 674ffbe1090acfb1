// Security properties across the stack: secrets only from env vars, keys never echoed, and the
// body can never change who a request runs as or where it may be served.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/load-config.js';
import { unauthorized } from '../src/core/errors.js';
import type { Authenticator } from '../src/http/auth-hook.js';
import { buildTestApp } from './helpers/build-test-app.js';
import { fakeAdapter } from './helpers/fake-adapter.js';
import { simDeployment, testConfig, testConfigInput } from './helpers/test-config.js';

const SECRET = 'mr-very-secret-key-123456';
const keyAuth: Authenticator = {
  authenticate(headers) {
    if (headers.authorization === `Bearer ${SECRET}`)
      return { keyId: 'k1', tenant: 'team-a', admin: false, scopes: ['model-router'] };
    throw unauthorized('Incorrect API key provided.');
  },
};

describe('security', () => {
  it('rejects an API key written into the config: secrets come only from environment variables', () => {
    const input = testConfigInput();
    (input.deployments[0] as Record<string, unknown>).apiKey = 'sk-plain-text';
    expect(() => parseConfig(input, {})).toThrow(ConfigError);
    try {
      parseConfig(input, {});
    } catch (err) {
      expect((err as ConfigError).issues.join('\n')).toContain(
        'deployments[0].apiKey: unknown key',
      );
      expect((err as ConfigError).message).not.toContain('sk-plain-text');
    }
  });

  it('the body cannot change the tenant, key or data zone a request runs as', async () => {
    const config = parseConfig(
      testConfigInput({
        deployments: [
          simDeployment('us-1', {
            dataZone: 'us',
            prices: { inputPer1M: 0.01, outputPer1M: 0.01 },
          }),
          simDeployment('eu-1', { dataZone: 'eu', prices: { inputPer1M: 1, outputPer1M: 1 } }),
        ],
        routers: [
          {
            name: 'model-router',
            modelSubset: ['us-1', 'eu-1'],
            deploymentType: 'DataZoneStandard',
            dataZone: 'eu',
          },
        ],
      }),
      {},
    ).config;
    const t = await buildTestApp(
      config,
      {
        'us-1': fakeAdapter('us', [{ reply: 'us' }]),
        'eu-1': fakeAdapter('eu', [{ reply: 'eu' }]),
      },
      { authenticator: keyAuth },
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${SECRET}` },
      payload: {
        model: 'model-router',
        messages: [{ role: 'user', content: 'hi' }],
        tenant: 'root',
        api_key: 'someone-else',
        data_zone: 'us',
        headers: { 'x-router-data-zone': 'us' },
        routing_config: { data_zone: 'us' },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('eu-1');
    expect(t.records[0]).toMatchObject({ tenant: 'team-a', keyId: 'k1', dataZone: 'eu' });
  });

  it('a wrong key gets 401 and a key without scope 403, neither echoing the key', async () => {
    const t = await buildTestApp(
      testConfig(),
      {
        big: fakeAdapter('big', [{ reply: 'x' }]),
        mid: fakeAdapter('mid', []),
        small: fakeAdapter('small', []),
      },
      { authenticator: keyAuth },
    );
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer mr-wrong-key-999' },
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'x' }] },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.payload).not.toContain('mr-wrong-key-999');
    const scoped = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${SECRET}` },
      payload: { model: 'big', messages: [{ role: 'user', content: 'x' }] },
    });
    expect(scoped.statusCode).toBe(403);
    expect(scoped.json().error.type).toBe('permission_error');
    expect(scoped.payload).not.toContain(SECRET);
    expect(JSON.stringify(t.records)).not.toContain(SECRET);
  });
});
