// API keys restricted to client addresses (auth.keys[].allowedIps), through the whole router
// (createRuntime + app.inject with the client's address), with and without server.trustProxy.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import type { ConfigInput } from '../src/config/schema.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { testConfig } from './helpers/test-config.js';

const OFFICE = 'mr-office-key-0123456789';
const OPEN = 'mr-open-key-0123456789';
const ADMIN = 'mr-admin-key-0123456789';
const chat = { model: 'model-router', messages: [{ role: 'user', content: 'hello' }] };
const claude = {
  model: 'model-router',
  max_tokens: 20,
  messages: [{ role: 'user', content: 'hi' }],
};

function runtime(server: Partial<ConfigInput['server']> = {}): Promise<Runtime> {
  return createRuntime(
    testConfig({
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent', ...server },
      auth: {
        mode: 'keys',
        keys: [
          {
            id: 'office',
            hash: hashApiKey(OFFICE),
            tenant: 'acme',
            allowedIps: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'],
          },
          { id: 'open', hash: hashApiKey(OPEN), tenant: 'acme' },
          { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true },
        ],
      },
    }),
  );
}

function send(
  rt: Runtime,
  key: string,
  remoteAddress: string,
  headers: Record<string, string> = {},
) {
  return rt.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    remoteAddress,
    headers: { authorization: `Bearer ${key}`, ...headers },
    payload: chat,
  });
}

describe('API keys restricted to client addresses', () => {
  it('serves the key inside its list (v4, v6, IPv4-mapped) and refuses it outside with 403, in the OpenAI and Anthropic shapes', async () => {
    const rt = await runtime();
    try {
      for (const inside of ['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::5', '203.0.113.7'])
        expect([inside, (await send(rt, OFFICE, inside)).statusCode]).toEqual([inside, 200]);

      const outside = await send(rt, OFFICE, '198.51.100.9');
      expect(outside.statusCode).toBe(403);
      expect(outside.json()).toEqual({
        error: {
          message:
            'API key office is restricted to certain client addresses; this request came from 198.51.100.9.',
          type: 'permission_error',
          param: null,
          code: 'permission_denied',
        },
      });
      expect(outside.body).not.toContain('10.0.0.0');
      expect(outside.body).not.toContain('2001:db8');

      const anthropic = await rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        remoteAddress: '2001:db9::1',
        headers: { 'x-api-key': OFFICE, 'anthropic-version': '2023-06-01' },
        payload: claude,
      });
      expect(anthropic.statusCode).toBe(403);
      expect(anthropic.json()).toEqual({
        type: 'error',
        error: {
          type: 'permission_error',
          message:
            'API key office is restricted to certain client addresses; this request came from 2001:db9::1.',
        },
        request_id: anthropic.headers['request-id'],
      });
      const claudeInside = await rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        remoteAddress: '10.9.9.9',
        headers: { 'x-api-key': OFFICE, 'anthropic-version': '2023-06-01' },
        payload: claude,
      });
      expect(claudeInside.statusCode).toBe(200);

      // A key without a list is served from anywhere.
      expect((await send(rt, OPEN, '198.51.100.9')).statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('ignores X-Forwarded-For unless server.trustProxy says which proxies to believe', async () => {
    const direct = await runtime();
    try {
      // Without trustProxy a client cannot claim an allowed address in a header.
      const spoofed = await send(direct, OFFICE, '198.51.100.9', { 'x-forwarded-for': '10.1.2.3' });
      expect(spoofed.statusCode).toBe(403);
      expect(spoofed.json().error.message).toContain('came from 198.51.100.9.');
    } finally {
      await direct.close();
    }

    const behindProxy = await runtime({ trustProxy: ['192.0.2.0/24'] });
    try {
      const viaProxy = (forwarded: string, proxy = '192.0.2.10') =>
        send(behindProxy, OFFICE, proxy, { 'x-forwarded-for': forwarded });
      expect((await viaProxy('10.1.2.3')).statusCode).toBe(200);
      const outside = await viaProxy('198.51.100.9');
      expect(outside.statusCode).toBe(403);
      expect(outside.json().error.message).toContain('came from 198.51.100.9.');
      // The nearest untrusted hop is the client: a client cannot prepend an allowed address.
      const prepended = await viaProxy('10.1.2.3, 198.51.100.9');
      expect(prepended.json().error.message).toContain('came from 198.51.100.9.');
      // A peer that is not one of the proxies is the client, whatever its header says.
      const notAProxy = await viaProxy('10.1.2.3', '198.51.100.20');
      expect(notAProxy.statusCode).toBe(403);
      expect(notAProxy.json().error.message).toContain('came from 198.51.100.20.');
    } finally {
      await behindProxy.close();
    }

    // A hop count trusts that many proxies in front of the router (fastify alone would trust none).
    const oneHop = await runtime({ trustProxy: 1 });
    try {
      const r = await send(oneHop, OFFICE, '198.51.100.20', {
        'x-forwarded-for': '198.51.100.9, 10.1.2.3',
      });
      expect(r.statusCode).toBe(200);
      const twoBack = await send(oneHop, OFFICE, '10.0.0.1', {
        'x-forwarded-for': '10.1.2.3, 198.51.100.9',
      });
      expect(twoBack.json().error.message).toContain('came from 198.51.100.9.');
    } finally {
      await oneHop.close();
    }
  });

  it('keys issued through the admin API take allowedIps; a bad one is a 400 at its path', async () => {
    const rt = await runtime();
    try {
      const issue = (body: object) =>
        rt.app.inject({
          method: 'POST',
          url: '/admin/v1/keys',
          headers: { authorization: `Bearer ${ADMIN}` },
          payload: body,
        });
      const bad = await issue({ tenant: 'beta', allowedIps: ['10.0.0.0/8', '10.0.0.0/64'] });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({
        param: 'allowedIps.1',
        message: 'allowedIps.1: "10.0.0.0/64": an IPv4 prefix length is at most 32',
      });
      const ok = await issue({ id: 'lab', tenant: 'beta', allowedIps: ['2001:db8::/32'] });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().record.allowedIps).toEqual(['2001:db8::/32']);
      const key = ok.json().key as string;
      expect((await send(rt, key, '2001:db8::1')).statusCode).toBe(200);
      const refused = await send(rt, key, '10.1.2.3');
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.message).toBe(
        'API key lab is restricted to certain client addresses; this request came from 10.1.2.3.',
      );
    } finally {
      await rt.close();
    }
  });

  it('a bad trustProxy entry is a config error at its path', () => {
    expect(() => testConfig({ server: { trustProxy: ['10.0.0.0/8', 'proxy.internal'] } })).toThrow(
      'server.trustProxy',
    );
    expect(
      testConfig({ server: { trustProxy: ['loopback', '10.0.0.0/8'] } }).server.trustProxy,
    ).toEqual(['loopback', '10.0.0.0/8']);
    expect(testConfig().server.trustProxy).toBe(false);
  });
});
