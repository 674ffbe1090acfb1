// OpenRouter's `models` fallbacks: each entry is checked as `model` is (unknown, not chat,
// outside the key's scopes or subset, too many), refused before any upstream call, and each
// error names the field the client wrote.
import { afterEach, describe, expect, it } from 'vitest';
import type { Authenticator } from '../http/auth-hook.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import {
  closeFallbackUpstreams,
  completionBody as completion,
  fallbacksApp as setup,
  openaiDeployment as openai,
  sayHi as messages,
  upstreamFailure as failure,
} from '../../test/helpers/fallback-upstreams.js';

afterEach(closeFallbackUpstreams);

describe('models fallbacks', () => {
  it('each entry is checked as model is: unknown, not chat, outside the key, too many', async () => {
    const keys: Authenticator = {
      authenticate(headers) {
        if (headers.authorization === 'Bearer scoped')
          return { keyId: 'k1', tenant: 't', admin: false, scopes: ['pool-a', 'model-router'] };
        if (headers.authorization === 'Bearer subset')
          return {
            keyId: 'k2',
            tenant: 't',
            admin: false,
            scopes: ['*'],
            modelSubset: ['gpt-a', 'small'],
          };
        return { keyId: 'k0', tenant: 't', admin: false, scopes: ['*'] };
      },
    };
    const { t, sent, fakes } = await setup(
      { a: [failure(500)], b: [{ status: 200, body: completion('gpt-4.1-mini', 'b') }] },
      {
        authenticator: keys,
        overrides: {
          deployments: [
            ...testConfigInput().deployments,
            openai('gpt-a', 'gpt-4.1', 'a.example'),
            openai('gpt-b', 'gpt-4.1-mini', 'b.example'),
            { ...openai('embed', 'text-embedding-3-small', 'b.example'), kind: 'embeddings' },
          ],
        },
      },
    );
    const send = (authorization: string, models: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization },
        payload: { model: 'pool-a', models, messages },
      });
    const cases: [string, unknown, number, string][] = [
      ['Bearer any', ['pool-a', 'nope'], 404, 'models[1]'],
      ['Bearer any', ['embed'], 400, 'models[0]'],
      // Not in the key's scopes, by name or through a pool.
      ['Bearer scoped', ['pool-b'], 403, 'models[0]'],
      ['Bearer scoped', ['gpt-b'], 403, 'models[0]'],
      // In scope, but none of its deployments in the key's subset: never widened.
      ['Bearer subset', ['pool-a', 'pool-b'], 403, 'models[1]'],
      ['Bearer any', ['a', 'b', 'c', 'd', 'e', 'f'], 400, 'models'],
      ['Bearer any', 'pool-b', 400, 'models'],
    ];
    for (const [auth, models, status, param] of cases) {
      const r = await send(auth, models);
      expect(r.statusCode, JSON.stringify(models)).toBe(status);
      expect(r.json().error.param, JSON.stringify(models)).toBe(param);
    }
    // Refused before any call.
    expect(sent.a).toHaveLength(0);
    expect(sent.b).toHaveLength(0);
    for (const fake of Object.values(fakes)) expect(fake.calls).toHaveLength(0);
    // A router entry the subset narrows still serves from what the subset keeps.
    const narrowed = await send('Bearer subset', ['model-router']);
    expect(narrowed.statusCode).toBe(200);
    expect(narrowed.json().model).toBe('small-model');
    const badRoute = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { models: ['pool-b'], route: 'cheapest', messages },
    });
    expect(badRoute.json().error.param).toBe('route');
  });

  it('each error names the field the client wrote: models[i] (models[0] when model is left out), model, or models', async () => {
    const keys: Authenticator = {
      authenticate(headers) {
        if (headers.authorization === 'Bearer scoped')
          return { keyId: 'k1', tenant: 't', admin: false, scopes: ['pool-a'] };
        return { keyId: 'k0', tenant: 't', admin: false, scopes: ['*'] };
      },
    };
    const { t, sent, fakes } = await setup(
      { a: [failure(500)], b: [failure(500)] },
      {
        authenticator: keys,
        overrides: {
          deployments: [
            ...testConfigInput().deployments,
            openai('gpt-a', 'gpt-4.1', 'a.example'),
            openai('gpt-b', 'gpt-4.1-mini', 'b.example'),
            { ...openai('embed', 'text-embedding-3-small', 'b.example'), kind: 'embeddings' },
          ],
        },
      },
    );
    const cases: [Record<string, unknown>, number, string | null, string, RegExp][] = [
      // `model` left out: models[0] is the one asked for, and named as such.
      [
        { models: ['nope', 'pool-b'] },
        404,
        'models[0]',
        'model_not_found',
        /^models\[0\]: the model or deployment "nope" does not exist/,
      ],
      [{ model: null, models: ['nope'] }, 404, 'models[0]', 'model_not_found', /^models\[0\]: /],
      [{ models: ['embed'] }, 400, 'models[0]', 'model_not_chat', /"embed" is an embedding model/],
      [
        { models: ['pool-b'], auth: 'scoped' },
        403,
        'models[0]',
        'permission_denied',
        /may not use "pool-b" \(models\[0\]\)/,
      ],
      // Named in model: the 403 says what the key's scopes are.
      [
        { model: 'pool-b', auth: 'scoped' },
        403,
        null,
        'permission_denied',
        /^This API key may not use "pool-b": its scopes are pool-a \(GET \/v1\/models lists what it may use\)\.$/,
      ],
      // Both sent: each names its own field.
      [
        { model: 'nope', models: ['pool-b'] },
        404,
        'model',
        'model_not_found',
        /^The model or deployment "nope"/,
      ],
      [
        { model: 'pool-a', models: ['nope'] },
        404,
        'models[0]',
        'model_not_found',
        /^models\[0\]: /,
      ],
      [
        { model: 'pool-a', models: ['pool-a', 'nope'] },
        404,
        'models[1]',
        'model_not_found',
        /^models\[1\]: /,
      ],
      // Malformed: the list, or the entry at fault.
      [
        { models: 'pool-b' },
        400,
        'models',
        'invalid_type',
        /^models must be an array of 1 to 5 .*; got "pool-b"\.$/,
      ],
      [{ models: { a: 1 } }, 400, 'models', 'invalid_type', /got \{"a":1\}/],
      [
        { models: [] },
        400,
        'models',
        'invalid_value',
        /^models must hold 1 to 5 .*; it holds 0\.$/,
      ],
      [
        { models: ['pool-a', 3] },
        400,
        'models[1]',
        'invalid_type',
        /^models\[1\] must be the name of .*; got 3\.$/,
      ],
      [{ models: ['pool-a', ''] }, 400, 'models[1]', 'invalid_value', /got ""/],
      [{ models: [null] }, 400, 'models[0]', 'invalid_type', /got null/],
    ];
    for (const [{ auth, ...fields }, status, param, code, message] of cases) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${String(auth ?? 'any')}` },
        payload: { ...fields, messages },
      });
      const what = JSON.stringify(fields);
      expect(r.statusCode, what).toBe(status);
      expect(r.json().error, what).toMatchObject({ param, code });
      expect(r.json().error.message, what).toMatch(message);
    }
    // Legacy Completions and Responses name models[0] alike.
    for (const [url, body] of [
      ['/v1/completions', { prompt: 'hi' }],
      ['/v1/responses', { input: 'hi' }],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url,
        payload: { ...body, models: ['nope', 'pool-b'] },
      });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.param, url).toBe('models[0]');
    }
    // Refused before any call.
    expect(sent.a).toHaveLength(0);
    expect(sent.b).toHaveLength(0);
    for (const fake of Object.values(fakes)) expect(fake.calls).toHaveLength(0);
  });
});
