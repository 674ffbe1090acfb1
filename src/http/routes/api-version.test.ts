// Azure's `api-version` on every path that reads it (checkApiVersion): a date that exists (with
// or without `-preview`), `v1` or `preview`; a value that is no version, or a date no calendar
// has (2024-13-45, a 30th of February), is a 400 `invalid_value` naming `api-version`, before
// the body is read or any deployment is called.
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import type { ConfigInput } from '../../config/schema.js';
import { createSimulatedAdapter } from '../../providers/simulated/simulated-adapter.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { createResponseStore } from '../../store/response-store.js';

const chat = { messages: [{ role: 'user', content: 'hi' }] };

/** Every route that checks `api-version`, as [method, path without the query, body]. */
const REQUIRED: [string, string, object | undefined][] = [
  ['POST', '/openai/deployments/big/chat/completions', chat],
  ['POST', '/openai/deployments/big/completions', { prompt: 'hi' }],
  ['POST', '/openai/deployments/big/responses', { input: 'hi' }],
  ['POST', '/openai/deployments/emb/embeddings', { input: 'hi' }],
  ['POST', '/openai/deployments/img/images/generations', { prompt: 'a cat' }],
  ['POST', '/openai/deployments/img/images/edits', { prompt: 'a cat' }],
  ['POST', '/openai/deployments/tts/audio/speech', { input: 'hi', voice: 'alloy' }],
  ['POST', '/openai/deployments/stt/audio/transcriptions', {}],
  ['GET', '/openai/files', undefined],
];
/** Gateway-style `/openai/{path}` routes: `api-version` may be left out, but not be wrong. */
const OPTIONAL: [string, string, object | undefined][] = [
  ['POST', '/openai/chat/completions', { model: 'big', ...chat }],
  ['POST', '/openai/responses', { model: 'big', input: 'hi' }],
  ['POST', '/openai/embeddings', { model: 'emb', input: 'hi' }],
  ['GET', '/openai/chat/completions', undefined],
  // The v1 API takes none, but one given is checked (it was ignored until 2026-12-05).
  ['POST', '/openai/v1/chat/completions', { model: 'big', ...chat }],
  ['POST', '/openai/v1/completions', { model: 'big', prompt: 'hi' }],
  ['POST', '/openai/v1/responses', { model: 'big', input: 'hi' }],
  ['POST', '/openai/v1/embeddings', { model: 'emb', input: 'hi' }],
  ['GET', '/openai/v1/models', undefined],
];

const NOT_VERSIONS = ['banana', '2024-10-21-beta', '24-10-21'];
const NOT_DAYS = ['2024-13-45', '2024-13-01', '2025-02-30', '2023-02-29-preview', '2024-04-31'];

let t: TestApp;
async function app(): Promise<TestApp> {
  if (t) return t;
  const config = testConfig({
    deployments: [
      simDeployment('big'),
      simEmbeddingDeployment('emb'),
    ] as ConfigInput['deployments'],
    routers: [{ name: 'model-router', modelSubset: ['big'] }],
  });
  const adapters = {
    big: createSimulatedAdapter(config.deployments.find((d) => d.name === 'big')!),
    emb: createSimulatedAdapter(config.deployments.find((d) => d.name === 'emb')!),
  };
  t = await buildTestApp(config, adapters, {
    responses: createResponseStore(),
    files: createMemoryBatchStore(),
  });
  return t;
}
afterAll(() => t?.app.close());

async function call(method: string, path: string, body: object | undefined, version?: string) {
  const url = version === undefined ? path : `${path}?api-version=${version}`;
  return (await app()).app.inject({
    method: method as 'GET' | 'POST',
    url,
    ...(body ? { payload: body } : {}),
  });
}

function expectRefused(res: Awaited<ReturnType<typeof call>>, version: string, what: string) {
  expect(res.statusCode, what).toBe(400);
  const { error } = res.json() as { error: Record<string, string> };
  expect(error, what).toMatchObject({
    type: 'invalid_request_error',
    param: 'api-version',
    code: 'invalid_value',
  });
  expect(error.message, what).toContain(`api-version "${version}" is not an API version`);
  expect(error.message, what).toContain('Azure paths take a date such as 2024-10-21');
}

describe('api-version', () => {
  it.each(REQUIRED)('%s %s: a day that does not exist is refused, naming it', async (m, p, b) => {
    for (const version of NOT_DAYS) {
      const res = await call(m, p, b, version);
      expectRefused(res, version, `${p} ${version}`);
      expect(res.json().error.message).toContain(`${version.slice(0, 10)} is not a real date`);
    }
    for (const version of NOT_VERSIONS) expectRefused(await call(m, p, b, version), version, p);
  });

  it.each(OPTIONAL)('%s %s: optional, but a wrong one is refused', async (m, p, b) => {
    for (const version of [...NOT_DAYS, ...NOT_VERSIONS])
      expectRefused(await call(m, p, b, version), version, `${p} ${version}`);
  });

  it("Azure paths name the request in apim-request-id and echo the client's x-ms-client-request-id", async () => {
    const res = await (
      await app()
    ).app.inject({
      method: 'POST',
      url: '/openai/deployments/big/chat/completions?api-version=2024-10-21',
      headers: { 'x-ms-client-request-id': 'client-7' },
      payload: chat,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['apim-request-id']).toBe(res.headers['x-request-id']);
    expect(res.headers['x-ms-client-request-id']).toBe('client-7');
    // Errors too; not on the OpenAI paths.
    const bad = await call('POST', '/openai/deployments/big/chat/completions', chat, 'banana');
    expect(bad.headers['apim-request-id']).toBe(bad.headers['x-request-id']);
    const plain = await (
      await app()
    ).app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'big', ...chat },
    });
    expect(plain.headers['apim-request-id']).toBeUndefined();
  });

  it('real dates, leap days, -preview, v1 and preview are served', async () => {
    for (const version of ['2024-10-21', '2024-02-29', '2025-04-01-preview', 'v1', 'preview']) {
      const res = await call('POST', '/openai/deployments/big/chat/completions', chat, version);
      expect(res.statusCode, version).toBe(200);
    }
    const bare = await call('POST', '/openai/chat/completions', { model: 'big', ...chat });
    expect(bare.statusCode).toBe(200);
  });

  it('is still required on a deployment path', async () => {
    const res = await call('POST', '/openai/deployments/big/chat/completions', chat);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      param: 'api-version',
      code: 'missing_required_parameter',
    });
  });

  it('is required on the Files API in words that fit it (they spoke of deployment paths only)', async () => {
    const res = await call('GET', '/openai/files', undefined);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(
      "The 'api-version' query parameter is required on Azure's dated /openai/... paths (e.g. ?api-version=2024-10-21); the v1 API's /openai/v1/... paths take none.",
    );
  });

  it('a long wrong value is quoted cut short', async () => {
    const long = '2024-10-21'.padEnd(500, 'x');
    const res = await call('POST', '/openai/deployments/big/chat/completions', chat, long);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(`"${long.slice(0, 60)}"`);
    expect(res.json().error.message).not.toContain(long.slice(0, 61));
  });
});
