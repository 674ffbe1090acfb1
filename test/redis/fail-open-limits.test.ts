// Fail-open rate limits against the real Redis: two replicas (each its own connection, through a
// loopback proxy the test cuts) share a limit; when Redis goes away each replica's local bucket
// starts from the level it last saw in Redis and holds its share of the limit (limit / replicas),
// so the fleet admits what Redis had left, not a fresh limit per replica; when it returns, what
// they admitted alone is written back.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { GatewayError } from '../../src/core/errors.js';
import { RateLimiter } from '../../src/policy/rate-limit.js';
import type { CheckLimitsInput } from '../../src/policy/rate-limit-types.js';
import { createSharedState, type SharedStateHandle } from '../../src/store/shared-state-factory.js';
import { redisSuite, type RedisProxy } from './redis-helpers.js';

/** Prefixes and proxies (on this suite's loopback ports), cleaned up. */
const suite = await redisSuite([19240, 19299]);

/** A one-hour window: refill while the test runs cannot blur the counts. */
const WINDOW_MS = 3_600_000;

interface Replica {
  proxy: RedisProxy;
  handle: SharedStateHandle;
  limiter: RateLimiter;
}

async function fleet(name: string, size: number) {
  const prefix = suite.prefix(name);
  const clock = createManualClock(Date.now());
  const replicas: Replica[] = [];
  for (let i = 0; i < size; i++) {
    const proxy = await suite.proxy();
    const handle = await createSharedState(
      { kind: 'redis', redisUrl: proxy.url, onFailure: 'open', prefix, commandTimeoutMs: 1000 },
      { clock, prefix, commandTimeoutMs: 1000 },
    );
    // Closed before its proxy is cut.
    suite.cleanup(() => handle.state.close());
    replicas.push({
      proxy,
      handle,
      limiter: new RateLimiter({ state: handle.state, clock, windowMs: WINDOW_MS }),
    });
  }
  // Every replica has heard from the others (a heartbeat every 5 s).
  await expect
    .poll(() => replicas.map((r) => r.handle.status().replicas), { timeout: 12_000, interval: 100 })
    .toEqual(replicas.map(() => size));
  const cut = async () => {
    await Promise.all(replicas.map((r) => r.proxy.cut()));
    await expect
      .poll(() => replicas.map((r) => r.handle.status().serving), { timeout: 5000, interval: 20 })
      .toEqual(replicas.map(() => 'local'));
  };
  const resume = async () => {
    await Promise.all(replicas.map((r) => r.proxy.resume()));
    await expect
      .poll(() => replicas.map((r) => r.handle.status().serving), { timeout: 5000, interval: 20 })
      .toEqual(replicas.map(() => 'redis'));
  };
  return { replicas, cut, resume };
}

async function admitted(limiter: RateLimiter, input: CheckLimitsInput, attempts: number) {
  let n = 0;
  for (let i = 0; i < attempts; i++) {
    const ok = await limiter.checkLimits(input).then(
      () => true,
      (e: GatewayError) => {
        expect(e.status).toBe(429);
        return false;
      },
    );
    if (ok) n++;
  }
  return n;
}

describe.skipIf(!suite.available)('fail-open rate limits when Redis goes away (real Redis)', () => {
  it('admits what Redis had left, split between the replicas, not a fresh limit each', async () => {
    const { replicas, cut, resume } = await fleet('fail-open-level', 2);
    const [a, b] = replicas as [Replica, Replica];
    const input: CheckLimitsInput = {
      router: { name: 'r', rateLimit: { rpm: 30 } },
      promptTokens: 0,
    };
    // 24 of the 30 through the shared bucket, taking turns: a last saw 23 taken, b 24.
    for (let i = 0; i < 24; i++) await (i % 2 === 0 ? a : b).limiter.checkLimits(input);

    await cut();
    const byA = await admitted(a.limiter, input, 30);
    const byB = await admitted(b.limiter, input, 30);
    // Each replica's share (15) of what it last saw left: a 7 / 2 → 3, b 6 / 2 → 3. Started full
    // (before), each would have admitted its whole 30; seeded without the share, 7 and 6.
    expect([byA, byB]).toEqual([3, 3]);
    expect(byA + byB).toBeLessThanOrEqual(30 - 24);
    expect(a.handle.status().fallbackOps).toBe(30);

    // Redis is back: what each replica admitted alone is written to the shared bucket (raised to
    // the higher of their levels), so the limit still holds in Redis.
    await resume();
    const after = await a.limiter.checkLimits(input).then(
      () => 200,
      (e: GatewayError) => e.status,
    );
    expect(after).toBe(429);
    expect(a.handle.status().serving).toBe('redis');
  }, 30_000);

  it('a request larger than the share but within the limit fits once, on an untouched share', async () => {
    const { replicas, cut } = await fleet('fail-open-share', 2);
    const a = replicas[0]!;
    const limit = { tpm: 1000 };
    const ask = (tokens: number) =>
      a.limiter.checkLimits({ keyId: 'k1', keyLimit: limit, promptTokens: tokens }).then(
        (t) => t.headers,
        (e: GatewayError) => e,
      );
    await cut();
    // Never seen in Redis: a's share is 500 tokens, untouched. 800 takes all of it.
    const first = await ask(800);
    expect(first).toMatchObject({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
    });
    const second = await ask(800);
    expect((second as GatewayError).status).toBe(429);
    expect((second as GatewayError).message).toContain('Rate limit reached');
    // Beyond the limit itself: refused as too large, as with Redis up.
    const huge = await ask(1200);
    expect((huge as GatewayError).message).toContain('Request too large');
  }, 30_000);
});
