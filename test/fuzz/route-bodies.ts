// A valid body for each family of routes, and fast-check mutations of it (a field set to a wrong
// value, removed, or a form part dropped, repeated, oversized), so fuzzing reaches the checks that
// run after a body's outline is right. Used by route-inputs.ts.
import fc from 'fast-check';
import { simulatedPng, wavHeader } from '../../src/providers/simulated/simulated-media.js';
import { rawMultipart, type RawPart } from '../helpers/multipart-form.js';

const USER_TURN = [{ role: 'user', content: 'hi' }];
/** Stands for `known.request_id` in a base body. */
const REQUEST_ID = 'req_fz_unknown';
/** Stands for `known.input_file_id` in a base body. */
const FILE_ID = 'file-fz-unknown';
const PNG = simulatedPng('fuzz', 0);
const WAV = Buffer.concat([wavHeader(1600), Buffer.alloc(1600)]);

/** Valid JSON bodies by path, first match wins (README "Endpoints"). */
const JSON_BASES: [RegExp, Record<string, unknown>][] = [
  [
    /\/messages\/batches$/,
    {
      requests: [
        { custom_id: 'a', params: { model: 'model-router', max_tokens: 16, messages: USER_TURN } },
      ],
    },
  ],
  [/\/messages\/count_tokens$/, { model: 'model-router', messages: USER_TURN }],
  [/\/messages$/, { model: 'model-router', max_tokens: 16, messages: USER_TURN }],
  [/\/responses(\/input_tokens|\/compact)?$/, { model: 'model-router', input: 'hi' }],
  [/chat\/completions\/:id$/, { metadata: { a: 'b' } }],
  [/chat\/completions$/, { model: 'model-router', messages: USER_TURN }],
  [/\/completions$/, { model: 'model-router', prompt: 'hi', max_tokens: 8 }],
  [
    /v1\/decisions$/,
    {
      model: 'model-router',
      input: 'hi',
      questions: [
        { type: 'predicate', instructions: 'Is it a greeting?' },
        { type: 'choice', instructions: 'Which?', choices: [{ value: true }, { value: 'true' }] },
        {
          type: 'score',
          instructions: 'How warm?',
          levels: [{ label: 'cold' }, { label: 'warm' }],
        },
      ],
    },
  ],
  [/embeddings$/, { model: 'emb', input: 'hi' }],
  [/moderations$/, { model: 'mod', input: 'hi' }],
  [/images\/generations$/, { model: 'img', prompt: 'a cat' }],
  [
    /images\/edits$/,
    {
      model: 'img',
      prompt: 'a hat',
      images: [{ image_url: `data:image/png;base64,${PNG.toString('base64')}` }],
    },
  ],
  [/audio\/speech$/, { model: 'tts', input: 'hi', voice: 'alloy' }],
  [/rerank$/, { model: 'rr', query: 'cat', documents: ['a cat', 'a dog'], top_n: 1 }],
  [/conversations\/:id\/items$/, { items: [{ type: 'message', role: 'user', content: 'hi' }] }],
  [/conversations\/:id$/, { metadata: { a: 'b' } }],
  [
    /conversations$/,
    { items: [{ type: 'message', role: 'user', content: 'hi' }], metadata: { a: 'b' } },
  ],
  [
    /\/batches$/,
    { input_file_id: FILE_ID, endpoint: '/v1/chat/completions', completion_window: '24h' },
  ],
  // `request_id` is a request that exists where the caller knows one (an unknown one waits for
  // the request log's write, 2 s, before its 404).
  [/feedback$/, { request_id: REQUEST_ID, score: 0.5, comment: 'ok' }],
  [/admin\/v1\/keys$/, { id: 'fz-new', tenant: 'team-b', scopes: ['*'] }],
  [/admin\/v1\/config\/rollback$/, { revision: 1 }],
  [/admin\/v1\/settings\/:section$/, { enabled: false }],
  [/admin\/v1\/routers\/:name$/, { name: 'fz-router', modelSubset: ['big', 'small'] }],
  [/admin\/v1\/pools\/:name$/, { name: 'fz-pool', deployments: ['big', 'small'] }],
];

/** Valid multipart forms by path. */
const FORM_BASES: [RegExp, RawPart[]][] = [
  [
    /audio\/(transcriptions|translations)$/,
    [
      { name: 'model', value: 'stt' },
      { name: 'file', value: WAV, filename: 'a.wav', contentType: 'audio/wav' },
    ],
  ],
  [
    /images\/edits$/,
    [
      { name: 'model', value: 'img' },
      { name: 'prompt', value: 'a hat' },
      { name: 'image', value: PNG, filename: 'a.png', contentType: 'image/png' },
    ],
  ],
  [
    /images\/variations$/,
    [
      { name: 'model', value: 'img' },
      { name: 'image', value: PNG, filename: 'a.png', contentType: 'image/png' },
    ],
  ],
  [
    /\/files$/,
    [
      { name: 'purpose', value: 'batch' },
      {
        name: 'file',
        value: '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n',
        filename: 'a.jsonl',
        contentType: 'application/jsonl',
      },
    ],
  ],
];

