// Bad input for any route, as fast-check arbitraries: odd path ids and query strings, wrong or
// missing content types, malformed JSON, the route's documented fields with wrong types, broken
// multipart forms, odd `anthropic-version` headers. Used by routes.fuzz.test.ts.
import fc from 'fast-check';
import { rawMultipart } from '../helpers/multipart-form.js';
import { mutatedForm, mutatedJson } from './route-bodies.js';
import { ADMIN_KEY, USER_KEY } from './route-fuzz-app.js';

/** The body fields each family of routes documents (README, docs/concepts.md), first match wins. */
const ROUTE_FIELDS: [RegExp, string[]][] = [
  [/\/messages\/batches/, ['requests', 'custom_id', 'params']],
  [
    /\/messages/,
    ['model', 'messages', 'max_tokens', 'system', 'stream', 'tools', 'tool_choice', 'thinking'],
  ],
  [/\/responses\/(input_tokens|compact)$/, ['model', 'input', 'previous_response_id', 'tools']],
  [
    /\/responses/,
    [
      'model',
      'input',
      'instructions',
      'previous_response_id',
      'conversation',
      'store',
      'background',
      'stream',
      'tools',
      'max_output_tokens',
      'reasoning',
      'text',
      'include',
      'metadata',
      'context_management',
    ],
  ],
  [/chat\/completions\/:id$/, ['metadata']],
  [
    /chat\/completions/,
    [
      'model',
      'messages',
      'stream',
      'max_tokens',
      'n',
      'tools',
      'tool_choice',
      'response_format',
      'stream_options',
      'store',
      'metadata',
      'data_sources',
    ],
  ],
  [/\/completions$/, ['model', 'prompt', 'max_tokens', 'suffix', 'echo', 'logprobs', 'n', 'stop']],
  [/v1\/decisions$/, ['model', 'input', 'questions', 'safety_identifier', 'prompt_cache_key']],
  [/embeddings/, ['model', 'input', 'dimensions', 'encoding_format', 'user']],
  [/moderations/, ['model', 'input']],
  [/images\/generations/, ['model', 'prompt', 'n', 'size', 'quality', 'response_format']],
  [/images\/(edits|variations)/, ['model', 'image', 'image[]', 'mask', 'prompt', 'n', 'size']],
  [/audio\/speech/, ['model', 'input', 'voice', 'response_format', 'speed', 'instructions']],
  [
    /audio\/(transcriptions|translations)/,
    ['model', 'file', 'language', 'prompt', 'response_format', 'temperature', 'stream'],
  ],
  [/rerank/, ['model', 'query', 'documents', 'top_n', 'return_documents', 'rank_fields']],
  [/conversations\/:id\/items/, ['items']],
  [/conversations/, ['items', 'metadata']],
  [/files/, ['file', 'purpose', 'expires_after']],
  [/batches/, ['input_file_id', 'endpoint', 'completion_window', 'metadata']],
  [/feedback/, ['request_id', 'decision_id', 'score', 'weight', 'comment', 'metadata', 'value']],
  [/admin\/v1\/keys/, ['id', 'tenant', 'scopes', 'admin', 'modelSubset', 'allowedIps', 'budget']],
  [/admin\/v1\/config\/rollback/, ['revision']],
  [/admin\/v1\/settings/, ['enabled', 'failureThreshold', 'keyword', 'endUser', 'daily']],
  [
    /admin\/v1\/(routers|pools|deployments)/,
    ['name', 'modelSubset', 'routingMode', 'deployments', 'provider', 'model', 'prices'],
  ],
];

/** The fields `path` documents (any field at all for routes with none). */
export function fieldsOf(path: string): string[] {
  return ROUTE_FIELDS.find(([re]) => re.test(path))?.[1] ?? ['model', 'input', 'id'];
}

const QUERY_PARAMS = [
  'limit',
  'order',
  'after',
  'before',
  'after_id',
  'before_id',
  'since',
  'until',
  'by',
  'status',
  'tenant',
  'include',
  'include[]',
  'stream',
  'starting_after',
  'api-version',
  'format',
  'bucket',
  'batch_id',
  'key',
  'user',
  'tag',
  'model',
];

