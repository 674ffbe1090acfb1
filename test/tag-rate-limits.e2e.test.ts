// Tag rate limits (rateLimits.tags) through the whole router (createRuntime + app.inject): a tag
// at its limit is refused with a 429 naming it and its tenant, in OpenAI's or Anthropic's shape;
// other tags, untagged requests and other tenants go on; TPM is settled with real usage. The clock
// is a manual one, so buckets refill only when a test says so.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { parseConfig } from '../src/config/load-config.js';
import { createManualClock } from '../src/core/clock.js';
import { createRuntime } from '../src/runtime.js';
import { simDeployment, testConfigInput } from './helpers/test-config.js';

const KEY_A = 'mr-team-a-key-0123456789';
const KEY_B = 'mr-team-b-key-0123456789';
const chat = { model: 'model-router', messages: [{ role: 'user', content: 'hello' }] };

const keys = {
  mode: 'keys' as const,
  keys: [
    { id: 'a', hash: hashApiKey(KEY_A), tenant: 'team-a', scopes: ['*'] },
    { id: 'b', hash: hashApiKey(KEY_B), tenant: 'team-b', scopes: ['*'] },
  ],
};

describe('tag rate limits through the router', () => {
  it('a tag at its RPM gets 429 naming it; other tags, untagged requests and other tenants go on', async () => {
    const config = parseConfig(
      testConfigInput({ auth: keys, rateLimits: { tags: { 'nightly-batch': { rpm: 2 } } } }),
      {},
    ).config;
    const rt = await createRuntime(config, { clock: createManualClock() });
    try {
      const send = (key: string, tags?: string, payload: object = chat) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload,
          headers: {
            authorization: `Bearer ${key}`,
            ...(tags !== undefined ? { 'x-router-tags': tags } : {}),
          },
        });
      expect((await send(KEY_A, 'nightly-batch')).statusCode).toBe(200);
      const second = await send(KEY_A, 'team-x,nightly-batch');
      expect(second.statusCode).toBe(200);
      expect(second.headers['x-ratelimit-limit-requests']).toBe('2');
      expect(second.headers['x-ratelimit-remaining-requests']).toBe('0');
      const refused = await send(KEY_A, 'nightly-batch');
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error).toMatchObject({
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
      });
      expect(refused.json().error.message).toMatch(
        /^Rate limit reached for tag nightly-batch \(tenant team-a\) on requests per min \(RPM\): Limit 2, Used 2, Requested 1\. Please try again in 30s\./,
      );
      expect(refused.headers['retry-after']).toBe('30');
      expect(refused.headers['x-ratelimit-remaining-requests']).toBe('0');
      // The tag as an OpenAI metadata pair is another tag; so is an unlimited one; none at all too.
      expect((await send(KEY_A, 'team-x')).statusCode).toBe(200);
      expect(
        (await send(KEY_A, undefined, { ...chat, metadata: { nightly: 'batch' } })).statusCode,
      ).toBe(200);
      for (let i = 0; i < 3; i++) expect((await send(KEY_A)).statusCode).toBe(200);
      // Another tenant's requests with the same tag have their own bucket.
      expect((await send(KEY_B, 'nightly-batch')).statusCode).toBe(200);
      expect((await send(KEY_B, 'nightly-batch')).statusCode).toBe(200);
      const otherRefused = await send(KEY_B, 'nightly-batch');
      expect(otherRefused.statusCode).toBe(429);
      expect(otherRefused.json().error.message).toContain('tag nightly-batch (tenant team-b)');
      // The same tag through an Anthropic client: refused in Anthropic's shape.
      const claude = await rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: {
          model: 'model-router',
          max_tokens: 20,
          messages: [{ role: 'user', content: 'hi' }],
        },
        headers: {
          'x-api-key': KEY_A,
          'anthropic-version': '2023-06-01',
          'x-router-tags': 'nightly-batch',
        },
      });
      expect(claude.statusCode).toBe(429);
      expect(claude.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      expect(claude.json().error.message).toContain(
        'Rate limit reached for tag nightly-batch (tenant team-a)',
      );
      expect(Number(claude.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  });

  it("a tag's TPM is settled with the answer's real usage, then refuses the tag", async () => {
    const config = parseConfig(
      testConfigInput({
        // One deployment whose answers are 500 tokens: far more than the estimate charged up front.
        deployments: [
          simDeployment('mid', {
            simulation: { ttftMs: 0, tokensPerSecond: 1_000_000, answerTokens: 500 },
          }),
        ],
        routers: [{ name: 'model-router', modelSubset: ['mid'] }],
        rateLimits: { tags: { 'feature=search': { tpm: 1000 } } },
      }),
      {},
    ).config;
    const rt = await createRuntime(config, { clock: createManualClock() });
    try {
      const send = (tags = true) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { ...chat, ...(tags ? { metadata: { feature: 'search' } } : {}) },
        });
      const first = await send();
      expect(first.statusCode).toBe(200);
      const afterFirst = Number(first.headers['x-ratelimit-remaining-tokens']);
      const used = first.json().usage.total_tokens as number;
      expect(used).toBeGreaterThan(500);
      const estimate = 1000 - afterFirst;
      expect(estimate).toBeLessThan(used);
      // The second pays the first's real usage and its own estimate.
      const second = await send();
      expect(second.statusCode).toBe(200);
      expect(Number(second.headers['x-ratelimit-remaining-tokens'])).toBe(1000 - used - estimate);
      // Settled, the two answers used more than 1000 tokens: the tag is refused, others are not.
      const third = await send();
      expect(third.statusCode).toBe(429);
      expect(third.json().error.message).toContain(
        'Rate limit reached for tag feature=search (tenant default) on tokens per min (TPM): Limit 1000',
      );
      expect((await send(false)).statusCode).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('a tag no request could carry is a config error naming its path', () => {
    expect(() =>
      parseConfig(testConfigInput({ rateLimits: { tags: { 'nightly batch': { rpm: 1 } } } }), {}),
    ).toThrow(/rateLimits\.tags\.nightly batch: no request can carry the tag "nightly batch"/);
    expect(() =>
      parseConfig(testConfigInput({ rateLimits: { tags: { nightly: { rpm: 0 } } } }), {}),
    ).toThrow(/rateLimits\.tags\.nightly\.rpm/);
    // The same rule for tag budgets.
    expect(() =>
      parseConfig(testConfigInput({ budgets: { tags: { 'nightly batch': { dailyUsd: 1 } } } }), {}),
    ).toThrow(/budgets\.tags\.nightly batch: no request can carry the tag "nightly batch"/);
  });
});
