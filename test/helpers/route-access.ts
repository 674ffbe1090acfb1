// The route table's access rules for test/route-access-matrix.test.ts: who may call each route
// (public, any key of a tenant, admin keys), whether a key's scopes decide it, and which stored
// object its path or body names, so tenant isolation can be checked on every such route.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { multipart } from './multipart-form.js';

/** A stored object a route names by id (a conversation item: its conversation's and its own). */
export type ObjectKind =
  | 'response'
  | 'background'
  | 'chatCompletion'
  | 'conversation'
  | 'conversationItem'
  | 'file'
  | 'batch'
  | 'messageBatch'
  | 'requestId';

/** A request naming a model (or deployment) a narrow key may not use: its body (or form). */
export interface ScopedCall {
  /** `:deployment` in the path. */
  deployment?: string;
  body: () => Promise<{ headers?: Record<string, string>; payload: unknown }>;
  /** A multipart call's fields (its file named `file`), so a deployment path can drop `model`. */
  form?: { fields: Record<string, string | Blob>; file: string };
  /** What a key without the scope gets: 403 by default; 404 where the route hides what it may not use. */
  status?: 403 | 404;
}

export type Access =
  | { access: 'public'; why: string }
  | { access: 'admin' }
  | {
      access: 'caller';
      /** A call the key's scopes decide, or why none does (the route names no model). */
      scoped: ScopedCall | { none: string };
      /** The stored object its path (or body) names, when it names one. */
      names?: ObjectKind;
      /** The body of a request naming the object (`id`: its id, `item`: a conversation item's). */
      body?: (id: string, item?: string) => unknown;
      /** A list of the tenant's objects of this kind (another tenant's must not show in it). */
      lists?: ObjectKind;
    };

const json = (payload: unknown) => async () => ({ payload });
const form = (fields: Record<string, string | Blob>, file: string): ScopedCall => ({
  body: () => multipart(fields, file),
  form: { fields, file },
});

// A 1×1 PNG and a few bytes of "audio": enough for a form; the scope is checked on the model.
const PNG = new Blob([
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
]);
const AUDIO = new Blob([Buffer.from('RIFF....WAVEfmt ')]);

/** Each model-naming call, with the model a key scoped to `small` alone may not use. */
export const SCOPED = {
  chat: { body: json({ model: 'big', messages: [{ role: 'user', content: 'hi' }] }) },
  completion: { body: json({ model: 'big', prompt: 'hi' }) },
  decision: {
    body: json({
      model: 'big',
      input: 'hi',
      questions: [{ type: 'predicate', instructions: 'Is it a greeting?' }],
    }),
  },
  responses: { body: json({ model: 'big', input: 'hi' }) },
  messages: {
    body: json({ model: 'big', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  },
  embeddings: { body: json({ model: 'emb', input: 'hi' }) },
  moderations: { body: json({ model: 'mod', input: 'hi' }) },
  rerank: { body: json({ model: 'rr', query: 'q', documents: ['a', 'b'] }) },
  image: { body: json({ model: 'img', prompt: 'a cat' }) },
  imageEdit: form({ model: 'img', prompt: 'a hat', image: PNG }, 'cat.png'),
  imageVariation: form({ model: 'img', image: PNG }, 'cat.png'),
  speech: { body: json({ model: 'tts', input: 'hi', voice: 'alloy' }) },
  transcription: form({ model: 'stt', file: AUDIO }, 'a.wav'),
  model: { body: json(undefined), status: 404 },
} satisfies Record<string, ScopedCall>;

/** The same call on an Azure `/deployments/{deployment}/…` path: the model is the path's. */
export function onDeployment(call: ScopedCall, deployment: string): ScopedCall {
  if (call.form) {
    const { model: _model, ...fields } = call.form.fields;
    return { deployment, body: () => multipart(fields, call.form!.file) };
  }
  return {
    deployment,
    body: async () => {
      const { model: _model, ...rest } = (await call.body()).payload as Record<string, unknown>;
      return { payload: rest };
    },
  };
}

export const caller = (
  scoped: ScopedCall | string,
  more: Omit<Extract<Access, { access: 'caller' }>, 'access' | 'scoped'> = {},
): Access => ({
  access: 'caller',
  scoped: typeof scoped === 'string' ? { none: scoped } : scoped,
  ...more,
});
export const admin: Access = { access: 'admin' };
export const publicRoute = (why: string): Access => ({ access: 'public', why });

/** `entries` under each prefix: `{'/v1': …}` style families served on several prefixes. */
export function under(
  prefixes: readonly string[],
  entries: Record<string, Access>,
): Record<string, Access> {
  const out: Record<string, Access> = {};
  for (const prefix of prefixes)
    for (const [route, access] of Object.entries(entries)) {
      const [method, path] = route.split(' ');
      out[`${method} ${prefix}${path}`] = access;
    }
  return out;
}

/** A route's key in the route table: HEAD is Fastify's copy of the GET route. */
export const routeKey = (method: string, url: string) =>
  `${method === 'HEAD' ? 'GET' : method} ${url}`;

/** A concrete URL for a route: its parameters filled, Azure's dated paths given an api-version. */
export function concreteUrl(url: string, params: Record<string, string> = {}): string {
  const path = url
    .replace(/\/?\*$/, `/${params['*'] ?? 'big'}`)
    .replace(/:([A-Za-z]+)/g, (_, name: string) => params[name] ?? 'x1');
  return /^\/openai\/(?!v1\/)/.test(path) ? `${path}?api-version=2024-10-21` : path;
}

/**
 * Which API's error envelope a path answers in: Anthropic's on its Messages paths, and on the
 * paths both APIs have (models, files) for a client that sends `anthropic-version`; else OpenAI's.
 */
export function envelopeOf(url: string, headers: Record<string, string>): 'openai' | 'anthropic' {
  if (url.startsWith('/v1/messages')) return 'anthropic';
  const shared = /^\/(v1|openai\/v1|openai)\/(models|files)\b/.test(url);
  return shared && headers['anthropic-version'] ? 'anthropic' : 'openai';
}

export function expectEnvelope(
  res: LightMyRequestResponse,
  status: number,
  shape: 'openai' | 'anthropic',
  where: string,
): void {
  expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBe(status);
  if (res.body === '') return; // HEAD
  const body = res.json() as Record<string, unknown>;
  const type = { 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error' };
  if (shape === 'anthropic')
    expect(body, where).toMatchObject({
      type: 'error',
      error: { type: type[status as 401 | 403 | 404], message: expect.any(String) },
    });
  else
    expect(body, where).toMatchObject({
      error: {
        message: expect.any(String),
        type: expect.any(String),
        code: status === 401 ? 'invalid_api_key' : expect.anything(),
      },
    });
}

/** Runs `check`, keeping its failure's first line in `failures` (one report for the whole table). */
export function collect(failures: string[], check: () => void): void {
  try {
    check();
  } catch (err) {
    failures.push((err as Error).message.split('\n')[0]!);
  }
}
