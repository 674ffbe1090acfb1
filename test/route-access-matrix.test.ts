// Every route of a fully configured router, from its own route table, against the access rules
// of docs/operations.md "Security model" and docs/concepts.md "Governance": each route is
// classified (public, a tenant's caller route, admin: test/helpers/route-table.ts); a route nobody
// classified fails. Then, for every route: no key, a wrong or an expired key are a 401 in that
// path's API shape (WebSocket upgrades too), a key from outside its allowedIps a 403, a key
// without the scope a 403 where a scope decides, a non-admin key a 403 on admin routes (and a 401
// without a key under auth.mode none). Tenant isolation: route-tenant-isolation.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Runtime } from '../src/runtime.js';
import { ANTHROPIC, KEY, bearer, startAccessRuntime } from './helpers/access-runtime.js';
import { multipart } from './helpers/multipart-form.js';
import { registeredRoutes } from './helpers/registered-routes.js';
import {
  collect,
  concreteUrl,
  envelopeOf,
  expectEnvelope,
  routeKey,
} from './helpers/route-access.js';
import { ROUTES, WS } from './helpers/route-table.js';
import { waitFor } from './helpers/wait-for.js';

let rt: Runtime;
let routes: { method: string; url: string }[];

beforeAll(async () => {
  rt = await startAccessRuntime();
  routes = registeredRoutes(rt.app);
});

afterAll(async () => {
  await rt?.close();
});

describe('the route table', () => {
  it('classifies every registered route, and holds no route the app does not register', () => {
    expect(routes.length).toBeGreaterThan(150);
    const registered = new Set(routes.map((r) => routeKey(r.method, r.url)));
    const unclassified = [...registered].filter((r) => !(r in ROUTES));
    expect(
      unclassified,
      'Routes without an access rule: add each to ROUTES in test/helpers/route-table.ts as ' +
        "publicRoute('why it needs no key'), admin, or caller(<a SCOPED call, or why no scope " +
        'decides it>, {names: <the stored object its id names>, lists: <the objects it lists>})',
    ).toEqual([]);
    const stale = Object.keys(ROUTES).filter((r) => !registered.has(r));
    expect(stale, 'ROUTES entries the app no longer registers: remove them').toEqual([]);
  });

  it('every caller route with an id in its path says which stored object the id names', () => {
    const missing = Object.entries(ROUTES).filter(
      ([route, a]) =>
        a.access === 'caller' && /\/:(id|itemId)\b/.test(route) && a.names === undefined,
    );
    expect(missing.map(([r]) => r)).toEqual([]);
  });
});

