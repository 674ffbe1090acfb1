// A key whose modelSubset leaves a request no deployment is refused as a permission (403
// permission_denied), as a key without the scope is and as embeddings answer, on every API: it was
// a 400 no_eligible_deployment, the client's "malformed" request, on chat, Responses, Completions
// and Messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig } from '../config/load-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { testConfigInput } from '../../test/helpers/test-config.js';

const KEY = 'mr-subset-key-0123456789';
let rt: Runtime;
beforeAll(async () => {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'capped', hash: hashApiKey(KEY), tenant: 't', scopes: ['*'], modelSubset: ['small'] },
      ],
    },
    requestLog: { kind: 'none' },
  });
  rt = await createRuntime(parseConfig(input, {}).config);
});
afterAll(async () => {
  await rt.close();
});

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  rt.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${KEY}`, ...headers },
  });

describe("a key's modelSubset", () => {
  it('refuses a deployment outside it with 403 permission_denied on every API', async () => {
    const hi = [{ role: 'user', content: 'hi' }];
    for (const [url, payload, headers] of [
      ['/v1/chat/completions', { model: 'big', messages: hi }, {}],
      ['/v1/responses', { model: 'big', input: 'hi' }, {}],
      ['/v1/completions', { model: 'big', prompt: 'hi' }, {}],
      [
        '/v1/messages',
        { model: 'big', max_tokens: 10, messages: hi },
        { 'anthropic-version': '2023-06-01' },
      ],
    ] as const) {
      const res = await post(url, payload, headers);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
      const error = res.json().error as { type: string; code?: string; message: string };
      expect(error.type, url).toBe(
        url === '/v1/messages' ? 'permission_error' : 'permission_error',
      );
      expect(error.message, url).toContain("the key's modelSubset");
    }
    // What it allows is served.
    expect((await post('/v1/chat/completions', { model: 'small', messages: hi })).statusCode).toBe(
      200,
    );
  });
});
