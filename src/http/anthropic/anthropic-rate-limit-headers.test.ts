// Anthropic clients get Anthropic's rate-limit headers (the reset an RFC 3339 time) beside the
// router's x-ratelimit-* ones, on answers (JSON and streamed) and on the 429 with its retry-after.
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createManualClock } from '../../core/clock.js';
import { createRuntime } from '../../runtime.js';
import { withAnthropicRateLimits } from './anthropic-rate-limit-headers.js';

const T0 = Date.UTC(2026, 11, 2, 6, 40, 0); // 2026-12-02T06:40:00Z

describe('withAnthropicRateLimits', () => {
  it('adds Anthropic’s headers from the x-ratelimit ones, resets as times, and keeps the rest', () => {
    const headers = withAnthropicRateLimits(
      {
        'x-ratelimit-limit-requests': '250',
        'x-ratelimit-remaining-requests': '249',
        'x-ratelimit-reset-requests': '240ms',
        'x-ratelimit-limit-tokens': '250000',
        'x-ratelimit-remaining-tokens': '249000',
        'x-ratelimit-reset-tokens': '1m30s',
        'x-router-model': 'big',
      },
      T0,
    );
    expect(headers).toMatchObject({
      'x-ratelimit-limit-requests': '250',
      'x-router-model': 'big',
      'anthropic-ratelimit-requests-limit': '250',
      'anthropic-ratelimit-requests-remaining': '249',
      'anthropic-ratelimit-requests-reset': '2026-12-02T06:40:01Z', // 240 ms, in whole seconds up
      'anthropic-ratelimit-tokens-limit': '250000',
      'anthropic-ratelimit-tokens-remaining': '249000',
      'anthropic-ratelimit-tokens-reset': '2026-12-02T06:41:30Z',
    });
    // The router's token limits count input and output together: no input/output variants.
    expect(Object.keys(headers).filter((h) => /input-tokens|output-tokens/.test(h))).toEqual([]);
    expect(
      withAnthropicRateLimits({ 'x-ratelimit-reset-tokens': '8.64s' }, T0)[
        'anthropic-ratelimit-tokens-reset'
      ],
    ).toBe('2026-12-02T06:40:09Z');
  });

  it('writes retry-after in whole seconds, from retry-after-ms when only that came', () => {
    expect(withAnthropicRateLimits({ 'retry-after': '1.2' }, T0)['retry-after']).toBe('2');
    expect(withAnthropicRateLimits({ 'retry-after-ms': '2500' }, T0)['retry-after']).toBe('3');
    const date = 'Wed, 02 Dec 2026 06:41:00 GMT';
    expect(withAnthropicRateLimits({ 'retry-after': date }, T0)['retry-after']).toBe(date);
    expect(withAnthropicRateLimits({}, T0)).toEqual({});
  });
});

describe('/v1/messages through the router', () => {
  it('answers with Anthropic’s rate-limit headers, JSON and streamed, and its 429 says when to retry', async () => {
    const clock = createManualClock(T0);
    const config = testConfig({
      routers: [
        {
          name: 'model-router',
          modelSubset: ['big', 'mid', 'small'],
          rateLimit: { rpm: 2, tpm: 100_000 },
        },
      ],
    });
    const rt = await createRuntime(config, { clock });
    const ask = (stream = false) =>
      rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-version': '2023-06-01' },
        payload: {
          model: 'model-router',
          max_tokens: 20,
          stream,
          messages: [{ role: 'user', content: 'hello' }],
        },
      });
    try {
      const ok = await ask();
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-ratelimit-remaining-requests']).toBe('1'); // kept
      expect(ok.headers['anthropic-ratelimit-requests-limit']).toBe('2');
      expect(ok.headers['anthropic-ratelimit-requests-remaining']).toBe('1');
      expect(ok.headers['anthropic-ratelimit-tokens-limit']).toBe('100000');
      expect(Number(ok.headers['anthropic-ratelimit-tokens-remaining'])).toBeLessThan(100_000);
      // One request of 2 per minute used: all of it back 30 s on (GCRA), as a time.
      expect(ok.headers['anthropic-ratelimit-requests-reset']).toBe('2026-12-02T06:40:30Z');
      const streamed = await ask(true);
      expect(streamed.statusCode).toBe(200);
      expect(streamed.body).toContain('event: message_stop');
      expect(streamed.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
      expect(streamed.headers['anthropic-ratelimit-requests-reset']).toBe('2026-12-02T06:41:00Z');
      const refused = await ask();
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect(refused.headers['retry-after']).toBe('30');
      expect(refused.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
      expect(refused.headers['anthropic-ratelimit-requests-reset']).toBe('2026-12-02T06:41:00Z');
    } finally {
      await rt.close();
    }
  });
});