describe('every non-public route refuses a request without a valid key', () => {
  it('no key and a wrong key: 401 in the API shape of the path (Anthropic clients: theirs)', async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const { method, url } of routes) {
      const access = ROUTES[routeKey(method, url)];
      if (!access || access.access === 'public' || method === 'OPTIONS') continue;
      const path = concreteUrl(url);
      for (const headers of [
        {},
        bearer(KEY.wrong),
        { 'api-key': KEY.wrong },
        { 'x-api-key': KEY.wrong, ...ANTHROPIC },
        bearer(KEY.expired),
      ] as Record<string, string>[]) {
        const res = await rt.app.inject({
          method: method as 'GET',
          url: path,
          headers: { ...headers, 'x-ms-client-request-id': 'client-7' },
        });
        const where = `${method} ${path} ${JSON.stringify(Object.keys(headers))}`;
        collect(failures, () => {
          expectEnvelope(res, 401, envelopeOf(path, headers), where);
          // Azure's paths name the reply's request in apim-request-id and echo the client's
          // x-ms-client-request-id, errors included.
          if (path.startsWith('/openai/')) {
            expect(res.headers['apim-request-id'], where).toBe(res.headers['x-request-id']);
            expect(res.headers['x-ms-client-request-id'], where).toBe('client-7');
          }
        });
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(600);
  });

  it('WebSocket upgrades: refused with the 401 before the upgrade (a key as a subprotocol too)', async () => {
    const base = (await rt.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const wsRoutes = routes.filter(({ method, url }) => {
      const a = ROUTES[routeKey(method, url)];
      return (
        method === 'GET' && a?.access === 'caller' && 'none' in a.scoped && a.scoped.none === WS
      );
    });
    expect(wsRoutes.length).toBeGreaterThanOrEqual(6);
    const upgrade = (url: string, headers: Record<string, string>, protocols?: string[]) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${base}${url}?model=small`, protocols, { headers });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          ws.close();
          reject(new Error(`${url}: upgraded`));
        });
        ws.on('error', () => {});
      });
    for (const { url } of wsRoutes) {
      const path = concreteUrl(url);
      expect(await upgrade(path, {}), path).toBe(401);
      expect(await upgrade(path, bearer(KEY.wrong)), path).toBe(401);
      expect(
        await upgrade(path, {}, ['realtime', `openai-insecure-api-key.${KEY.wrong}`]),
        path,
      ).toBe(401);
    }
  });

  it('a key used from outside its allowedIps: 403 on every route, the admin routes too', async () => {
    const failures: string[] = [];
    for (const { method, url } of routes) {
      const access = ROUTES[routeKey(method, url)];
      if (!access || access.access === 'public' || method === 'OPTIONS') continue;
      const path = concreteUrl(url);
      for (const headers of [bearer(KEY.elsewhere), { 'x-api-key': KEY.elsewhere, ...ANTHROPIC }]) {
        const res = await rt.app.inject({ method: method as 'GET', url: path, headers });
        const where = `${method} ${path} ${JSON.stringify(Object.keys(headers))}`;
        collect(failures, () => expectEnvelope(res, 403, envelopeOf(path, headers), where));
      }
    }
    expect(failures).toEqual([]);
  });

  it('admin routes: a valid key that is not an admin key is a 403 permission_error', async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const { method, url } of routes) {
      if (ROUTES[routeKey(method, url)]?.access !== 'admin') continue;
      const path = concreteUrl(url);
      const res = await rt.app.inject({
        method: method as 'GET',
        url: path,
        headers: bearer(KEY.a),
        ...(['PUT', 'PATCH', 'POST'].includes(method) ? { payload: {} } : {}),
      });
      collect(failures, () => {
        expectEnvelope(res, 403, 'openai', `${method} ${path}`);
        if (method !== 'HEAD')
          expect(res.json().error.type, `${method} ${path}`).toBe('permission_error');
      });
      checked++;
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('public routes answer without a key', async () => {
    for (const { method, url } of routes) {
      if (ROUTES[routeKey(method, url)]?.access !== 'public' || method === 'OPTIONS') continue;
      const path = url.replace(':file', 'app.js');
      const res = await rt.app.inject({ method: method as 'GET', url: path });
      expect(res.statusCode, `${method} ${path}: ${res.body.slice(0, 200)}`).toBeLessThan(400);
    }
  });
});

describe('scopes', () => {
  it('a key scoped to another model is refused on every route that names one', async () => {
    let checked = 0;
    const failures: string[] = [];
    for (const { method, url } of routes) {
      const access = ROUTES[routeKey(method, url)];
      if (access?.access !== 'caller' || method === 'HEAD' || 'none' in access.scoped) continue;
      const call = access.scoped;
      const path = concreteUrl(url, call.deployment ? { deployment: call.deployment } : {});
      const { headers, payload } = await call.body();
      const send = (key: string) =>
        rt.app.inject({
          method: method as 'GET',
          url: path,
          headers: { ...bearer(key), ...headers },
          ...(payload === undefined ? {} : { payload: payload as string }),
        });
      const res = await send(KEY.narrow);
      const status = call.status ?? 403;
      collect(failures, () =>
        expectEnvelope(res, status, envelopeOf(path, {}), `${method} ${path}`),
      );
      // The same call with a key of every scope gets past the check (so the refusal is the scope's).
      const allowed = await send(KEY.a);
      if (allowed.statusCode === status)
        failures.push(
          `${method} ${path}: ${status} with every scope too: ${allowed.body.slice(0, 200)}`,
        );
      checked++;
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  it("a batch's lines run with its creator's scopes (OpenAI's and Anthropic's batches)", async () => {
    const narrow = bearer(KEY.narrow);
    const line = JSON.stringify({
      custom_id: 'l1',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'big', messages: [{ role: 'user', content: 'hi' }] },
    });
    const upload = await multipart({ purpose: 'batch', file: new Blob([`${line}\n`]) }, 'l.jsonl');
    const file = await rt.app.inject({
      method: 'POST',
      url: '/v1/files',
      headers: { ...narrow, ...upload.headers },
      payload: upload.payload,
    });
    const created = await rt.app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: narrow,
      payload: {
        input_file_id: file.json().id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      },
    });
    expect(created.statusCode, created.body).toBe(200);
    const batch = await waitFor(async () => {
      const res = await rt.app.inject({
        method: 'GET',
        url: `/v1/batches/${created.json().id}`,
        headers: narrow,
      });
      expect(res.json().status).toBe('completed');
      return res.json() as { error_file_id: string; request_counts: { failed: number } };
    });
    expect(batch.request_counts.failed).toBe(1);
    const errors = await rt.app.inject({
      method: 'GET',
      url: `/v1/files/${batch.error_file_id}/content`,
      headers: narrow,
    });
    expect(JSON.parse(errors.body).response).toMatchObject({
      status_code: 403,
      body: { error: { type: 'permission_error' } },
    });

    const messages = { ...narrow, ...ANTHROPIC };
    const mb = await rt.app.inject({
      method: 'POST',
      url: '/v1/messages/batches',
      headers: messages,
      payload: {
        requests: [
          {
            custom_id: 'm1',
            params: { model: 'big', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
          },
        ],
      },
    });
    expect(mb.statusCode, mb.body).toBe(200);
    const id = mb.json().id as string;
    await waitFor(async () => {
      const res = await rt.app.inject({
        method: 'GET',
        url: `/v1/messages/batches/${id}`,
        headers: messages,
      });
      expect(res.json().processing_status).toBe('ended');
    });
    const results = await rt.app.inject({
      method: 'GET',
      url: `/v1/messages/batches/${id}/results`,
      headers: messages,
    });
    expect(JSON.parse(results.body)).toMatchObject({
      custom_id: 'm1',
      result: { type: 'errored', error: { error: { type: 'permission_error' } } },
    });
  });
});

describe('admin routes under auth.mode: none', () => {
  let open: Runtime;
  beforeAll(async () => {
    open = await startAccessRuntime({ auth: { mode: 'none', keys: [] } });
  });
  afterAll(async () => {
    await open?.close();
  });

  it('still take an admin key: none or a wrong one is a 401 (the caller routes are open)', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const { method, url } of registeredRoutes(open.app)) {
      if (ROUTES[routeKey(method, url)]?.access !== 'admin') continue;
      const path = concreteUrl(url);
      for (const headers of [{}, bearer(KEY.wrong)]) {
        const res = await open.app.inject({ method: method as 'GET', url: path, headers });
        collect(failures, () => expectEnvelope(res, 401, 'openai', `${method} ${path}`));
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(80);
    const caller = await open.app.inject({ method: 'GET', url: '/v1/models' });
    expect(caller.statusCode).toBe(200);
  });
});
