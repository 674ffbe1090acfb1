// Tenant isolation on every route of the router that names a stored object (read from its route
// table, test/helpers/route-table.ts), with the stored objects in SQLite and in PostgreSQL: another
// tenant's id is answered as an unknown one (the same 404, the same headers, nothing changed), its
// lists show none of the objects, nor do the public routes.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime.js';
import {
  ANTHROPIC,
  KEY,
  bearer,
  createAsA,
  normalised,
  startAccessRuntime,
  unknownLike,
  type Made,
} from './helpers/access-runtime.js';
import { PG_URL, dropSchema, pgAvailable } from './helpers/postgres.js';
import { registeredRoutes, type RegisteredRoute } from './helpers/registered-routes.js';
import { concreteUrl, expectEnvelope, routeKey } from './helpers/route-access.js';
import { ROUTES } from './helpers/route-table.js';

/** A reply's header names, sorted: another tenant's id must not add or drop one. */
const headerNames = (res: LightMyRequestResponse) => Object.keys(res.headers).sort().join(',');

// The stored objects live in the request log's database: each backend keeps tenants apart on its own.
const SCHEMA = `hsec_isolation_${process.pid}`;
const BACKENDS: [string, () => Promise<Runtime | undefined>][] = [
  ['SQLite', () => startAccessRuntime()],
  [
    'PostgreSQL',
    async () =>
      (await pgAvailable('the tenant isolation matrix on PostgreSQL'))
        ? startAccessRuntime({
            requestLog: { kind: 'postgres', postgresUrl: PG_URL, postgresSchema: SCHEMA },
          })
        : undefined,
  ],
];

describe.each(BACKENDS)('tenant isolation (%s)', (backend, start) => {
  let server: Runtime | undefined;
  let routes: RegisteredRoute[] = [];
  let made: Made;
  beforeAll(async () => {
    const started = await start();
    if (!started) return;
    server = started;
    routes = registeredRoutes(started.app);
    made = await createAsA(started);
  });
  afterAll(async () => {
    await server?.close();
    if (backend === 'PostgreSQL' && server) await dropSchema(SCHEMA);
  });

  it("every route naming a stored object answers another tenant's id as an unknown one", async (ctx) => {
    if (!server) return ctx.skip();
    const rt = server;
    let checked = 0;
    const failures: string[] = [];
    for (const { method, url } of routes) {
      const access = ROUTES[routeKey(method, url)];
      if (access?.access !== 'caller' || !access.names) continue;
      const kind = access.names;
      const real = made.ids[kind];
      const unknown = unknownLike(real);
      const realItem = made.item;
      const unknownItem = unknownLike(realItem);
      const inPath = /:id\b/.test(url);
      const variants: Record<string, string>[] = [{}];
      // Files and models answer Anthropic clients in Anthropic's shapes; the rule is the same.
      if (!url.startsWith('/v1/messages') && kind !== 'requestId') variants.push(ANTHROPIC);
      for (const extra of variants) {
        const ask = (key: string, id: string, item: string) =>
          rt.app.inject({
            method: method as 'GET',
            url: concreteUrl(url, inPath ? { id, itemId: item } : {}),
            headers: { ...bearer(key), ...extra },
            ...(access.body ? { payload: access.body(id, item) as string } : {}),
          });
        const asB = await ask(KEY.b, real, realItem);
        const asUnknown = await ask(KEY.b, unknown, unknownItem);
        const where = `${method} ${url} as team-b ${JSON.stringify(extra)}`;
        if (asB.statusCode !== 404 || asUnknown.statusCode !== 404)
          failures.push(
            `${where}: ${asB.statusCode} (unknown id: ${asUnknown.statusCode}) ${asB.body.slice(0, 200)}`,
          );
        else if (
          normalised(asB, [real, realItem]) !== normalised(asUnknown, [unknown, unknownItem]) ||
          headerNames(asB) !== headerNames(asUnknown)
        )
          failures.push(`${where}: ${asB.body.slice(0, 200)} vs ${asUnknown.body.slice(0, 200)}`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it("another tenant's stream of a background response is a 404 too", async (ctx) => {
    if (!server) return ctx.skip();
    const rt = server;
    const res = await rt.app.inject({
      method: 'GET',
      url: `/v1/responses/${made.ids.background}?stream=true`,
      headers: bearer(KEY.b),
    });
    expectEnvelope(res, 404, 'openai', 'GET /v1/responses/{id}?stream=true');
  });

  it("another tenant's lists show none of this tenant's objects", async (ctx) => {
    if (!server) return ctx.skip();
    const rt = server;
    const secrets = [...Object.values(made.ids), made.item, 'team-a', 'key-of-team-a', 'Team A'];
    for (const { method, url } of routes) {
      const access = ROUTES[routeKey(method, url)];
      if (access?.access !== 'caller' || !access.lists || method !== 'GET') continue;
      for (const extra of [{}, ANTHROPIC]) {
        const path = concreteUrl(url);
        const res = await rt.app.inject({
          method: 'GET',
          url: path,
          headers: { ...bearer(KEY.b), ...extra },
        });
        const where = `GET ${path} as team-b`;
        expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBe(200);
        for (const s of secrets) expect(res.body, `${where} shows ${s}`).not.toContain(s);
      }
    }
  });

  it("the public routes show nothing of a tenant's (names, keys, ids, prompts)", async (ctx) => {
    if (!server) return ctx.skip();
    const rt = server;
    const secrets = [...Object.values(made.ids), made.item, 'team-a', 'key-of-team-a', 'Team A'];
    for (const { method, url } of routes) {
      if (ROUTES[routeKey(method, url)]?.access !== 'public' || method !== 'GET') continue;
      const path = url.replace(':file', 'app.js');
      const res = await rt.app.inject({ method: 'GET', url: path });
      for (const s of secrets) expect(res.body, `GET ${path} shows ${s}`).not.toContain(s);
    }
  });

  it('what another tenant tried changed nothing: every object still answers its owner', async (ctx) => {
    if (!server) return ctx.skip();
    const rt = server;
    const a = bearer(KEY.a);
    const get = (url: string, headers: Record<string, string> = {}) =>
      rt.app.inject({ method: 'GET', url, headers: { ...a, ...headers } });
    const { ids } = made;
    expect((await get(`/v1/responses/${ids.response}`)).statusCode).toBe(200);
    expect((await get(`/v1/chat/completions/${ids.chatCompletion}`)).json().metadata).not.toEqual({
      topic: 'changed',
    });
    const conv = await get(`/v1/conversations/${ids.conversation}`);
    expect(conv.statusCode).toBe(200);
    expect(conv.json().metadata).not.toEqual({ topic: 'changed' });
    const items = await get(`/v1/conversations/${ids.conversation}/items`);
    expect(items.json().data.map((i: { id: string }) => i.id)).toEqual([made.item]);
    expect((await get(`/v1/files/${ids.file}`)).statusCode).toBe(200);
    expect((await get(`/v1/batches/${ids.batch}`)).json().status).not.toMatch(/cancel/);
    const mb = await get(`/v1/messages/batches/${ids.messageBatch}`, {
      ...ANTHROPIC,
    });
    expect(mb.statusCode).toBe(200);
    expect(mb.json().cancel_initiated_at ?? null).toBeNull();
  });
});
