// JSON sent as `text/plain` is refused as any media type the router does not read: a 415
// `unsupported_media_type` saying to send application/json, on every JSON route, in the route's
// own error shape (Anthropic's on /v1/messages), before any deployment is called. An empty
// text/plain body is no body; an unknown path stays a 404.
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import { createResponseStore } from '../store/response-store.js';

const messages = [{ role: 'user', content: 'hi' }];
/**
 * JSON routes across the families, each with a body it would serve as JSON (the routes that read
 * multipart forms say to send one: form-media-type.test.ts).
 */
const OPENAI_ROUTES: [string, object][] = [
  ['/v1/chat/completions', { model: 'model-router', messages }],
  ['/openai/deployments/big/chat/completions?api-version=2024-10-21', { messages }],
  ['/v1/completions', { model: 'model-router', prompt: 'hi' }],
  ['/v1/responses', { model: 'model-router', input: 'hi' }],
  ['/v1/embeddings', { model: 'emb', input: 'hi' }],
  ['/v1/moderations', { model: 'mod', input: 'hi' }],
  ['/v1/images/generations', { model: 'img', prompt: 'a cat' }],
  ['/v1/audio/speech', { model: 'tts', input: 'hi', voice: 'alloy' }],
  ['/v1/rerank', { model: 'rr', query: 'q', documents: ['a'] }],
  ['/v1/conversations', {}],
  ['/admin/v1/routers/model-router', { routingMode: 'cost' }],
];
const SEND_JSON = 'Send the request body as JSON with content-type: application/json.';

let t: TestApp;
let calls: () => number;
async function app(): Promise<TestApp> {
  if (t) return t;
  const reply = [{ reply: 'ok' }];
  const fakes = {
    big: fakeAdapter('big', reply),
    mid: fakeAdapter('mid', reply),
    small: fakeAdapter('small', reply),
  };
  calls = () => Object.values(fakes).reduce((n, f) => n + f.calls.length, 0);
  t = await buildTestApp(testConfig(), fakes, {
    responses: createResponseStore(),
    files: createMemoryBatchStore(),
  });
  return t;
}
afterAll(() => t?.app.close());

const post = async (url: string, payload: string, contentType?: string) =>
  (await app()).app.inject({
    method: url.startsWith('/admin/') ? 'PATCH' : 'POST',
    url,
    payload,
    headers: contentType ? { 'content-type': contentType } : {},
  });

describe('a JSON body sent as text/plain', () => {
  it.each(OPENAI_ROUTES)('%s: a 415 saying to send application/json', async (url, body) => {
    await app();
    const before = calls();
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'TEXT/PLAIN']) {
      const res = await post(url, JSON.stringify(body), type);
      expect(res.statusCode, `${url} ${type}`).toBe(415);
      expect(res.json().error).toEqual({
        type: 'invalid_request_error',
        code: 'unsupported_media_type',
        param: null,
        message: `The request body came as content-type text/plain. ${SEND_JSON}`,
      });
    }
    expect(calls()).toBe(before);
  });

  it('is answered as a body with no content-type or another media type is', async () => {
    const body = JSON.stringify({ model: 'model-router', messages });
    for (const type of [undefined, 'application/x-www-form-urlencoded']) {
      const res = await post('/v1/chat/completions', body, type);
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error).toMatchObject({
        code: 'unsupported_media_type',
        message: SEND_JSON,
      });
    }
  });

  it.each(['/v1/messages', '/v1/messages/count_tokens'])(
    '%s: the 415 in Anthropic’s shape',
    async (url) => {
      const res = await post(
        url,
        JSON.stringify({ model: 'model-router', max_tokens: 8, messages }),
        'text/plain',
      );
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: `The request body came as content-type text/plain. ${SEND_JSON}`,
        },
      });
    },
  );

  it('an empty text/plain body is no body; an unknown path stays a 404', async () => {
    const empty = await post('/v1/chat/completions', '', 'text/plain');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toBe('The request body must be a JSON object.');
    const unknown = await post('/v1/nowhere', '{"a":1}', 'text/plain');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });
});
