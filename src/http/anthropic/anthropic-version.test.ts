// `anthropic-version` on Anthropic's own endpoints: absent, a known version or a real date after
// the newest is served; a malformed value, a day that does not exist or an older date Anthropic
// never published is a 400 in Anthropic's error shape naming the header, before any deployment is
// called. The official SDK (whose 1.x sends 2026-10-21) is served, and reads the refusal.
import Anthropic from '@anthropic-ai/sdk';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { ConfigHolder, compileConfig } from '../../config/runtime-config.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { errorHandler } from '../error-handler.js';
import { registerMessageBatchesRoutes } from './message-batches-routes.js';

const body = { model: 'model-router', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
const REFUSED: [string, RegExp][] = [
  [
    '1999-01-01',
    /"1999-01-01" is not a version of the Anthropic API \(those are 2026-10-21, 2023-06-01, 2023-01-01\)/,
  ],
  ['2023-03-15', /"2023-03-15" is not a version of the Anthropic API/],
  // Between published versions: none that Anthropic has.
  ['2025-11-20', /"2025-11-20" is not a version of the Anthropic API/],
  ['2023-02-30', /"2023-02-30" is not a real date/],
  ['2024-13-01', /"2024-13-01" is not a real date/],
  ['banana', /"banana" is not an API version, which is a date such as 2023-06-01/],
  ['2023-06-01-preview', /is not an API version/],
  ['2023-6-1', /is not an API version/],
  ['', /"" is not an API version/],
  // Two headers arrive joined: not one version.
  ['2023-06-01, 2023-01-01', /is not an API version/],
];
// The 0.x SDKs' and curl's, the oldest, the 1.x SDKs', and one newer than this router.
const SERVED = ['2023-06-01', '2023-01-01', '2026-10-21', '2026-10-22', '2099-12-31'];

let t: TestApp;
let calls: () => number;
async function app(): Promise<TestApp> {
  if (t) return t;
  const reply = [{ reply: 'ok' }];
  const fakes = {
    big: fakeAdapter('big', reply),
    mid: fakeAdapter('mid', reply),
    small: fakeAdapter('small', reply),
  };
  calls = () => Object.values(fakes).reduce((n, f) => n + f.calls.length, 0);
  t = await buildTestApp(testConfig(), fakes);
  return t;
}
afterAll(() => t?.app.close());

const send = async (url: string, version: string | undefined) =>
  (await app()).app.inject({
    method: 'POST',
    url,
    headers: version === undefined ? {} : { 'anthropic-version': version },
    payload: body,
  });

function expectRefused(res: Awaited<ReturnType<typeof send>>, message: RegExp, what: string) {
  expect(res.statusCode, what).toBe(400);
  const json = res.json() as { type: string; error: { type: string; message: string } };
  expect(json.type, what).toBe('error');
  expect(json.error.type, what).toBe('invalid_request_error');
  expect(json.error.message, what).toMatch(/^anthropic-version: /);
  expect(json.error.message, what).toMatch(message);
  expect(json.error.message, what).toContain('send anthropic-version: 2023-06-01');
}

describe('anthropic-version', () => {
  it.each(['/v1/messages', '/v1/messages/count_tokens'])(
    '%s: a wrong one is refused in Anthropic’s shape, before any call',
    async (url) => {
      await app();
      const before = calls();
      for (const [version, message] of REFUSED)
        expectRefused(await send(url, version), message, `${url} ${version}`);
      expect(calls()).toBe(before);
    },
  );

  it.each(['/v1/messages', '/v1/messages/count_tokens'])(
    '%s: absent, known or a later real date is served',
    async (url) => {
      for (const version of [undefined, ...SERVED]) {
        const res = await send(url, version);
        expect(res.statusCode, `${url} ${version}`).toBe(200);
      }
    },
  );

  it('is checked before the body: a wrong version with a wrong body names the version', async () => {
    const res = await (
      await app()
    ).app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '1999-01-01', 'content-type': 'application/json' },
      payload: '{"model":',
    });
    expectRefused(res, /1999-01-01/, 'bad body');
  });

  it('Message Batches check it too', async () => {
    const batches = Fastify();
    batches.decorateRequest('auth', null as never);
    batches.addHook('onRequest', async (request) => {
      request.auth = { tenant: 'acme', keyId: 'a', admin: false, scopes: ['*'] };
    });
    batches.setErrorHandler(errorHandler);
    const config = new ConfigHolder(compileConfig(testConfig({ batches: { enabled: true } })));
    const runner = { wake: () => {}, noticeCancel: () => {} };
    await registerMessageBatchesRoutes(batches, createMemoryBatchStore(), runner, config);
    const payload = { requests: [{ custom_id: 'one', params: body }] };
    const post = (version: string) =>
      batches.inject({
        method: 'POST',
        url: '/v1/messages/batches',
        headers: { 'anthropic-version': version },
        payload,
      });
    expectRefused(await post('2023-02-30'), /not a real date/, 'batch create');
    expect((await post('2023-06-01')).statusCode).toBe(200);
    const list = await batches.inject({
      method: 'GET',
      url: '/v1/messages/batches',
      headers: { 'anthropic-version': 'latest' },
    });
    expectRefused(list, /"latest" is not an API version/, 'batch list');
    await batches.close();
  });

  it('the official SDK is served, and reads a refusal as a BadRequestError', async () => {
    const url = await (await app()).app.listen({ host: '127.0.0.1', port: 0 });
    const client = new Anthropic({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    const msg = await client.messages.create({
      model: 'model-router',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.type).toBe('message');
    const counted = await client.messages.countTokens({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const old = new Anthropic({
      baseURL: url,
      apiKey: 'unused',
      maxRetries: 0,
      defaultHeaders: { 'anthropic-version': '1999-01-01' },
    });
    const err = await old.messages
      .create({
        model: 'model-router',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const { error } = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((error as { error: { message: string } }).error.message).toContain(
      '"1999-01-01" is not a version of the Anthropic API',
    );
  });
});
