// A key's prefix scope (`mi*`) works where the key is used as where it is issued: requests, the
// model list and an OpenRouter fallback list read the same rule (security audit leftover,
// 2026-12-06: requests read only `*` and exact names, so a prefix scope the admin API accepted
// without a warning was refused on every request).
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/test-config.js';
import { hashApiKey } from '../auth/api-key.js';
import { createRuntime } from '../runtime.js';

const KEY = 'mr-prefix-scope-0123456789abcdef';

describe('a prefix scope', () => {
  it('allows the names it prefixes, and only those, on every path', async () => {
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'p', hash: hashApiKey(KEY), tenant: 'acme', scopes: ['mi*'] }],
        },
      }),
    );
    try {
      const ask = (payload: object) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${KEY}` },
          payload: { messages: [{ role: 'user', content: 'hi' }], ...payload },
        });
      expect((await ask({ model: 'mid' })).statusCode).toBe(200);
      expect((await ask({ model: 'big' })).statusCode).toBe(403);
      // An OpenRouter fallback list is read by the same rule: one it refuses is a 403 naming it.
      expect((await ask({ models: ['mid'] })).statusCode).toBe(200);
      const refused = await ask({ models: ['mid', 'big'] });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.param).toBe('models[1]');
      const models = await rt.app.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${KEY}` },
      });
      expect((models.json() as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['mid']);
    } finally {
      await rt.close();
    }
  });
});
