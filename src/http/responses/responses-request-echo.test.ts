// The Response object echoes the request fields of openapi.yaml's `Response` schema (user,
// safety_identifier, prompt_cache_key, service_tier, truncation, top_logprobs, max_tool_calls,
// text.verbosity, metadata, store, parallel_tool_calls, …) as OpenAI's does: in the JSON answer,
// on GET /v1/responses/{id}, in every streamed Response (response.created … response.completed),
// on the Azure path and on a background response's queued object.
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  type TestApp,
  simulatedAdapters,
} from '../../../test/helpers/build-test-app.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createResponseStore } from '../../store/response-store.js';
import { INCLUDABLE } from './includable.js';

type Json = Record<string, unknown>;

let t: TestApp | undefined;
async function app(): Promise<TestApp> {
  if (t) return t;
  const config = testConfig();
  const adapters = simulatedAdapters(config);
  t = await buildTestApp(config, adapters, { responses: createResponseStore(100) });
  return t;
}

afterAll(async () => {
  await t?.app.close();
});

const SENT = {
  user: 'user-1234',
  safety_identifier: 'safety-identifier-1234',
  prompt_cache_key: 'prompt-cache-key-1234',
  service_tier: 'flex',
  truncation: 'auto',
  max_tool_calls: 3,
  metadata: { team: 'blue' },
  store: true,
  parallel_tool_calls: false,
  text: { verbosity: 'low' },
};
/** What the Response says for SENT: the same values, the text format filled in. */
const ECHOED = { ...SENT, text: { format: { type: 'text' }, verbosity: 'low' } };
/** And for a request that sets none of them: openapi.yaml's defaults (as its examples show). */
const DEFAULTS = {
  user: null,
  safety_identifier: null,
  prompt_cache_key: null,
  service_tier: 'auto',
  truncation: 'disabled',
  max_tool_calls: null,
  top_logprobs: 0,
  metadata: {},
  store: true,
  parallel_tool_calls: true,
  text: { format: { type: 'text' } },
};

const post = async (url: string, payload: Json) =>
  (await app()).app.inject({ method: 'POST', url, payload });

/** The Response objects of a streamed answer, by event type. */
function streamedResponses(body: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const event = JSON.parse(line.slice(6)) as { type: string; response?: Json };
    if (event.response) out.set(event.type, event.response);
  }
  return out;
}

describe('the Response object echoes the request', () => {
  it('JSON, retrieved, and on the Azure path', async () => {
    for (const url of [
      '/v1/responses',
      '/openai/deployments/big/responses?api-version=2025-04-01-preview',
    ]) {
      const res = await post(url, { model: 'model-router', input: 'hi', ...SENT });
      expect(res.statusCode, res.body).toBe(200);
      const created = res.json() as Json;
      expect(created, url).toMatchObject(ECHOED);
      const got = await (
        await app()
      ).app.inject({
        method: 'GET',
        url: `/v1/responses/${String(created.id)}`,
      });
      expect(got.statusCode, got.body).toBe(200);
      expect(got.json(), url).toMatchObject(ECHOED);
    }
    const plain = await post('/v1/responses', { model: 'model-router', input: 'hi' });
    expect(plain.json()).toMatchObject(DEFAULTS);
  });

  it('in every streamed Response: response.created, in_progress and completed', async () => {
    const res = await post('/v1/responses', {
      model: 'model-router',
      input: 'hi',
      stream: true,
      ...SENT,
    });
    expect(res.statusCode).toBe(200);
    const seen = streamedResponses(res.body);
    expect([...seen.keys()]).toEqual(
      expect.arrayContaining(['response.created', 'response.completed']),
    );
    for (const [type, response] of seen) expect(response, type).toMatchObject(ECHOED);
  });

  it("a background response's queued object", async () => {
    const res = await post('/v1/responses', {
      model: 'model-router',
      input: 'hi',
      background: true,
      ...SENT,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'queued', ...ECHOED });
  });

  it('refuses an echoed field of the wrong type or value, naming it', async () => {
    const cases: [Json, string, string][] = [
      [{ user: 5 }, 'user', 'invalid_type'],
      [{ safety_identifier: {} }, 'safety_identifier', 'invalid_type'],
      [{ prompt_cache_key: 1 }, 'prompt_cache_key', 'invalid_type'],
      [{ service_tier: true }, 'service_tier', 'invalid_type'],
      [{ max_tool_calls: 1.5 }, 'max_tool_calls', 'invalid_type'],
      [{ truncation: 'sometimes' }, 'truncation', 'invalid_value'],
      [{ text: { verbosity: 'loud' } }, 'text.verbosity', 'invalid_value'],
      // include: OpenAI's values only (a typo is not served without what it asked for).
      [
        { include: ['reasoning.encrypted_content', 'reasoning.encrypted'] },
        'include[1]',
        'invalid_value',
      ],
    ];
    for (const [extra, param, code] of cases) {
      const res = await post('/v1/responses', { model: 'model-router', input: 'hi', ...extra });
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param, code });
    }
  });

  it('takes every include value of the spec, on create, retrieve and input items', async () => {
    const include = [...INCLUDABLE];
    const res = await post('/v1/responses', { model: 'model-router', input: 'hi', include });
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json().id as string;
    const query = include.map((v) => `include[]=${v}`).join('&');
    for (const url of [`/v1/responses/${id}`, `/v1/responses/${id}/input_items`]) {
      expect(
        (await (await app()).app.inject({ method: 'GET', url: `${url}?${query}` })).statusCode,
      ).toBe(200);
      const bad = await (await app()).app.inject({ method: 'GET', url: `${url}?include=logprobs` });
      expect(bad.statusCode, url).toBe(400);
      expect(bad.json().error).toMatchObject({ param: 'include[0]', code: 'invalid_value' });
    }
  });
});