/** Query values as written in a URL: odd numbers, unknown words, broken percent-escapes. */
const rawQueryValue = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    '1',
    '101',
    '1e309',
    '99999999999999999999',
    '1.5',
    'NaN',
    'abc',
    '',
    'asc',
    'desc',
    'sideways',
    '%00',
    '%',
    '%zz',
    '%E2%82',
    '%F0%9F%98%80',
    'true',
    '2024-10-21',
    '2023-06-01',
    'preview',
    'latest',
    '7d',
    '-7d',
    'x'.repeat(3000),
    'resp_%2e%2e',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

/** Parameters the lists read, each sent twice by the fuzzer now and then. */
export const LIST_PARAMS = [
  'after',
  'after_id',
  'before_id',
  'user',
  'key',
  'tag',
  'order',
  'model',
  'status',
  'since',
  'purpose',
];

/** Odd values of the parameter every list reads, `limit`. */
export const ODD_LIMITS = ['-1', '0', '1.5', '1e309', '99999999999999999999', 'NaN', 'abc', ''];
const oddLimit = fc.constantFrom(...ODD_LIMITS);

/**
 * A query string of up to four parameters; often an odd `limit` too, and now and then one of
 * them given a second time (`?after=a&after=b`, which reaches a route as an array).
 */
export const queryString = fc
  .record({
    pairs: fc.array(fc.tuple(fc.constantFrom(...QUERY_PARAMS), rawQueryValue), { maxLength: 4 }),
    limit: fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: oddLimit },
    ),
    repeat: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constantFrom(...LIST_PARAMS), rawQueryValue, rawQueryValue),
      },
    ),
  })
  .map(({ pairs, limit, repeat }) => {
    const all: (readonly [string, string])[] = [...pairs];
    if (limit !== undefined) all.push(['limit', limit]);
    if (repeat !== undefined) all.push([repeat[0], repeat[1]], [repeat[0], repeat[2]]);
    return all.length ? '?' + all.map(([k, v]) => `${k}=${v}`).join('&') : '';
  });

/** Path ids as clients and attackers send them (raw, already percent-encoded where needed). */
export const pathId = fc.oneof(
  fc.constantFrom(
    'x',
    'resp_0',
    'a'.repeat(99),
    'a'.repeat(101),
    '%00',
    '..',
    '%2e%2e',
    '%2F',
    '%F0%9F%98%80',
    '%E2%82',
    '%',
    '%20',
    '-1',
    '0',
    '1e309',
    'null',
    '__proto__',
    'constructor',
    'model-router',
    'big',
    'budgets',
  ),
  fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
);

/** A value of the wrong type (or a right one) for any field. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    '',
    'x',
    '🙂',
    '\u0000',
    '\ud800',
    [],
    {},
    [[]],
    [null],
    { a: { b: {} } },
    'x'.repeat(5000),
    'model-router',
    'big',
  ),
  fc.string({ maxLength: 16 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), {
    maxLength: 3,
  }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

const MODELS = ['model-router', 'big', 'emb', 'mod', 'img', 'tts', 'stt', 'rr', 'nope', ''];

const MALFORMED_JSON = [
  '{',
  '[',
  '{"model": "model-router", "messages": [',
  '{"a":}',
  'NaN',
  'undefined',
  "{'model': 'x'}",
  '\ufeff{}',
  '{"model": "big",}',
  '{"__proto__": {"admin": true}}',
  '{"constructor": {"prototype": {}}}',
  '['.repeat(5000) + ']'.repeat(5000),
  '{"a":' + '1'.repeat(400) + '}',
  '{"model": "\\ud800"}',
  '\u0000',
  'model=big&input=x',
  // Past the fuzzed router's body limit (route-fuzz-app.ts): a 413.
  JSON.stringify({ model: 'model-router', input: 'x'.repeat(300_000) }),
];

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'application/octet-stream',
  'application/jsonx',
  '',
];

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** A JSON object of the route's fields, each of the wrong type (or right) at random. */
const jsonFields = (fields: string[]) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(fields.map((f) => [f, anyValue])), { requiredKeys: [] }),
      fc.option(fc.constantFrom(...MODELS), { nil: undefined }),
    )
    .map(([body, model]) => (model !== undefined ? { ...body, model } : body));

