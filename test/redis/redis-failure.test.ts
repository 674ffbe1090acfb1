// A Redis we start ourselves on a free loopback port, stopped by PID and restarted: fail-open keeps
// serving on local limits and counts it, fail-closed refuses with 503, and spend and limits taken
// during the outage are written to Redis when it returns (resync).
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { GatewayError } from '../../src/core/errors.js';
import { RateLimiter } from '../../src/policy/rate-limit.js';
import { createSharedState } from '../../src/store/shared-state-factory.js';
import type { StateEvent } from '../../src/store/shared-state.js';
import type { ResilientState } from '../../src/store/redis/resilient-state.js';
import { freePort, startRedisServer, type OwnRedis } from './redis-helpers.js';

const hasRedisServer = await startRedisServer(await freePort())
  .then(async (r) => {
    await r.stop();
    return true;
  })
  .catch(() => {
    console.warn('\n*** redis-server binary not usable: skipping Redis failure tests ***\n');
    return false;
  });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(onFailure: 'open' | 'closed') {
  const port = await freePort();
  let server: OwnRedis = await startRedisServer(port);
  cleanups.push(() => server.stop());
  const clock = createManualClock();
  const events: StateEvent[] = [];
  // The stop is noticed by the closed connection (no offline queue: commands then fail at once),
  // not by a timeout; a generous one keeps a loaded machine from timing out the ops that are meant
  // to reach Redis before it (at RedisState's default 50 ms some did, and were rightly served and
  // counted locally). The factory takes it from its options, as the runtime passes it.
  const handle = await createSharedState(
    { kind: 'redis', redisUrl: server.url, onFailure, prefix: 'fail:', commandTimeoutMs: 2_000 },
    { clock, onEvent: (e) => events.push(e), prefix: 'fail:', commandTimeoutMs: 2_000 },
  );
  cleanups.push(() => handle.state.close());
  const limiter = new RateLimiter({ state: handle.state, clock });
  return {
    clock,
    events,
    handle,
    limiter,
    stop: () => server.stop(),
    restart: async () => {
      server = await startRedisServer(port);
    },
    url: () => server.url,
  };
}

describe.skipIf(!hasRedisServer)('Redis failure and recovery', () => {
  it('fail-open: serves on local limits while Redis is down, counts it, and resyncs spend', async () => {
    const s = await setup('open');
    const router = { name: 'r', rateLimit: { rpm: 5 } };
    expect(s.handle.status().serving).toBe('redis');
    await s.limiter.checkLimits({ router, promptTokens: 0 });
    await s.handle.state.incrementCounters([{ key: 'spend:t1', by: 1_000, ttlMs: 60_000 }]);
    // Both were served by Redis: what is counted below is the outage's alone.
    expect(s.handle.status()).toMatchObject({ serving: 'redis', outages: 0, fallbackOps: 0 });

    await s.stop();
    // Still serving: the local fallback applies the same limit, from where Redis last left it (one
    // of the 5 taken: 4 admitted, then 429).
    const outcomes: number[] = [];
    for (let i = 0; i < 7; i++) {
      outcomes.push(
        await s.limiter.checkLimits({ router, promptTokens: 0 }).then(
          () => 200,
          (e: GatewayError) => e.status,
        ),
      );
    }
    expect(outcomes).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const status = s.handle.status();
    expect(status.serving).toBe('local');
    expect(status.outages).toBe(1);
    expect(status.fallbackOps).toBe(7); // the 7 checks after the stop, each served locally
    expect(s.events.some((e) => e.type === 'down')).toBe(true);

    // Spend during the outage is kept and added on top of the last value Redis reported.
    const during = await s.handle.state.incrementCounters([
      { key: 'spend:t1', by: 250, ttlMs: 60_000 },
    ]);
    expect(during).toEqual([1_250]);

    await s.restart();
    await expect
      .poll(() => s.handle.status().serving, { timeout: 5000, interval: 50 })
      .toBe('redis');
    expect(s.events.filter((e) => e.type === 'resynced').at(-1)).toEqual({
      type: 'resynced',
      flushedCounters: 1,
      raisedBuckets: 1,
    });
    // The restarted Redis has no persistence: it now holds exactly the spend taken during the
    // outage, and the router's bucket as the outage left it: the 4 admitted locally still count.
    const direct = new Redis(s.url());
    cleanups.push(async () => direct.disconnect());
    expect(await direct.get('fail:spend:t1')).toBe('250');
    expect(await direct.exists('fail:rl:router:r:rpm')).toBe(1);
    const refused = await s.limiter.checkLimits({ router, promptTokens: 0 }).then(
      () => 200,
      (e: GatewayError) => e.status,
    );
    expect(refused).toBe(429);
    expect(s.handle.status().serving).toBe('redis');
    // Limits are served from Redis again: a minute later, a full bucket there.
    s.clock.advance(60_000);
    const back = await s.limiter.checkLimits({ router, promptTokens: 0 });
    expect(back.headers['x-ratelimit-remaining-requests']).toBe('4');
  });

  it('fail-closed: refuses with 503 while Redis is down, then serves again', async () => {
    const s = await setup('closed');
    const router = { name: 'r', rateLimit: { rpm: 5 } };
    await s.limiter.checkLimits({ router, promptTokens: 0 });
    await s.stop();
    const err = await s.limiter.checkLimits({ router, promptTokens: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(503);
    expect((err as GatewayError).code).toBe('state_unavailable');
    expect((s.handle.state as ResilientState).status().refusedOps).toBe(1);
    // /readyz says it refuses, not that it serves locally (until 2026-12-06 'local').
    expect(s.handle.status().serving).toBe('refusing');
    await s.restart();
    await expect
      .poll(() => s.handle.status().serving, { timeout: 5000, interval: 50 })
      .toBe('redis');
    const ok = await s.limiter.checkLimits({ router, promptTokens: 0 });
    expect(ok.headers['x-ratelimit-limit-requests']).toBe('5');
  });
});
