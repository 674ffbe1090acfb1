// Upstream errors as the client sees them: status, type and code kept, the message prefixed with
// the deployment, and an API key the upstream quotes (the router's, not the client's) redacted.
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { contextOverflowCode, mapUpstreamError, upstreamError } from './upstream-errors.js';

describe('mapUpstreamError', () => {
  it("reads a bare status number as a code (Azure's) as no code: upstream_<status>", () => {
    const azure429 =
      '{"error":{"code":"429","message":"Requests have exceeded the call rate limit."}}';
    expect(mapUpstreamError(429, azure429, {}, 'az').code).toBe('upstream_429');
    expect(mapUpstreamError(500, '{"error":{"code":500,"message":"x"}}', {}, 'az').code).toBe(
      'upstream_500',
    );
    expect(mapUpstreamError(503, 'down', {}, 'vllm').code).toBe('upstream_503');
    // A word is the upstream's own code, kept.
    expect(
      mapUpstreamError(429, '{"error":{"code":"rate_limit_exceeded","message":"x"}}', {}, 'o').code,
    ).toBe('rate_limit_exceeded');
  });

  it("an upstream 401 or 403 is the router's credential refused: a 502 that fails over, never the key it quotes", () => {
    // OpenAI's reply to a wrong key (its API quotes the key's prefix and last four characters).
    const openai = JSON.stringify({
      error: {
        message: `Incorrect API key provided: sk-proj-${'*'.repeat(40)}abcd. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const err = mapUpstreamError(401, openai, {}, 'gpt-4o');
    // Not the client's 401 (its SDK would blame the client's key): the deployment's fault.
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_failed', retryable: true });
    expect(err.details).toEqual({ upstream_status: 401 });
    expect(err.message).toBe(
      "gpt-4o: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys. (the upstream answered HTTP 401: it refused the router's credentials for this deployment)",
    );
    expect(mapUpstreamError(403, '{"error":{"message":"no access"}}', {}, 'az')).toMatchObject({
      status: 502,
      code: 'upstream_auth_failed',
      retryable: true,
    });
    const whole = mapUpstreamError(
      401,
      '{"error": {"message": "bad key sk-ant-api03-abcdefghijklmnop and rk-live-1234"}}',
      {},
      'claude',
    );
    expect(whole.message).toMatch(/^claude: bad key \[redacted\] and \[redacted\] \(the upstream/);
    // Words that merely end in sk- or pk- are not keys.
    expect(mapUpstreamError(400, '{"error": "a risk-based check"}', {}, 'd').message).toBe(
      'd: a risk-based check',
    );
  });
});

describe('context-length errors in words', () => {
  it('are context_length_exceeded only on a 400 or 422 that says so', () => {
    const vllm = { message: "This model's maximum context length is 4096 tokens." };
    expect(mapUpstreamError(400, JSON.stringify(vllm), {}, 'v').code).toBe(
      'context_length_exceeded',
    );
    // The same words on a 500 are the server's failure, not the prompt's size.
    expect(mapUpstreamError(500, JSON.stringify(vllm), {}, 'v').code).toBe('upstream_500');
    // Another 400 keeps its own code.
    const other = { error: { message: "Invalid value for 'temperature'.", code: 'invalid_value' } };
    expect(mapUpstreamError(400, JSON.stringify(other), {}, 'v').code).toBe('invalid_value');
    expect(
      contextOverflowCode(400, { type: 'exceed_context_size_error' }, 'too big, try increasing it'),
    ).toBe('context_length_exceeded');
    expect(contextOverflowCode(400, {}, 'messages: roles must alternate')).toBeUndefined();
  });
});

describe('upstreamError', () => {
  it('reads no more of an endless error body than it keeps, and stops reading it', async () => {
    let destroyed = false;
    async function* endless() {
      try {
        for (;;) yield Buffer.from('x'.repeat(1024));
      } finally {
        destroyed = true;
      }
    }
    const body = Readable.from(endless());
    const err = await upstreamError({ status: 503, headers: {}, body } as never, 'slowpoke');
    expect(err.status).toBe(503);
    expect(err.message.startsWith('slowpoke: xxxx')).toBe(true);
    expect(destroyed).toBe(true);
  });
});

describe('mapUpstreamError: statuses no API answers with, and x-should-retry', () => {
  it('a redirect (a wrong baseUrl) or a status outside 4xx/5xx is a 502 of the deployment, failed over', () => {
    for (const status of [301, 302, 101, 599 + 1])
      expect(mapUpstreamError(status, '', {}, 'd')).toMatchObject({
        status: 502,
        code: 'upstream_unexpected_status',
        retryable: true,
        details: { upstream_status: status },
      });
    // A 599 is a 5xx, relayed as such.
    expect(mapUpstreamError(599, '', {}, 'd')).toMatchObject({ status: 599, retryable: true });
  });

  it('x-should-retry: false does not stop a failover; true makes a 4xx one to fail over from', () => {
    const no = { 'x-should-retry': 'false' };
    expect(mapUpstreamError(503, '{"error":{"message":"maintenance"}}', no, 'd').retryable).toBe(
      true,
    );
    expect(
      mapUpstreamError(429, '{"error":{"code":"insufficient_quota"}}', no, 'd').retryable,
    ).toBe(true);
    expect(mapUpstreamError(400, '{"error":{"message":"bad"}}', no, 'd').retryable).toBe(false);
    expect(
      mapUpstreamError(400, '{"error":{"message":"bad"}}', { 'x-should-retry': 'true' }, 'd')
        .retryable,
    ).toBe(true);
  });
});

describe('mapUpstreamError: how long an upstream asked to wait', () => {
  const e429 = '{"error":{"message":"slow down","type":"rate_limit_error"}}';
  it("a 429 that says its wait only in OpenAI's x-ratelimit-reset-* is a wait of the spent limit", () => {
    const err = mapUpstreamError(
      429,
      e429,
      {
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '20s',
        'x-ratelimit-remaining-tokens': '1200',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      'd',
    );
    expect(err.headers).toEqual({ 'retry-after-ms': '20000' });
    expect(
      mapUpstreamError(
        429,
        e429,
        {
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '1m30.5s',
          'x-ratelimit-remaining-tokens': '0',
          'x-ratelimit-reset-tokens': '150ms',
        },
        'd',
      ).headers,
    ).toEqual({ 'retry-after-ms': '90500' });
    // No limit spent, or no reset it can read: no wait is made up.
    expect(
      mapUpstreamError(
        429,
        e429,
        { 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '20s' },
        'd',
      ).headers,
    ).toEqual({});
    expect(
      mapUpstreamError(
        429,
        e429,
        { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': 'soon' },
        'd',
      ).headers,
    ).toEqual({});
  });

  it('relays retry-after only when it is a wait, and it comes before x-ratelimit-reset-*', () => {
    const date = 'Wed, 21 Oct 2099 07:28:00 GMT';
    expect(mapUpstreamError(429, e429, { 'retry-after': '7' }, 'd').headers).toEqual({
      'retry-after': '7',
    });
    expect(mapUpstreamError(503, '', { 'retry-after': date }, 'd').headers).toEqual({
      'retry-after': date,
    });
    for (const bad of ['abc', '-5', ''])
      expect(mapUpstreamError(429, e429, { 'retry-after': bad }, 'd').headers).toEqual({});
    expect(
      mapUpstreamError(
        429,
        e429,
        {
          'retry-after': '3',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': '20s',
        },
        'd',
      ).headers,
    ).toEqual({ 'retry-after': '3' });
  });
});