/** Nested places worth a wrong value besides the top-level fields. */
const NESTED = [
  'messages.0',
  'messages.0.role',
  'messages.0.content',
  'requests.0',
  'requests.0.custom_id',
  'requests.0.params',
  'requests.0.params.max_tokens',
  'items.0',
  'items.0.content',
  'items.0.role',
  'documents.0',
  'images.0',
  'images.0.image_url',
  'metadata.a',
  'input.0',
];

/** A wrong (or odd) value for any field. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    1.5,
    1e308,
    '',
    '🙂',
    '\u0000',
    [],
    {},
    [null],
    'x'.repeat(70_000),
    Array.from({ length: 3000 }, () => 'a'),
    { type: 'text', text: 'hi' },
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }),
);

/** `body` with `path` (`a.0.b`) set to `value`, or removed when value is `REMOVE`. */
function setPath(body: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    const next = at[k];
    if (typeof next !== 'object' || next === null) return copy;
    at = next as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === REMOVE) delete at[last];
  else at[last] = value;
  return copy;
}
const REMOVE = Symbol('remove');

/** The route's valid JSON body with one or two fields wrong, or undefined where it has none. */
export function mutatedJson(
  path: string,
  fields: readonly string[],
  known: Record<string, readonly string[]> = {},
): fc.Arbitrary<unknown> | undefined {
  const found = JSON_BASES.find(([re]) => re.test(path))?.[1];
  if (!found) return undefined;
  const base: Record<string, unknown> = { ...found };
  // Azure's deployment paths name the model in the URL.
  if (path.includes('/:deployment/')) delete base.model;
  const requestId = known.request_id?.[0];
  if (requestId && base.request_id === REQUEST_ID) base.request_id = requestId;
  const fileId = known.input_file_id?.[0];
  if (fileId && base.input_file_id === FILE_ID) base.input_file_id = fileId;
  const places = [...new Set([...Object.keys(base), ...fields, ...NESTED])];
  const change = fc.tuple(fc.constantFrom(...places), fc.oneof(fc.constant(REMOVE), badValue));
  return fc
    .array(change, { minLength: 1, maxLength: 2 })
    .map((changes) => changes.reduce<unknown>((b, [p, v]) => setPath(b, p, v), base));
}

/** The route's valid form with a part dropped, repeated, replaced or oversized; or undefined. */
export function mutatedForm(
  path: string,
): fc.Arbitrary<ReturnType<typeof rawMultipart>> | undefined {
  const base = FORM_BASES.find(([re]) => re.test(path))?.[1];
  if (!base) return undefined;
  const part = fc.nat({ max: base.length - 1 });
  const edit = fc.oneof(
    part.map((i) => (parts: RawPart[]) => parts.filter((_, j) => j !== i)),
    part.map((i) => (parts: RawPart[]) => (parts[i] ? [...parts, parts[i]] : parts)),
    fc
      .tuple(part, fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'x'.repeat(200_000))))
      .map(
        ([i, value]) =>
          (parts: RawPart[]) =>
            parts.map((p, j) => (j === i ? { ...p, value } : p)),
      ),
    fc.tuple(part, fc.constantFrom('', '../a.png', 'a"b.wav', '🙂.png', 'a'.repeat(300))).map(
      ([i, filename]) =>
        (parts: RawPart[]) =>
          parts.map((p, j) => (j === i ? { ...p, filename } : p)),
    ),
    fc
      .tuple(part, fc.constantFrom('image/png', 'audio/wav', 'text/plain', 'x/y', 'image/svg+xml'))
      .map(
        ([i, contentType]) =>
          (parts: RawPart[]) =>
            parts.map((p, j) => (j === i ? { ...p, contentType } : p)),
      ),
    fc
      .tuple(
        fc.constantFrom(
          'n',
          'size',
          'response_format',
          'language',
          'temperature',
          'mask',
          'stream',
        ),
        fc.constantFrom('-1', '0', '1e309', 'abc', '', '{}', 'true', '99999'),
      )
      .map(([name, value]) => (parts: RawPart[]) => [...parts, { name, value }]),
  );
  return fc
    .array(edit, { minLength: 1, maxLength: 2 })
    .map((edits) => rawMultipart(edits.reduce((parts, e) => e(parts), base)));
}
