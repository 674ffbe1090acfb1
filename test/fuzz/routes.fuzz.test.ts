// Route-table fuzzing: every method and path the whole router serves gets bounded, seeded bad
// input (route-inputs.ts). For each: no 5xx; a 4xx is the API's own error shape (OpenAI's
// envelope; Anthropic's for /v1/messages and `anthropic-version` callers) with a message that says
// what to fix; and the router keeps serving afterwards. A failure prints the route, its seed and
// the smallest request found.
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart } from '../helpers/multipart-form.js';
import { LIST_PARAMS, ODD_LIMITS, requestFor, type FuzzRequest } from './route-inputs.js';
import {
  ADMIN_KEY,
  fuzzRuntime,
  routeTable,
  USER_KEY,
  type FuzzRuntime,
} from './route-fuzz-app.js';

/** Runs per route (×~300 routes): the whole file stays within ~30 s. */
const RUNS = Number(process.env.ROUTE_FUZZ_RUNS ?? 12);
/** The seed of route i is SEED + i, fixed so CI runs the same requests each time. */
const SEED = Number(process.env.ROUTE_FUZZ_SEED ?? 20261208);

/** With ROUTE_FUZZ_MESSAGES=<file>: every error body seen, written there to be read. */
const MESSAGES = process.env.ROUTE_FUZZ_MESSAGES ? new Set<string>() : undefined;

/**
 * Words of a message that names no fix: JavaScript's own errors, a bare status text, or the
 * internals of a store (an input error reported as the database's).
 */
const UNHELPFUL =
  /^(bad request|not found|error|invalid( request)?|internal server error)\.?$|\[object Object\]|is not a function|Cannot read propert|undefined is not|Unexpected token|^FST_|SQLite|SQLITE_|can only bind/i;

/**
 * The error shape a request must get (README "Endpoints"): Anthropic's on /v1/messages, and on
 * /v1/models and /v1/files for a caller that sends `anthropic-version`; OpenAI's elsewhere. An
 * `anthropic-version` caller of another path may get either (Fastify's own errors, such as a 404,
 * answer it in Anthropic's: http/framework-errors.ts).
 */
function errorShapeOf(req: FuzzRequest): 'anthropic' | 'openai' | 'either' {
  if (req.url.startsWith('/v1/messages')) return 'anthropic';
  if (!('anthropic-version' in req.headers)) return 'openai';
  return /^\/v1\/(models|files)\b/.test(req.url) ? 'anthropic' : 'either';
}

/** What is wrong with `res` as an answer to `req`, or undefined. */
export function problemWith(req: FuzzRequest, res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `${res.statusCode}: ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400 || req.method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = res.json();
  } catch {
    return `${res.statusCode} not JSON (${res.headers['content-type']}): ${res.body.slice(0, 200)}`;
  }
  const shape = errorShapeOf(req);
  const b = body as { type?: unknown; error?: Record<string, unknown> };
  const message = b.error?.message;
  if (typeof message !== 'string' || message.length < 10 || UNHELPFUL.test(message))
    return `${res.statusCode} unhelpful message: ${res.body.slice(0, 300)}`;
  const anthropic = b.type === 'error' && typeof b.error?.type === 'string';
  const openAi =
    b.type === undefined &&
    typeof b.error?.type === 'string' &&
    'param' in b.error &&
    'code' in b.error;
  if (shape === 'anthropic' && !anthropic)
    return `${res.statusCode} not Anthropic's error shape: ${res.body.slice(0, 300)}`;
  if (shape === 'openai' && !openAi)
    return `${res.statusCode} not OpenAI's error envelope: ${res.body.slice(0, 300)}`;
  if (!anthropic && !openAi)
    return `${res.statusCode} neither error shape: ${res.body.slice(0, 300)}`;
  return undefined;
}

/** Ids of objects that exist, by the route family they are named under. */
type KnownIds = Record<string, string[]>;

