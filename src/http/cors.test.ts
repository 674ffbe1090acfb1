import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/load-config.js';
import { unauthorized } from '../core/errors.js';
import type { Authenticator } from './auth-hook.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig, testConfigInput } from '../../test/helpers/test-config.js';
import { EXPOSED_HEADERS } from './cors.js';

const KEY = 'mr-cors-test-key';
const keyAuth: Authenticator = {
  authenticate(headers) {
    if (headers.authorization === `Bearer ${KEY}`)
      return { keyId: 'k1', tenant: 't', admin: false, scopes: ['model-router'] };
    throw unauthorized('Incorrect API key provided.');
  },
};
const APP = 'https://app.example.com';
const server = (cors: { origins: string[]; maxAgeSeconds?: number }) => ({
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent' as const,
  cors,
});

async function app(origins: string[]) {
  const adapters = {
    big: fakeAdapter('big-sim', [{ reply: 'a' }, { chunks: ['x', 'y'] }, { reply: 'b' }]),
    mid: fakeAdapter('mid-sim', [{ reply: 'a' }, { chunks: ['x', 'y'] }, { reply: 'b' }]),
    small: fakeAdapter('small-sim', [{ reply: 'a' }, { chunks: ['x', 'y'] }, { reply: 'b' }]),
  };
  return buildTestApp(testConfig({ server: server({ origins }) }), adapters, {
    authenticator: keyAuth,
  });
}

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/v1/chat/completions',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type, x-stainless-os',
  },
});
const chat = (origin: string | undefined, stream = false) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  headers: {
    authorization: `Bearer ${KEY}`,
    'content-type': 'application/json',
    ...(origin ? { origin } : {}),
  },
  payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }], stream },
});

describe('CORS (server.cors)', () => {
  it('answers an allowed origin’s preflight before authentication and lets the page read the router headers', async () => {
    const t = await app([APP]);
    const pre = await t.app.inject(preflight(APP));
    // No credentials on a preflight: answered, not refused with a 401.
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(APP);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    // The SDKs' own headers (x-stainless-*) are allowed as asked.
    expect(pre.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, x-stainless-os',
    );
    expect(pre.headers['access-control-max-age']).toBe('600');

    const json = await t.app.inject(chat(APP));
    expect(json.statusCode).toBe(200);
    expect(json.headers['access-control-allow-origin']).toBe(APP);
    expect(json.headers['vary']).toContain('Origin');
    const exposed = String(json.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(EXPOSED_HEADERS);
    // Every header the router writes for the client, those other APIs' clients read too (docs
    // audit F2, 2026-12-06: which `models` fallback served was not readable by a page).
    expect(exposed).toEqual(
      expect.arrayContaining([
        'x-router-target',
        'x-router-targets-tried',
        'x-router-overhead-ms',
        'apim-request-id',
        'request-id',
        'anthropic-ratelimit-tokens-reset',
        'x-upstream-x-ms-region',
      ]),
    );
    for (const h of [
      'x-router-model',
      'x-router-deployment',
      'x-router-overhead-ms',
      'x-request-id',
    ])
      expect(json.headers[h]).toBeDefined();
    // A stream is written past Fastify's reply: it carries the same headers.
    const stream = await t.app.inject(chat(APP, true));
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    expect(stream.headers['access-control-allow-origin']).toBe(APP);
    expect(stream.headers['access-control-expose-headers']).toBe(EXPOSED_HEADERS.join(', '));
    expect(stream.headers['x-request-id']).toBeDefined();
    // An error reply (no key) carries them too, so the page can read why.
    const refused = await t.app.inject({ ...chat(APP), headers: { origin: APP } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(APP);
  });

  it('gives other origins, and requests without one, no CORS headers; off by default', async () => {
    const t = await app([APP]);
    const other = await t.app.inject(preflight('https://evil.example.com'));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.statusCode).toBe(401);
    const json = await t.app.inject(chat('https://evil.example.com'));
    expect(json.statusCode).toBe(200); // a server-side caller is not a browser: served, no headers
    expect(json.headers['access-control-allow-origin']).toBeUndefined();
    const plain = await t.app.inject(chat(undefined));
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect(plain.headers['access-control-expose-headers']).toBeUndefined();

    const off = await buildTestApp(testConfig(), {}, { authenticator: keyAuth });
    expect(off.config.current.config.server.cors).toEqual({ origins: [], maxAgeSeconds: 600 });
    const none = await off.app.inject(preflight(APP));
    expect(none.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('"*" allows any origin; a config change applies to the next request', async () => {
    const t = await app(['*']);
    const pre = await t.app.inject(preflight('https://anything.example'));
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    const config = t.config.current.config;
    t.config.apply({
      ...config,
      server: { ...config.server, cors: { origins: [APP], maxAgeSeconds: 600 } },
    });
    const after = await t.app.inject(preflight('https://anything.example'));
    expect(after.headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await t.app.inject(preflight(APP));
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);
    // Off again: no origin is allowed.
    t.config.apply({
      ...config,
      server: { ...config.server, cors: { origins: [], maxAgeSeconds: 600 } },
    });
    expect(
      (await t.app.inject(preflight(APP))).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });

  it('refuses an origin that is not one, saying how to write it', () => {
    const bad = (origins: string[]) => {
      try {
        parseConfig(testConfigInput({ server: server({ origins }) }), {});
      } catch (err) {
        return (err as ConfigError).issues.join('\n');
      }
      return 'accepted';
    };
    expect(bad(['app.example.com'])).toContain(
      'server.cors.origins[0]: "app.example.com" is not an origin: write scheme://host[:port] with no path',
    );
    expect(bad(['https://app.example.com/'])).toContain('write "https://app.example.com"');
    expect(bad(['https://App.Example.com'])).toContain('write "https://app.example.com"');
    expect(bad(['ftp://files.example.com'])).toContain('is not an origin');
    expect(bad(['*', 'http://127.0.0.1:5173'])).toBe('accepted');
    expect(() =>
      parseConfig(testConfigInput({ server: server({ origins: [1] as never }) }), {}),
    ).toThrow(ConfigError);
  });
});