/** A multipart form of the route's fields: parts missing, repeated, oversized, files or not. */
const multipartBody = (fields: string[]) =>
  fc
    .array(
      fc.record({
        name: fc.oneof(
          fc.constantFrom(...fields, 'file', 'image', 'model'),
          fc.string({ maxLength: 5 }),
        ),
        value: fc.oneof(
          fc.constantFrom('', 'model-router', 'big', 'img', 'stt', 'tts', '-1', '{"a":1}'),
          fc.string({ maxLength: 20 }),
          fc.constantFrom('x'.repeat(300_000)),
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        ),
        filename: fc.option(fc.constantFrom('a.png', 'a.wav', 'a.jsonl', '', '../x', 'a"b'), {
          nil: undefined,
        }),
        contentType: fc.option(
          fc.constantFrom('image/png', 'audio/wav', 'application/json', 'text/plain', 'x/y'),
          { nil: undefined },
        ),
      }),
      { maxLength: 6 },
    )
    .chain((parts) =>
      fc.constantFrom('whole', 'no boundary', 'cut').map((how) => {
        const form = rawMultipart(parts);
        if (how === 'no boundary')
          return { type: 'multipart/form-data', payload: form.payload as string | Buffer };
        if (how === 'cut')
          return {
            type: form.headers['content-type'],
            payload: form.payload.subarray(0, Math.floor(form.payload.length / 2)),
          };
        return { type: form.headers['content-type'], payload: form.payload };
      }),
    );

type Body = { type: string | undefined; payload: string | Buffer | undefined };

/**
 * A body for a route: none, malformed, JSON of its fields, another JSON value, a form; and, most
 * often, its valid body (JSON or form) with a field or part wrong.
 */
const body = (
  path: string,
  fields: string[],
  known: Record<string, readonly string[]>,
): fc.Arbitrary<Body> => {
  const json = mutatedJson(path, fields, known);
  const form = mutatedForm(path);
  return fc.oneof(
    fc.constant<Body>({ type: undefined, payload: undefined }),
    fc
      .tuple(fc.constantFrom(...MALFORMED_JSON), fc.constantFrom(...CONTENT_TYPES))
      .map(([payload, type]): Body => ({ type: type || undefined, payload })),
    fc
      .tuple(jsonFields(fields), fc.constantFrom(...CONTENT_TYPES))
      .map(([j, type]): Body => ({ type: type || undefined, payload: JSON.stringify(j) })),
    fc
      .jsonValue({ maxDepth: 2 })
      .map((v): Body => ({ type: 'application/json', payload: JSON.stringify(v) })),
    multipartBody(fields).map((f): Body => ({ type: f.type, payload: f.payload })),
    ...(json
      ? [
          {
            weight: 4,
            arbitrary: json.map((j): Body => ({
              type: 'application/json',
              payload: JSON.stringify(j),
            })),
          },
        ]
      : []),
    ...(form
      ? [
          {
            weight: 4,
            arbitrary: form.map((f): Body => ({
              type: f.headers['content-type'],
              payload: f.payload,
            })),
          },
        ]
      : []),
  );
};

/** Which key a route is called with: the admin key on the admin API, mostly the user key elsewhere. */
function keyFor(path: string) {
  if (/^\/(admin|dashboard)\//.test(path)) return fc.constant(ADMIN_KEY);
  return fc.constantFrom(USER_KEY, USER_KEY, USER_KEY, ADMIN_KEY);
}

/** Mostly none or a valid one, so bodies get past the version check; sometimes a bad one. */
const anthropicVersion = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constant('2023-06-01') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2023-01-01',
      'bogus',
      '',
      '1999-01-01',
      '2023-06-01x',
      '9999-99-99',
    ),
  },
);

