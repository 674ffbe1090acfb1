// A `model` that is not a string (a number, object, array or boolean; null where a name is
// required) gets a 400 `invalid_request_error` naming `model` and saying what to send, on every
// inference route, in the route's own error shape; never a 500, never a call upstream.
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  simModerationDeployment,
  testConfig,
} from '../../test/helpers/test-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import { createResponseStore } from '../store/response-store.js';

const WRONG_TYPES: unknown[] = [42, { name: 'big' }, ['big'], true];
const chat = { messages: [{ role: 'user', content: 'hi' }] };

/** Every inference route whose body names the model: [url, body without model, what it names]. */
const ROUTES: [string, object, RegExp][] = [
  ['/v1/chat/completions', chat, /router deployment, pool or deployment/],
  ['/openai/v1/chat/completions', chat, /router deployment, pool or deployment/],
  ['/v1/responses', { input: 'hi' }, /router deployment, pool or deployment/],
  ['/openai/v1/responses', { input: 'hi' }, /router deployment, pool or deployment/],
  ['/v1/responses/input_tokens', { input: 'hi' }, /router deployment, pool or deployment/],
  ['/v1/responses/compact', { input: 'hi' }, /router deployment, pool or deployment/],
  ['/v1/completions', { prompt: 'hi' }, /router deployment, pool or deployment/],
  ['/v1/embeddings', { input: 'hi' }, /embedding deployment or pool/],
  ['/openai/v1/embeddings', { input: 'hi' }, /embedding deployment or pool/],
  ['/v1/moderations', { input: 'hi' }, /moderation deployment or pool/],
  ['/v1/images/generations', { prompt: 'a cat' }, /image deployment or pool/],
  ['/v1/audio/speech', { input: 'hi', voice: 'alloy' }, /text-to-speech deployment or pool/],
  ['/v1/rerank', { query: 'q', documents: ['a'] }, /rerank deployment or pool/],
];
/** Azure's dated paths: the path names the deployment; a body `model`, if sent, is a string. */
const AZURE_DATED: [string, object][] = [
  ['/openai/deployments/big/chat/completions?api-version=2024-10-21', chat],
  ['/openai/deployments/big/completions?api-version=2024-10-21', { prompt: 'hi' }],
  ['/openai/deployments/big/responses?api-version=2025-04-01-preview', { input: 'hi' }],
  ['/openai/deployments/emb/embeddings?api-version=2024-10-21', { input: 'hi' }],
];

let t: TestApp;
async function app(): Promise<TestApp> {
  if (t) return t;
  const config = testConfig({
    deployments: [
      simDeployment('big'),
      simEmbeddingDeployment('emb'),
      simModerationDeployment('mod'),
    ] as ConfigInput['deployments'],
    routers: [{ name: 'model-router', modelSubset: ['big'] }],
  });
  const adapters = Object.fromEntries(
    config.deployments.map((d) => [d.name, createSimulatedAdapter(d)]),
  );
  t = await buildTestApp(config, adapters, { responses: createResponseStore() });
  return t;
}
afterAll(() => t?.app.close());

const post = async (url: string, payload: object, headers: Record<string, string> = {}) =>
  (await app()).app.inject({ method: 'POST', url, payload, headers });

describe('a model that is not a string', () => {
  it.each(ROUTES)('%s: a 400 naming model, saying what to send', async (url, body, what) => {
    for (const model of WRONG_TYPES) {
      const res = await post(url, { ...body, model });
      expect(res.statusCode, `${url} ${JSON.stringify(model)}`).toBe(400);
      const { error } = res.json() as { error: Record<string, string> };
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'model' });
      expect(error.message).toMatch(what);
      expect(error.message).toContain(`got ${JSON.stringify(model)}`);
      expect(error.message).toMatch(/^'model' must be a string/);
      expect(error.code).toBe('invalid_type');
    }
  });

  it.each(ROUTES.filter(([url]) => !url.includes('moderations')))(
    '%s: null or no model is a 400 saying it is required',
    async (url, body, what) => {
      for (const payload of [{ ...body, model: null }, body]) {
        const res = await post(url, payload);
        expect(res.statusCode).toBe(400);
        const { error } = res.json() as { error: Record<string, string> };
        expect(error).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
        expect(error.message).toMatch(/^'model' is required: /);
        expect(error.message).toMatch(what);
      }
    },
  );

  it.each(AZURE_DATED)('%s: the path names the deployment', async (url, body) => {
    for (const model of WRONG_TYPES) {
      const res = await post(url, { ...body, model });
      expect(res.statusCode, `${url} ${JSON.stringify(model)}`).toBe(400);
      expect(res.json().error).toMatchObject({
        type: 'invalid_request_error',
        param: 'model',
        code: 'invalid_type',
        message: expect.stringMatching(/named in the path, so leave model out or send that name/),
      });
    }
    // Left out, null or '' (the AzureOpenAI client's own habits): served by the path's deployment.
    for (const payload of [body, { ...body, model: null }, { ...body, model: '' }])
      expect((await post(url, payload)).statusCode, JSON.stringify(payload)).toBe(200);
  });

  it.each(['/v1/messages', '/v1/messages/count_tokens'])(
    "%s: Anthropic's error shape",
    async (url) => {
      const body = { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
      const headers = { 'anthropic-version': '2023-06-01' };
      for (const model of WRONG_TYPES) {
        const res = await post(url, { ...body, model }, headers);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: expect.stringMatching(
              /^model: Input should be a valid string: the name of a router deployment, pool or deployment/,
            ),
          },
        });
      }
      const missing = await post(url, { ...body, model: null }, headers);
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.message).toMatch(/^model: Field required: the name of/);
    },
  );

  it('a Responses WebSocket turn gets an error event, and the connection keeps serving', async () => {
    const { app: a } = await app();
    const url = await a.listen({ host: '127.0.0.1', port: 0 });
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/responses`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) =>
        ws.once('message', (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>)),
      );
    const got = next();
    ws.send(JSON.stringify({ type: 'response.create', model: 42, input: 'hi' }));
    expect(await got).toMatchObject({
      type: 'error',
      status: 400,
      error: { param: 'model', code: 'invalid_type' },
    });
    const events: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const e = JSON.parse(String(d)) as Record<string, unknown>;
        events.push(e);
        if (e.type === 'response.completed' || e.type === 'error') resolve();
      }),
    );
    ws.send(JSON.stringify({ type: 'response.create', model: 'model-router', input: 'hi' }));
    await done;
    expect(events.at(-1)?.type).toBe('response.completed');
    ws.close();
  });
});
