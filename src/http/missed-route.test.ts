// A request no route serves says what to fix: the methods its path takes (405 with Allow), the
// trailing slash to drop, or that the path takes WebSocket connections only; a path with an empty
// id is not handed to the route whose id it lacks.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';
import { describeMissedRoute, indexRoutes } from './missed-route.js';

describe('a request no route serves', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    const reply = [{ reply: 'ok' }];
    t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    });
  });
  afterAll(() => t.app.close());

  it('a method the path is not served for is a 405 naming the methods it is', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/v1/chat/completions' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(res.json()).toEqual({
      error: {
        message: '/v1/chat/completions takes GET or POST, not PUT.',
        type: 'invalid_request_error',
        param: null,
        code: 'method_not_allowed',
      },
    });
  });

  it("in Anthropic's envelope on its paths", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/messages' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: '/v1/messages takes POST, not GET.' },
    });
  });

  it('a trailing slash is named, not read as an empty id', async () => {
    // It reached POST /v1/chat/completions/:id, which asked for the metadata of completion "".
    const post = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions/',
      payload: { model: 'auto', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(post.statusCode).toBe(404);
    expect(post.json().error).toMatchObject({
      code: 'not_found',
      message:
        'No route for POST /v1/chat/completions/: drop the trailing slash (POST /v1/chat/completions).',
    });
    const get = await t.app.inject({ method: 'GET', url: '/v1/models/' });
    expect(get.statusCode).toBe(404);
    expect(get.json().error.message).toBe(
      'No route for GET /v1/models/: drop the trailing slash (GET /v1/models).',
    );
    const embeddings = await t.app.inject({ method: 'POST', url: '/v1/embeddings/', payload: {} });
    expect(embeddings.json().error.message).toBe(
      'No route for POST /v1/embeddings/: drop the trailing slash (POST /v1/embeddings).',
    );
  });

  it("another method's own path is not read as an id (GET /v1/responses/compact)", async () => {
    const config = testConfig();
    const r = await buildTestApp(config, simulatedAdapters(config), {
      responses: createResponseStore(10),
    });
    // It reached GET /v1/responses/:id: 'No response "compact": it was created with store: false…'.
    for (const method of ['GET', 'DELETE', 'PUT'] as const) {
      const res = await r.app.inject({ method, url: '/v1/responses/compact' });
      expect(res.statusCode, method).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.json().error.message).toBe(`/v1/responses/compact takes POST, not ${method}.`);
    }
    // A real id is still looked up.
    const id = await r.app.inject({ method: 'GET', url: '/v1/responses/resp_nope' });
    expect(id.statusCode).toBe(404);
    expect(id.json().error.message).toContain('No response "resp_nope"');
    await r.app.close();
  });

  it('an unknown path is still a 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
    expect(res.json().error).toMatchObject({
      code: 'not_found',
      message: 'No route for GET /v1/nothing-here',
    });
  });
});

describe('describeMissedRoute', () => {
  it('a plain GET of a WebSocket path is a 404 saying to upgrade', async () => {
    const app = Fastify();
    const routes = indexRoutes(app);
    const handler = async () => ({});
    app.post('/v1/responses', handler);
    app.get('/v1/responses', { config: { webSocket: true } }, handler);
    app.get('/v1/realtime', { config: { webSocket: true } }, handler);
    await app.ready();
    const get = describeMissedRoute(routes, 'GET', '/v1/responses');
    expect(get).toMatchObject({ status: 404, code: 'not_found', headers: {} });
    expect(get.message).toBe(
      'GET /v1/responses opens a WebSocket only: send Upgrade: websocket (or POST /v1/responses over HTTP).',
    );
    expect(describeMissedRoute(routes, 'PUT', '/v1/responses')).toMatchObject({
      status: 405,
      headers: { allow: 'POST' },
    });
    expect(describeMissedRoute(routes, 'GET', '/v1/realtime').message).toBe(
      'GET /v1/realtime opens a WebSocket only: send Upgrade: websocket.',
    );
    await app.close();
  });
});