/** Makes one object of each stored kind as the user key's tenant, through the routes. */
async function makeObjects(fz: FuzzRuntime): Promise<KnownIds> {
  const user = { authorization: `Bearer ${USER_KEY}` };
  const call = async (method: 'POST' | 'GET', url: string, payload?: object, key = user) => {
    const res = await fz.runtime.app.inject({ method, url, headers: key, payload });
    expect([200, 201], `${url}: ${res.body}`).toContain(res.statusCode);
    return { json: res.json(), requestId: String(res.headers['x-request-id']) };
  };
  const chat = await call('POST', '/v1/chat/completions', {
    model: 'model-router',
    store: true,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const response = await call('POST', '/v1/responses', { model: 'model-router', input: 'hi' });
  const conversation = await call('POST', '/v1/conversations', {
    items: [{ type: 'message', role: 'user', content: 'hi' }],
  });
  const items = await call('GET', `/v1/conversations/${conversation.json.id}/items`);
  const line = { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} };
  const form = await multipart(
    { purpose: 'batch', file: new Blob([JSON.stringify(line) + '\n']) },
    'a.jsonl',
  );
  const upload = await fz.runtime.app.inject({
    method: 'POST',
    url: '/v1/files',
    headers: { ...user, ...form.headers },
    payload: form.payload,
  });
  expect(upload.statusCode, upload.body).toBe(200);
  const file = upload.json().id as string;
  const batch = await call('POST', '/v1/batches', {
    input_file_id: file,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  const messageBatch = await call('POST', '/v1/messages/batches', {
    requests: [
      {
        custom_id: 'a',
        params: {
          model: 'model-router',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'hi' }],
        },
      },
    ],
  });
  await call(
    'POST',
    '/admin/v1/keys',
    { id: 'fz-spare', tenant: 'team-a' },
    {
      authorization: `Bearer ${ADMIN_KEY}`,
    },
  );
  return {
    '/chat/completions/': [chat.json.id],
    '/responses/': [response.json.id],
    '/conversations/': [conversation.json.id],
    '/items/': [items.json.data[0].id],
    '/files/': [file],
    '/batches/': [batch.json.id],
    '/messages/batches/': [messageBatch.json.id],
    '/decisions/': [chat.requestId],
    '/keys/': ['fz-spare'],
    '/routers/': ['model-router'],
    '/deployments/': ['big', 'emb', 'img', 'tts', 'stt'],
    '/settings/': ['budgets', 'rateLimits', 'cache', 'contentFilter', 'circuitBreaker'],
    '/versions/': ['1'],
    '/models': ['big', 'model-router'],
  };
}

/** For each param of `path`, the known ids of the family its segment before it names. */
function knownFor(path: string, ids: KnownIds): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of path.matchAll(/(\/[a-z_]+\/?)(:[A-Za-z]+|\*$)/g)) {
    const before = path.slice(0, m.index) + m[1];
    const family = Object.keys(ids)
      .filter((k) => before.endsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    if (family) out[m[2]!] = ids[family]!;
  }
  if (path.endsWith('/feedback')) out.request_id = ids['/decisions/']!;
  if (path.endsWith('/batches')) out.input_file_id = ids['/files/']!;
  return out;
}

describe('route-table fuzzing', () => {
  let fz: FuzzRuntime;
  let ids: KnownIds;
  beforeAll(async () => {
    fz = await fuzzRuntime();
    ids = await makeObjects(fz);
  });
  afterAll(() => fz?.close());

  it('answers bad input on every route with a 4xx in its API shape, and keeps serving', async () => {
    // DELETEs last: the objects made for the other routes are still there for them.
    const routes = routeTable(fz.runtime)
      .filter((r) => r.method !== 'OPTIONS')
      .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    expect(routes.length).toBeGreaterThan(200);
    const findings: string[] = [];
    for (const [i, { method, path }] of routes.entries()) {
      const seed = SEED + i;
      const out = await fc.check(
        fc.asyncProperty(requestFor(method, path, knownFor(path, ids)), async (req) => {
          const res = await fz.runtime.app.inject(req);
          if (MESSAGES && res.statusCode >= 400 && req.method !== 'HEAD')
            MESSAGES.add(`${res.statusCode} ${path}: ${res.body.slice(0, 400)}`);
          const problem = problemWith(req, res);
          if (problem) throw new Error(problem);
        }),
        { numRuns: RUNS, seed },
      );
      if (out.failed) {
        const req = out.counterexample?.[0] as FuzzRequest | undefined;
        const payload = req?.payload === undefined ? '' : String(req.payload).slice(0, 200);
        findings.push(
          `${method} ${path} (seed ${seed}): ${(out.errorInstance as Error)?.message}\n  request: ${req?.method} ${req?.url.slice(0, 200)} ${JSON.stringify(req?.headers)} ${payload}`,
        );
      }
    }
    if (MESSAGES) writeFileSync(process.env.ROUTE_FUZZ_MESSAGES!, [...MESSAGES].sort().join('\n'));
    // Every path with a method it may not be served for: a 405 (or the route's own answer).
    const paths = [...new Set(routes.map((r) => r.path))];
    const out = await fc.check(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
        async (path, method) => {
          const [req] = fc.sample(requestFor(method, path, knownFor(path, ids)), {
            numRuns: 1,
            seed: path.length,
          });
          const res = await fz.runtime.app.inject(req!);
          const problem = problemWith(req!, res);
          if (problem) throw new Error(`${method} ${req!.url.slice(0, 200)}: ${problem}`);
        },
      ),
      { numRuns: paths.length, seed: SEED },
    );
    if (out.failed)
      findings.push(`any method (seed ${SEED}): ${(out.errorInstance as Error).message}`);
    expect(findings, findings.join('\n')).toEqual([]);
    // Still serving: a normal request succeeds.
    const ok = await fz.runtime.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${USER_KEY}` },
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await fz.runtime.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  }, 300_000);

  it('answers every list an odd limit and a parameter given twice with a 4xx in its shape', async () => {
    // Not left to chance: each GET route without ids, each odd `limit` and each list parameter
    // twice, as the user key and (on the admin API) the admin key.
    const lists = routeTable(fz.runtime).filter((r) => r.method === 'GET' && !/[:*]/.test(r.path));
    const queries = [
      ...ODD_LIMITS.map((v) => `limit=${v}`),
      ...LIST_PARAMS.map((p) => `${p}=a&${p}=b`),
    ];
    const findings: string[] = [];
    for (const { path } of lists)
      for (const query of queries) {
        const key = /^\/(admin|dashboard)\//.test(path) ? ADMIN_KEY : USER_KEY;
        const req = {
          method: 'GET',
          url: `${path}?${query}`,
          headers: { authorization: `Bearer ${key}` },
        };
        const problem = problemWith(req, await fz.runtime.app.inject(req));
        if (problem) findings.push(`GET ${req.url}: ${problem}`);
      }
    expect(lists.length).toBeGreaterThan(30);
    expect(findings, findings.join('\n')).toEqual([]);
  });
});
