// What the route-table fuzzer (routes.fuzz.test.ts) found, each kept as a focused regression test
// against the whole router: a query parameter sent twice, a fractional admin `limit`, a body that
// cannot be parsed on an unknown path under an Anthropic client, and an empty key in a body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, fuzzRuntime, USER_KEY, type FuzzRuntime } from './route-fuzz-app.js';

const user = { authorization: `Bearer ${USER_KEY}` };
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

describe('inputs the route fuzzer found', () => {
  let fz: FuzzRuntime;
  beforeAll(async () => {
    fz = await fuzzRuntime();
  });
  afterAll(() => fz?.close());
  const get = (url: string, headers: Record<string, string>) =>
    fz.runtime.app.inject({ method: 'GET', url, headers });

  it('a query parameter given twice is a 400 naming it, not a 500 or a 503', async () => {
    // Before: 500 internal_error (files, batches, message batches), 503 request_log_unavailable
    // (the usage routes: "SQLite3 can only bind numbers, strings…").
    for (const [url, param, headers] of [
      ['/v1/files?after=a&after=b', 'after', user],
      ['/openai/v1/batches?after=-1&after=', 'after', user],
      ['/v1/router/usage?user=a&user=b', 'user', user],
      ['/admin/v1/usage?key=a&key=b', 'key', admin],
    ] as const) {
      const res = await get(url, headers);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toMatchObject({
        type: 'invalid_request_error',
        param,
        code: 'invalid_value',
        message: expect.stringMatching(new RegExp(`^${param} was given more than once \\(".*`)),
      });
    }
    // Anthropic's list answers in Anthropic's shape.
    const batches = await get('/v1/messages/batches?after_id=x&after_id=y', user);
    expect(batches.statusCode).toBe(400);
    expect(batches.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: 'after_id was given more than once ("x", "y"): give it once.',
      },
    });
  });

  it('a list parameter may still be repeated', async () => {
    const made = await fz.runtime.app.inject({
      method: 'POST',
      url: '/v1/responses',
      headers: user,
      payload: { model: 'model-router', input: 'hi' },
    });
    const include = 'include[]=message.output_text.logprobs&include[]=reasoning.encrypted_content';
    const res = await get(`/v1/responses/${made.json().id}/input_items?${include}`, user);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().object).toBe('list');
  });

  it('a fractional limit on the admin batch lists is read as a whole number, not a 500', async () => {
    // Before: 500 internal_error (SQLite refused LIMIT 2.5).
    for (const url of ['/admin/v1/batches?limit=1.5', '/admin/v1/batch-webhooks?limit=1.5']) {
      const res = await get(url, admin);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ object: 'list', has_more: false });
    }
  });

  it("an unknown path's unreadable body is answered in Anthropic's shape to an Anthropic client", async () => {
    // Before: OpenAI's envelope, though the same path's 404 is Anthropic's.
    for (const headers of [
      { ...user, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      { ...user, 'content-type': 'application/json' },
    ]) {
      const url = 'anthropic-version' in headers ? '/v1/nope' : '/v1/messages/nope';
      const res = await fz.runtime.app.inject({ method: 'POST', url, headers, payload: '{' });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining('not valid JSON'),
        },
      });
    }
    // Without one: OpenAI's envelope, as before.
    const openAi = await fz.runtime.app.inject({
      method: 'POST',
      url: '/v1/nope',
      headers: { ...user, 'content-type': 'application/json' },
      payload: '{',
    });
    expect(openAi.json().error).toMatchObject({ code: 'invalid_json', param: null });
  });

  it('an empty key in a body is named `""`, not the root or nothing', async () => {
    const send = (method: 'POST' | 'PATCH', url: string, payload: object, headers = admin) =>
      fz.runtime.app.inject({ method, url, headers, payload });
    // Before: "<root>: unknown key …", as if the body itself were wrong.
    const rotate = await send('POST', '/admin/v1/keys/fz-user/rotate', { '': 1 });
    expect(rotate.statusCode).toBe(400);
    expect(rotate.json().error.message).toMatch(/^"": unknown key/);
    // Before: "Change rejected, nothing was applied: : unknown key …".
    const patch = await send('PATCH', '/admin/v1/routers/model-router', { '': 1 });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.message).toContain('applied: "": unknown key');
    // Before: ": Extra inputs are not permitted".
    const batch = await send(
      'POST',
      '/v1/messages/batches',
      {
        '': 1,
        requests: [
          {
            custom_id: 'a',
            params: { model: 'big', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
          },
        ],
      },
      user,
    );
    expect(batch.statusCode).toBe(400);
    expect(batch.json().error.message).toBe('"": Extra inputs are not permitted');
  });

  it('a merge patch sent to a form route is told to send a form, as text is', async () => {
    // Before: "… Send the request body as JSON with content-type: application/json." on the
    // upload route, which reads multipart forms only.
    for (const url of ['/v1/files', '/v1/audio/transcriptions', '/v1/images/variations']) {
      const res = await fz.runtime.app.inject({
        method: 'POST',
        url,
        headers: { ...user, 'content-type': 'application/merge-patch+json' },
        payload: '{}',
      });
      expect(res.statusCode, url).toBe(415);
      expect(res.json().error, url).toMatchObject({
        code: 'unsupported_media_type',
        message: expect.stringContaining('Send the request body as multipart/form-data'),
      });
    }
  });
});
