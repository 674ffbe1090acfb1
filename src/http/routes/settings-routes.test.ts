// The live settings API through the whole router (createRuntime + app.inject): read, patch and
// replace budgets, rate limits, the answer cache and the content filter (the circuit breaker's:
// circuit-breaker-settings.test.ts); each change validated whole, versioned, and in force for the
// next request.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../auth/api-key.js';
import { parseConfig } from '../../config/load-config.js';
import { createRuntime } from '../../runtime.js';
import { testConfigInput } from '../../../test/helpers/test-config.js';

const ADMIN = 'mr-settings-admin-0123456789';
const USER = 'mr-settings-user-0123456789';

async function runtime() {
  return createRuntime(
    parseConfig(
      testConfigInput({
        auth: {
          mode: 'keys',
          keys: [
            { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true, scopes: ['*'] },
            { id: 'app', hash: hashApiKey(USER), tenant: 'team-a', scopes: ['*'] },
          ],
        },
      }),
      {},
    ).config,
  );
}

describe('live settings API', () => {
  it('reads the live sections, admin keys only; other sections are not here', async () => {
    const rt = await runtime();
    try {
      const get = (url: string, key = ADMIN) =>
        rt.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
      const all = (await get('/admin/v1/settings')).json();
      expect(Object.keys(all).sort()).toEqual(
        [
          'budgets',
          'cache',
          'circuitBreaker',
          'config_revision',
          'contentFilter',
          'object',
          'rateLimits',
        ].sort(),
      );
      expect(all.cache.enabled).toBe(false);
      expect((await get('/admin/v1/settings/budgets')).json().shiftToCostAt).toBe(0.8);
      expect((await get('/admin/v1/settings', USER)).statusCode).toBe(403);
      const server = await get('/admin/v1/settings/server');
      expect(server.statusCode).toBe(404);
      expect(server.json().error.code).toBe('setting_not_found');
      expect(server.json().error.message).toContain(
        'budgets, rateLimits, cache, contentFilter, circuitBreaker',
      );
    } finally {
      await rt.close();
    }
  });

  it('If-Match: a section changes only while it is as read (ETag), else 412; If-None-Match is refused', async () => {
    const rt = await runtime();
    try {
      const admin = { authorization: `Bearer ${ADMIN}` };
      const url = '/admin/v1/settings/cache';
      const tag = String((await rt.app.inject({ url, headers: admin })).headers.etag);
      expect(tag).toMatch(/^"[\w-]+"$/);
      const first = await rt.app.inject({
        method: 'PATCH',
        url,
        headers: { ...admin, 'if-match': tag },
        payload: { ttlSeconds: 600 },
      });
      expect(first.statusCode).toBe(200);
      expect(first.headers.etag).not.toBe(tag);
      const stale = await rt.app.inject({
        method: 'PATCH',
        url,
        headers: { ...admin, 'if-match': tag },
        payload: { ttlSeconds: 900 },
      });
      expect(stale.statusCode).toBe(412);
      expect(stale.json().error.code).toBe('precondition_failed');
      expect(stale.headers.etag).toBe(first.headers.etag);
      expect(rt.config.current.config.cache.ttlSeconds).toBe(600);
      const create = await rt.app.inject({
        method: 'PUT',
        url,
        headers: { ...admin, 'if-none-match': '*' },
        payload: { enabled: false },
      });
      expect(create.statusCode).toBe(400);
      expect(create.json().error.param).toBe('if-none-match');
    } finally {
      await rt.close();
    }
  });

  it('a patch is in force for the next request, versioned; a bad one changes nothing', async () => {
    const rt = await runtime();
    try {
      const send = (method: 'PUT' | 'PATCH', url: string, payload: object) =>
        rt.app.inject({ method, url, payload, headers: { authorization: `Bearer ${ADMIN}` } });
      const chat = () =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'big', messages: [{ role: 'user', content: 'same question' }] },
          headers: { authorization: `Bearer ${USER}`, 'x-router-tags': 'batch' },
        });
      expect((await chat()).statusCode).toBe(200);

      // A tag limit, then the answer cache on (its memory size waits for a restart).
      const limited = await send('PATCH', '/admin/v1/settings/rateLimits', {
        tags: { batch: { rpm: 2 } },
      });
      expect(limited.statusCode).toBe(200);
      expect(limited.json().tags).toEqual({ batch: { rpm: 2 } });
      const cached = await send('PATCH', '/admin/v1/settings/cache', {
        enabled: true,
        memoryMegabytes: 128,
      });
      expect(cached.json()).toMatchObject({ enabled: true, memoryMegabytes: 128 });
      expect(cached.json().warnings).toEqual([
        'cache.memoryMegabytes is read at startup: the new value applies after a restart.',
      ]);
      const first = await chat();
      expect(first.headers['x-router-cache']).toBe('miss');
      expect((await chat()).headers['x-router-cache']).toBe('hit');
      expect((await chat()).statusCode).toBe(429); // the tag's third request this minute

      // Invalid: refused whole, with the path; the section is as it was.
      const bad = await send('PUT', '/admin/v1/settings/budgets', { shiftToCostAt: 2 });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('invalid_config');
      expect(bad.json().error.message).toContain('budgets.shiftToCostAt');
      const budgets = await rt.app.inject({
        method: 'GET',
        url: '/admin/v1/settings/budgets',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(budgets.json().shiftToCostAt).toBe(0.8);
      const notObject = await send('PUT', '/admin/v1/settings/budgets', [1] as never);
      expect(notObject.statusCode).toBe(400);

      // A content filter rule the filter could not build is refused before anything applies.
      const badRule = await send('PATCH', '/admin/v1/settings/contentFilter', {
        enabled: true,
        rules: [
          { id: 'ids', kind: 'pii', patterns: ['passport'] },
          { id: 're', kind: 'regex', patterns: ['(unclosed'] },
        ],
      });
      expect(badRule.statusCode).toBe(400);
      expect(badRule.json().error.message).toContain(
        'contentFilter.rules[0].patterns[0]: unknown PII kind "passport"',
      );
      expect(badRule.json().error.message).toContain(
        'contentFilter.rules[1].patterns[0]: invalid regex',
      );
      const secrets = await send('PATCH', '/admin/v1/settings/contentFilter', {
        enabled: true,
        rules: [{ id: 'keys', kind: 'pii', patterns: ['secret'], action: 'block' }],
      });
      expect(secrets.statusCode).toBe(200);
      const leaked = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'big',
          messages: [{ role: 'user', content: 'my key is AKIAIOSFODNN7EXAMPLE' }],
        },
        headers: { authorization: `Bearer ${USER}` },
      });
      expect(leaked.statusCode).toBe(400);
      expect(leaked.json().error.code).toBe('content_filter');

      // PUT replaces the whole section: the tag limit is gone.
      const replaced = await send('PUT', '/admin/v1/settings/rateLimits', {});
      expect(replaced.json().tags).toBeUndefined();
      const versions = (
        await rt.app.inject({
          method: 'GET',
          url: '/admin/v1/config/versions',
          headers: { authorization: `Bearer ${ADMIN}` },
        })
      ).json().data;
      expect(versions.map((v: { reason: string }) => v.reason)).toEqual(
        expect.arrayContaining([
          'PATCH settings rateLimits: tags',
          'PATCH settings cache: enabled, memoryMegabytes',
          'PUT settings rateLimits',
        ]),
      );
    } finally {
      await rt.close();
    }
  });
});