/** The router's request headers (README, docs/concepts.md) with odd values. */
const ROUTER_HEADERS: Record<string, readonly string[]> = {
  'x-router-mode': ['cost', 'quality', 'bogus', '', 'COST'],
  'x-router-tags': ['a=b', ',,,', 'a=' + 'x'.repeat(3000), '=', 'a,b,c'],
  'x-router-max-wait-ms': ['-1', 'abc', '1e309', '0', '99999999999'],
  'x-router-cache': ['off', 'bogus', '', 'refresh'],
  'x-router-max-price': ['-1', 'abc', '0', '1e309'],
  'x-router-regions': ['eastus', '', ',', 'nowhere'],
  'x-router-data-zone': ['us', 'eu', 'mars', ''],
  'x-router-session-id': ['s', '', 'x'.repeat(3000)],
  'x-router-batch-forward': ['when-available', 'bogus', ''],
  'anthropic-beta': ['files-api-2025-04-14', '', ',,,', 'bogus'],
  'x-api-key': ['nope'],
  'api-key': ['nope'],
};

const routerHeaders = fc
  .subarray(Object.keys(ROUTER_HEADERS), { maxLength: 2 })
  .chain((names) =>
    fc.tuple(
      ...names.map((n) => fc.constantFrom(...ROUTER_HEADERS[n]!).map((v) => [n, v] as const)),
    ),
  )
  .map((pairs) => Object.fromEntries(pairs) as Record<string, string>);

/** `query` with Azure's `api-version` first, as the AzureOpenAI client sends it. */
const withVersion = (query: string) =>
  `?api-version=2024-10-21${query ? '&' + query.slice(1) : ''}`;

/**
 * A bad request to `method path`: `:param` and `*` filled with odd ids, or now and then with
 * `known[param]`, ids of objects that exist (so checks past the lookup run too).
 */
export function requestFor(
  method: string,
  path: string,
  known: Record<string, readonly string[]> = {},
): fc.Arbitrary<FuzzRequest> {
  const params = path.match(/:[A-Za-z]+|\*$/g) ?? [];
  // The admin API's DELETE would remove the config the other routes are fuzzed against.
  const deletesConfig = method === 'DELETE' && path.startsWith('/admin/');
  const odd = deletesConfig ? pathId.filter((id) => id !== 'model-router' && id !== 'big') : pathId;
  const idFor = (param: string) => {
    const real = deletesConfig ? [] : (known[param] ?? []);
    return real.length
      ? fc.oneof({ weight: 2, arbitrary: odd }, { weight: 3, arbitrary: fc.constantFrom(...real) })
      : odd;
  };
  const sendsBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
  return fc
    .record({
      ids: fc.tuple(...params.map(idFor)),
      query: queryString,
      key: keyFor(path),
      version: anthropicVersion,
      extra: fc.oneof(
        { weight: 3, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: routerHeaders },
      ),
      body: sendsBody
        ? body(path, fieldsOf(path), known)
        : fc.oneof(
            { weight: 4, arbitrary: fc.constant<Body>({ type: undefined, payload: undefined }) },
            { weight: 1, arbitrary: body(path, fieldsOf(path), known) },
          ),
    })
    .map(({ ids, query, key, version, extra, body: b }) => {
      let i = 0;
      // `/v1/models*` is `/v1/models/<id>`; Azure's dated paths need an `api-version` to be read.
      const filled = path.replace(/:[A-Za-z]+|\*$/g, (p) => (p === '*' ? '/' : '') + ids[i++]);
      const azureDated = path.startsWith('/openai/') && !path.startsWith('/openai/v1/');
      const url = filled + (azureDated && !/api-version=/.test(query) ? withVersion(query) : query);
      const headers: Record<string, string> = { ...extra, authorization: `Bearer ${key}` };
      if (version !== undefined) headers['anthropic-version'] = version;
      if (b.type !== undefined) headers['content-type'] = b.type;
      return { method, url, headers, ...(b.payload !== undefined ? { payload: b.payload } : {}) };
    });
}
