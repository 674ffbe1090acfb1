// A path Fastify's router cannot read is answered in OpenAI's envelope, not Fastify's own body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';

describe('paths the router cannot read', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    const reply = [{ reply: 'ok' }];
    t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    });
  });
  afterAll(() => t.app.close());

  it('a malformed percent-encoding is a 400 invalid_url in the error envelope', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/models/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        message: expect.stringContaining('malformed percent-encoding'),
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_url',
      },
    });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('an id past the path parameter limit is a 414 in the error envelope', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/router/decisions/${'a'.repeat(150)}`,
    });
    expect(res.statusCode).toBe(414);
    expect(res.json().error).toMatchObject({
      type: 'invalid_request_error',
      code: 'path_parameter_too_long',
    });
  });

  it("an Anthropic client's gets Anthropic's envelope", async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/messages/%E0%A4%A',
      headers: { 'anthropic-version': '2023-06-01' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('percent') },
    });
  });
});
