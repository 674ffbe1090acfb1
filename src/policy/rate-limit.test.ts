import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { formatDuration } from './rate-limit-headers.js';
import { RateLimiter } from './rate-limit.js';

function setup() {
  const clock = createManualClock();
  const state = new MemoryState(clock);
  return { clock, state, limiter: new RateLimiter({ state, clock }) };
}

async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('RateLimiter', () => {
  it('each end user has buckets of their own, per tenant; no name can pose as another', async () => {
    const { limiter, state } = setup();
    const limit = { rpm: 1 };
    await limiter.checkLimits({ endUser: { tenant: 'a/b', name: 'c', limit }, promptTokens: 1 });
    // The same characters split the other way are another user of another tenant.
    await limiter.checkLimits({ endUser: { tenant: 'a', name: 'b/c', limit }, promptTokens: 1 });
    await limiter.checkLimits({ endUser: { tenant: 'x', name: 'c', limit }, promptTokens: 1 });
    const err = await refusal(
      limiter.checkLimits({ endUser: { tenant: 'a/b', name: 'c', limit }, promptTokens: 1 }),
    );
    expect(err.message).toContain('Rate limit reached for end user c (tenant a/b) on requests');
    // The bucket's key is encoded.
    const refused = await state.consume(
      [{ key: 'rl:user:a%2Fb/c:rpm', limit: 1, windowMs: 60_000, cost: 1 }],
      0,
      [],
    );
    expect(refused.ok).toBe(false);
  });

  it('forgets end users whose buckets are full again: client-named users cannot grow memory for ever', async () => {
    const { limiter, clock, state } = setup();
    const limit = { rpm: 10 };
    const ask = (name: string) =>
      limiter.checkLimits({ endUser: { tenant: 't', name, limit }, promptTokens: 1 });
    // A client naming a new `user` on every request, for ten minutes at 50 a second.
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 3_000; i++) await ask(`user-${minute}-${i}`);
      clock.advance(60_000);
    }
    // The bucket levels the limiter reads (the state's: with Redis, RedisState keeps the levels of
    // its replies in the same kind of table): about a window's users and the sweep's slack
    // (10,000), never the 30,000 named.
    expect(state.size()).toBeLessThanOrEqual(12_000);
    // A user still limited keeps their bucket: refused as before.
    for (let i = 0; i < 10; i++) await ask('steady');
    expect((await refusal(ask('steady'))).status).toBe(429);
  });

  it('each limited tag has buckets per tenant; a request is charged to each of its tags', async () => {
    const { limiter, state, clock } = setup();
    const nightly = (tenant: string) => ({ tenant, tag: 'nightly-batch', limit: { rpm: 2 } });
    const feature = (tenant: string) => ({ tenant, tag: 'feature=search', limit: { rpm: 5 } });
    await limiter.checkLimits({ tags: [nightly('team-a'), feature('team-a')], promptTokens: 1 });
    await limiter.checkLimits({ tags: [nightly('team-a')], promptTokens: 1 });
    // Another tenant's requests with the same tag have a bucket of their own.
    await limiter.checkLimits({ tags: [nightly('team-b')], promptTokens: 1 });
    const err = await refusal(
      limiter.checkLimits({ tags: [feature('team-a'), nightly('team-a')], promptTokens: 1 }),
    );
    expect(err.status).toBe(429);
    expect(err.message).toMatch(
      /^Rate limit reached for tag nightly-batch \(tenant team-a\) on requests per min \(RPM\): Limit 2, Used 2, Requested 1\./,
    );
    expect(err.headers['retry-after']).toBe('30');
    expect(err.headers['x-ratelimit-remaining-requests']).toBe('0');
    // All or nothing: the refused request was not charged to its other tag (1 of 5 used).
    const peek = (key: string, limit: number) =>
      state.consume([{ key, limit, windowMs: 60_000, cost: 0 }], clock.now());
    expect((await peek('rl:tag:team-a/feature%3Dsearch:rpm', 5)).buckets[0]!.remaining).toBe(4);
    expect((await peek('rl:tag:team-b/nightly-batch:rpm', 2)).buckets[0]!.remaining).toBe(1);
    const ok = await limiter.checkLimits({ tags: [feature('team-a')], promptTokens: 1 });
    expect(ok.headers['x-ratelimit-remaining-requests']).toBe('3');
  });

  it("tag buckets' keys are encoded: no tenant and tag can pose as another pair", async () => {
    const { limiter } = setup();
    const limit = { rpm: 1 };
    await limiter.checkLimits({ tags: [{ tenant: 'a/b', tag: 'c', limit }], promptTokens: 1 });
    await limiter.checkLimits({ tags: [{ tenant: 'a', tag: 'b/c', limit }], promptTokens: 1 });
    const err = await refusal(
      limiter.checkLimits({ tags: [{ tenant: 'a', tag: 'b/c', limit }], promptTokens: 1 }),
    );
    expect(err.message).toContain('Rate limit reached for tag b/c (tenant a) on requests');
  });

  it('settle corrects the tag TPM buckets with real usage', async () => {
    const { limiter } = setup();
    const tags = [
      { tenant: 't', tag: 'batch', limit: { tpm: 1000 } },
      { tenant: 't', tag: 'eval', limit: { tpm: 2000 } },
    ];
    const t1 = await limiter.checkLimits({ tags, promptTokens: 100 });
    expect(t1.charged.map((c) => c.bucket.key)).toEqual([
      'rl:tag:t/batch:tpm',
      'rl:tag:t/eval:tpm',
    ]);
    await limiter.settle([t1], 700); // the answer used 600 more than the estimate
    const err = await refusal(limiter.checkLimits({ tags, promptTokens: 301 }));
    expect(err.message).toContain(
      'tag batch (tenant t) on tokens per min (TPM): Limit 1000, Used 700, Requested 301',
    );
    const t2 = await limiter.checkLimits({ tags, promptTokens: 300 });
    // The tightest bucket speaks in the headers: batch, with nothing left.
    expect(t2.headers['x-ratelimit-remaining-tokens']).toBe('0');
  });

  it('admits up to the router RPM, then refuses with Azure-style headers and retry-after', async () => {
    const { limiter } = setup();
    const router = { name: 'r1', rateLimit: { rpm: 3, tpm: 1000 } };
    const first = await limiter.checkLimits({ router, promptTokens: 10 });
    expect(first.headers).toMatchObject({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '990',
    });
    await limiter.checkLimits({ router, promptTokens: 10 });
    await limiter.checkLimits({ router, promptTokens: 10 });
    const err = await refusal(limiter.checkLimits({ router, promptTokens: 10 }));
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.headers['x-ratelimit-remaining-requests']).toBe('0');
    // One request frees up every 20 s (60 s / 3).
    expect(err.headers['retry-after']).toBe('20');
    expect(err.headers['x-ratelimit-reset-requests']).toBe('1m0s');
    expect(err.message).toContain(
      'router r1 on requests per min (RPM): Limit 3, Used 3, Requested 1',
    );
  });

  it('refills over time (GCRA) using the injected clock', async () => {
    const { limiter, clock } = setup();
    const router = { name: 'r1', rateLimit: { rpm: 60 } };
    for (let i = 0; i < 60; i++) await limiter.checkLimits({ router, promptTokens: 0 });
    await expect(limiter.checkLimits({ router, promptTokens: 0 })).rejects.toThrow(
      /Rate limit reached/,
    );
    clock.advance(999);
    await expect(limiter.checkLimits({ router, promptTokens: 0 })).rejects.toThrow(
      /try again in 1ms/,
    );
    clock.advance(1);
    const ok = await limiter.checkLimits({ router, promptTokens: 0 });
    expect(ok.headers['x-ratelimit-remaining-requests']).toBe('0');
  });

  it('is all-or-nothing across key and router buckets', async () => {
    const { limiter, state, clock } = setup();
    const router = { name: 'r1', rateLimit: { rpm: 100, tpm: 100_000 } };
    await limiter.checkLimits({ keyId: 'k1', keyLimit: { tpm: 500 }, router, promptTokens: 400 });
    const err = await refusal(
      limiter.checkLimits({ keyId: 'k1', keyLimit: { tpm: 500 }, router, promptTokens: 200 }),
    );
    expect(err.message).toContain(
      'API key k1 on tokens per min (TPM): Limit 500, Used 400, Requested 200',
    );
    // The router was not charged for the refused request: still 99 requests left.
    const peek = await state.consume(
      [{ key: 'rl:router:r1:rpm', limit: 100, windowMs: 60_000, cost: 0 }],
      clock.now(),
    );
    expect(peek.buckets[0]!.remaining).toBe(99);
  });

  it('settle charges the extra tokens and refunds the surplus', async () => {
    const { limiter } = setup();
    const router = { name: 'r1', rateLimit: { tpm: 1000 } };
    const t1 = await limiter.checkLimits({ router, promptTokens: 100 });
    await limiter.settle([t1], 600); // the answer used 500 more
    const t2 = await limiter.checkLimits({ router, promptTokens: 100 });
    expect(t2.headers['x-ratelimit-remaining-tokens']).toBe('300');
    await limiter.settle([t2], 20); // refund 80
    const t3 = await limiter.checkLimits({ router, promptTokens: 0 });
    expect(t3.headers['x-ratelimit-remaining-tokens']).toBe('380');
  });

  it('deployment refusals are retryable so failover can try the next deployment', async () => {
    const { limiter } = setup();
    const d = { name: 'gpt-4o', rateLimit: { rpm: 1 } };
    await limiter.consumeDeployment(d, 10);
    const err = await refusal(limiter.consumeDeployment(d, 10));
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('deployment_rate_limited');
  });

  it('hasHeadroom answers from the last state seen, without a round trip', async () => {
    const { limiter, clock } = setup();
    const d = { name: 'd1', rateLimit: { tpm: 1000 } };
    expect(limiter.hasHeadroom(d, 900)).toBe(true);
    expect(limiter.hasHeadroom(d, 1001)).toBe(false);
    await limiter.consumeDeployment(d, 800);
    expect(limiter.hasHeadroom(d, 300)).toBe(false);
    expect(limiter.hasHeadroom(d, 200)).toBe(true);
    clock.advance(6000); // 100 tokens refill
    expect(limiter.hasHeadroom(d, 300)).toBe(true);
    expect(limiter.hasHeadroom({ name: 'unlimited' }, 1e9)).toBe(true);
  });

  it('headroomInMs says when hasHeadroom turns true: the tightest bucket, to the ms', async () => {
    const { limiter, clock } = setup();
    const d = { name: 'd2', rateLimit: { rpm: 2, tpm: 1000 } };
    expect(limiter.headroomInMs(d, 900)).toBe(0);
    expect(limiter.headroomInMs(d, 1001)).toBeUndefined();
    expect(limiter.headroomInMs({ name: 'unlimited' }, 1e9)).toBe(0);
    await limiter.consumeDeployment(d, 800);
    await limiter.consumeDeployment(d, 100);
    // RPM: the next request in 30 s; TPM: 300 tokens once 200 refill (12 s).
    expect(limiter.headroomInMs(d, 300)).toBe(30_000);
    clock.advance(29_999);
    expect(limiter.hasHeadroom(d, 300)).toBe(false);
    expect(limiter.headroomInMs(d, 300)).toBe(1);
    clock.advance(1);
    expect(limiter.hasHeadroom(d, 300)).toBe(true);
    expect(limiter.headroomInMs(d, 300)).toBe(0);
    const tokens = { name: 'd3', rateLimit: { tpm: 1000 } };
    await limiter.consumeDeployment(tokens, 800);
    expect(limiter.headroomInMs(tokens, 300)).toBe(6000);
    clock.advance(5999);
    expect(limiter.hasHeadroom(tokens, 300)).toBe(false);
    clock.advance(1);
    expect(limiter.hasHeadroom(tokens, 300)).toBe(true);
  });

  it('explains a request bigger than the whole TPM limit', async () => {
    const { limiter } = setup();
    const err = await refusal(
      limiter.checkLimits({ router: { name: 'r', rateLimit: { tpm: 100 } }, promptTokens: 101 }),
    );
    expect(err.message).toContain('Request too large for router r');
    expect(err.headers['retry-after']).toBe('60');
    // It never fits: the SDKs are told not to retry it. A request that fits later may be retried.
    expect(err.headers['x-should-retry']).toBe('false');
    const { limiter: other } = setup();
    const rpm = { router: { name: 'r', rateLimit: { rpm: 1 } }, promptTokens: 1 };
    await other.checkLimits(rpm);
    const later = await refusal(other.checkLimits(rpm));
    expect(later.message).toContain('Rate limit reached');
    expect(later.headers['x-should-retry']).toBeUndefined();
  });

  it("a deployment's refusal under tenant headers tells no tenant the deployment's level", async () => {
    const { limiter, clock } = setup();
    const d = { name: 'd', rateLimit: { rpm: 4, tpm: 1000 } };
    // Other tenants used 3 of the 4 requests and 900 of the 1000 tokens.
    for (const tokens of [300, 300, 300]) await limiter.consumeDeployment(d, tokens);
    clock.advance(1000);
    const err = await refusal(limiter.consumeDeployment(d, 200, true));
    // The tokens refused: none left for this request, and when it fits; never the 900 used.
    expect(err.headers['x-ratelimit-remaining-tokens']).toBe('0');
    expect(err.headers['x-ratelimit-reset-tokens']).toBe(
      formatDuration(Number(err.headers['retry-after-ms'])),
    );
    // The request bucket admitted: not shown.
    expect(err.headers['x-ratelimit-remaining-requests']).toBeUndefined();
    expect(err.message).not.toContain('Used');
    // Judged from the last state seen (a failover's retry-after), the same.
    const wait = limiter.headroomInMs(d, 200)!;
    expect(limiter.headroomHeaders(d, wait)).toEqual({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': formatDuration(wait),
    });
    // Without the tenant view, the level, as before.
    expect(limiter.headroomHeaders(d)['x-ratelimit-remaining-tokens']).not.toBe('0');
  });

  it('formats durations the way OpenAI does', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(8640)).toBe('8.64s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(formatDuration(59_999.5)).toBe('1m0s');
  });
});
