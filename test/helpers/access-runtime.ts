// A fully configured router (keys mode, every kind of model, the request log, metrics, the answer
// and semantic caches) with four keys: two tenants', a narrow one of team-a's, an admin's; and
// the stored objects team-a makes through the real routes, for access and tenancy tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { multipart } from './multipart-form.js';
import type { ObjectKind } from './route-access.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  simModerationDeployment,
  testConfig,
  testConfigInput,
} from './test-config.js';
import { waitFor } from './wait-for.js';

export const KEY = {
  a: 'mr-hsec-team-a-0123456789',
  b: 'mr-hsec-team-b-0123456789',
  /** team-a's, scoped to the deployment `small` alone. */
  narrow: 'mr-hsec-narrow-0123456789',
  /** team-a's, its model subset narrowed to `mid` and `small`. */
  subset: 'mr-hsec-subset-0123456789',
  admin: 'mr-hsec-admin-0123456789',
  wrong: 'mr-hsec-not-a-key-0123456789',
  /** team-a's, expired. */
  expired: 'mr-hsec-expired-0123456789',
  /** An admin key restricted to 10.0.0.0/8 (tests call from 127.0.0.1). */
  elsewhere: 'mr-hsec-elsewhere-0123456789',
};
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
export const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
export const chatItem = { type: 'message', role: 'user', content: 'hello again' };

/** The router: `overrides` on top of the full config, `more` deployments beside its own. */
export async function startAccessRuntime(
  overrides: Partial<ConfigInput> = {},
  more: ConfigInput['deployments'] = [],
): Promise<Runtime> {
  const dir = mkdtempSync(join(tmpdir(), 'mr-hsec-'));
  const media = (name: string, kind: 'images' | 'speech' | 'transcription') =>
    simDeployment(name, {
      kind,
      model: `${name}-model`,
      maxOutputTokens: undefined,
      prices: { inputPer1M: 0, outputPer1M: 0, perImage: 0.04, perAudioMinute: 0.006 },
    });
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'key-of-team-a', hash: hashApiKey(KEY.a), tenant: 'team-a' },
        { id: 'key-of-team-b', hash: hashApiKey(KEY.b), tenant: 'team-b' },
        { id: 'narrow', hash: hashApiKey(KEY.narrow), tenant: 'team-a', scopes: ['small'] },
        {
          id: 'subset',
          hash: hashApiKey(KEY.subset),
          tenant: 'team-a',
          modelSubset: ['mid', 'small'],
        },
        { id: 'ops', hash: hashApiKey(KEY.admin), tenant: 'ops', admin: true },
        {
          id: 'expired',
          hash: hashApiKey(KEY.expired),
          tenant: 'team-a',
          expiresAt: '2020-01-01T00:00:00Z',
        },
        {
          id: 'elsewhere',
          hash: hashApiKey(KEY.elsewhere),
          tenant: 'team-a',
          admin: true,
          allowedIps: ['10.0.0.0/8'],
        },
      ],
    },
    requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
    telemetry: { metrics: true },
    cache: { enabled: true, semantic: { enabled: true, embeddings: 'emb' } },
    batches: { pollIntervalMs: 50 },
    ...overrides,
  });
  input.deployments.push(
    simEmbeddingDeployment('emb'),
    simModerationDeployment('mod'),
    media('img', 'images'),
    media('tts', 'speech'),
    media('stt', 'transcription'),
    simDeployment('rr', {
      kind: 'rerank',
      model: 'rr',
      maxOutputTokens: undefined,
      contextWindow: 8192,
      prices: { inputPer1M: 0, outputPer1M: 0, perSearchUnit: 0.002 },
    }),
    ...more,
  );
  return createRuntime(testConfig(input));
}

/** What team-a made, by kind (a conversation item: its conversation's id, and `item`). */
export interface Made {
  ids: Record<ObjectKind, string>;
  item: string;
  /** A model-input file (`user_data`), its text known. */
  inputFile: string;
  /** An output item of the stored response (what an `item_reference` names). */
  responseItem: string;
}

/** Another id of the same shape (prefix and length): one no tenant has. */
export const unknownLike = (id: string) => id.slice(0, -6) + 'zz9zz9';

/** Makes one of each stored object as team-a, through the routes a client calls. */
export async function createAsA(rt: Runtime): Promise<Made> {
  const a = bearer(KEY.a);
  const post = async (url: string, payload: unknown, headers: Record<string, string> = {}) => {
    const res = await rt.app.inject({
      method: 'POST',
      url,
      headers: { ...a, ...headers },
      payload: payload as string,
    });
    expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
    return res;
  };
  const chat = await post('/v1/chat/completions', {
    model: 'model-router',
    messages: [{ role: 'user', content: 'Team A secret plan' }],
    store: true,
  });
  const stored = (
    await post('/v1/responses', { model: 'model-router', input: 'Team A essay', store: true })
  ).json() as { id: string; output: { id: string }[] };
  const response = stored.id;
  const background = (
    await post('/v1/responses', {
      model: 'model-router',
      input: 'Team A background',
      background: true,
    })
  ).json().id as string;
  const conversation = (await post('/v1/conversations', { items: [chatItem] })).json().id as string;
  const items = await rt.app.inject({
    method: 'GET',
    url: `/v1/conversations/${conversation}/items`,
    headers: a,
  });
  const item = items.json().data[0].id as string;
  const line = JSON.stringify({
    custom_id: 'l1',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
  });
  const upload = await multipart(
    { purpose: 'batch', file: new Blob([line + '\n'], { type: 'application/jsonl' }) },
    'lines.jsonl',
  );
  const file = (await post('/v1/files', upload.payload, upload.headers)).json().id as string;
  const text = await multipart(
    { purpose: 'user_data', file: new Blob([TEAM_A_FILE_TEXT], { type: 'text/plain' }) },
    'notes.txt',
  );
  const inputFile = (await post('/v1/files', text.payload, text.headers)).json().id as string;
  const batch = (
    await post('/v1/batches', {
      input_file_id: file,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    })
  ).json().id as string;
  const messageBatch = (
    await post(
      '/v1/messages/batches',
      {
        requests: [
          {
            custom_id: 'm1',
            params: {
              model: 'model-router',
              max_tokens: 16,
              messages: [{ role: 'user', content: 'Team A message' }],
            },
          },
        ],
      },
      ANTHROPIC,
    )
  ).json().id as string;
  // Finished, so what another tenant might read is all there.
  await waitFor(async () => {
    const res = await rt.app.inject({
      method: 'GET',
      url: `/v1/responses/${background}`,
      headers: a,
    });
    expect(res.json().status).toBe('completed');
  });
  return {
    ids: {
      response,
      background,
      chatCompletion: chat.json().id as string,
      conversation,
      conversationItem: conversation,
      file,
      batch,
      messageBatch,
      requestId: chat.headers['x-request-id'] as string,
    },
    item,
    inputFile,
    responseItem: stored.output[0]!.id,
  };
}

/** The text of team-a's model-input file: long, so a prompt that has it inlined is longer. */
export const TEAM_A_FILE_TEXT = 'Team A confidential notes. '.repeat(200);

/** A response body with the ids named replaced, and the per-request ids dropped. */
export function normalised(res: LightMyRequestResponse, ids: string[]): string {
  let body = res.body;
  for (const id of ids) body = body.split(id).join('<id>');
  return body.replace(/"request_id":"[^"]*"/g, '"request_id":"<req>"');
}
