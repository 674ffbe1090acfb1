// Budget reservations on the real Redis: two replicas sharing a fresh budget see each other's
// requests in flight (the reservation is made in the same script as the limits' check), and once
// every request ended the spend counter holds exactly the request log's total, the reservation
// pool nothing; a failed upstream leaves nothing reserved either, nor does an admission whose
// reply was lost after it reserved, served locally and sent again on Redis's return.
// (Lapsing, retried and repeated calls on Redis: src/policy/budget-reservations.test.ts.)
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigHolder, compileConfig } from '../../src/config/runtime-config.js';
import { systemClock } from '../../src/core/clock.js';
import type { ChatRequest } from '../../src/core/wire-types.js';
import type { AdmitContext } from '../../src/gateway/gateway-types.js';
import { BudgetTracker, periodOf, reservationPool } from '../../src/policy/budget.js';
import { createGovernancePolicies } from '../../src/policy/governance-policies.js';
import { RateLimiter } from '../../src/policy/rate-limit.js';
import { RedisState } from '../../src/store/redis/redis-state.js';
import { ResilientState } from '../../src/store/redis/resilient-state.js';
import { createSharedState } from '../../src/store/shared-state-factory.js';
import {
  PROMPT,
  ask,
  budgetedRouter,
  eventually,
  loggedNano,
  type BudgetedRouter,
} from '../helpers/budget-reservations.js';
import { listenInRange } from '../helpers/listen-in-range.js';
import { REDIS_URL, redisStateInput, redisSuite } from './redis-helpers.js';
import { WAIT_TIMEOUT_MS } from '../helpers/wait-for.js';

/** Prefixes and the proxy (on this suite's loopback ports), cleaned up. */
const suite = await redisSuite([47_190, 47_199]);

describe.skipIf(!suite.available)('budget reservations on Redis', () => {
  const client = suite.available ? new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }) : undefined;
  afterAll(() => client?.disconnect());

  /** The tenant's day counter and reservation pool's total in Redis, as integers: [spend, reserved]. */
  const counters = async (prefix: string): Promise<[number, number]> => {
    const key = `${prefix}budget:tenant:default:${periodOf('day', Date.now()).label}`;
    const [spend, reserved] = await client!.mget(key, `${key}:reservations`);
    return [Number(spend ?? 0), Number(reserved ?? 0)];
  };

  const replicas = async (n: number, dailyUsd: number, simulation = {}) => {
    const prefix = suite.prefix('reserve');
    const state = redisStateInput(prefix);
    const out: BudgetedRouter[] = [];
    for (let i = 0; i < n; i++) out.push(await budgetedRouter(dailyUsd, simulation, { state }));
    return { prefix, routers: out };
  };

  it('20 concurrent requests over two replicas on a fresh $0.002 budget: served while they fit, counters exact after', async () => {
    // Answers take 1.5 s: all 20 are admitted while the first are in flight, on a loaded machine.
    const { prefix, routers } = await replicas(2, 0.002, { ttftMs: 1_500 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => ask(routers[i % 2]!.rt)),
      );
      const records = routers.flatMap((r) => r.records);
      const costs = records.filter((r) => r.status === 200).map((r) => r.costUsd);
      const served = answers.filter((a) => a.statusCode === 200).length;
      expect(costs).toHaveLength(served);
      expect(served).toBeGreaterThanOrEqual(1);
      expect(served).toBeLessThan(20);
      const spent = costs.reduce((a, b) => a + b, 0);
      expect(spent).toBeLessThanOrEqual(0.002 + Math.max(...costs) + 1e-12);
      // Settling is off the response path: wait for the last release to land.
      const [spendNano, reservedNano] = await eventually(
        () => counters(prefix),
        ([, held]) => held === 0,
      );
      expect(reservedNano).toBe(0);
      expect(spendNano).toBe(loggedNano(records));
    } finally {
      for (const r of routers) await r.rt.close();
    }
  }, 30_000);

  it('a failed upstream leaves nothing reserved in Redis', async () => {
    // Each call times out at the upstream after 2 s (a 504). The reservation is read while it
    // waits, so that wait is kept well above a loaded machine's stalls.
    const { prefix, routers } = await replicas(1, 0.01, {
      failure: { kind: 'timeout', delayMs: 2_000, rate: 1, retryAfterSeconds: 1 },
    });
    const { rt, records } = routers[0]!;
    try {
      const pending = ask(rt);
      const [, during] = await eventually(
        () => counters(prefix),
        ([, held]) => held > 0,
      );
      expect(during).toBeGreaterThan(1_200_000); // $0.0012 and the prompt, in nano-dollars
      expect((await pending).statusCode).toBeGreaterThanOrEqual(500);
      const [spendNano, reservedNano] = await eventually(
        () => counters(prefix),
        ([, held]) => held === 0,
      );
      expect(reservedNano).toBe(0);
      expect(spendNano).toBe(loggedNano(records));
    } finally {
      await rt.close();
    }
  }, 30_000);

  it("a request the shutdown's drain stops gives its reservation back before the replica closes", async () => {
    const prefix = suite.prefix('reserve');
    const state = redisStateInput(prefix);
    // A stream of 2 tokens a second; the drain gives requests 0.3 s, then stops them.
    const { rt, records } = await budgetedRouter(
      0.01,
      { ttftMs: 0, tokensPerSecond: 2 },
      {
        state,
        server: { host: '127.0.0.1', port: 0, logLevel: 'silent', shutdownDrainSeconds: 0.3 },
      },
    );
    await listenInRange((port) => rt.app.listen({ host: '127.0.0.1', port }), 47_180, 47_189);
    const port = (rt.app.server.address() as AddressInfo).port;
    let body = '';
    const pending = new Promise<void>((resolve) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.on('data', (d) => (body += String(d)));
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.end(JSON.stringify({ ...PROMPT, stream: true }));
    });
    const [, during] = await eventually(
      () => counters(prefix),
      ([, held]) => held > 0,
    );
    expect(during).toBeGreaterThan(1_200_000);
    await rt.close();
    await pending;
    // Stopped, not waited out: a stream left to its end (10 s) has no such event.
    expect(body).toContain('router_shutting_down');
    // Read once the replica has closed: nothing left to land.
    const [spendNano, reservedNano] = await counters(prefix);
    expect(reservedNano).toBe(0);
    expect(spendNano).toBe(loggedNano(records));
  }, 30_000);

  it('fail-open: reservations and releases made while Redis is away reach it on its return', async () => {
    const prefix = suite.prefix('reserve');
    const proxy = await suite.proxy();
    const handle = await createSharedState(
      { kind: 'redis', redisUrl: proxy.url, onFailure: 'open', prefix, commandTimeoutMs: 1000 },
      { clock: systemClock, prefix, commandTimeoutMs: 1000 },
    );
    try {
      const budgets = new BudgetTracker({
        state: handle.state,
        clock: systemClock,
        budgets: () => ({ shiftToCostAt: 0.8, tenants: { default: { dailyUsd: 1 } }, tags: {} }),
      });
      const limiter = new RateLimiter({ state: handle.state, clock: systemClock });
      const subject = { tenant: 'default' };
      const limited = budgets.limitedCounters(subject);
      const admit = (usd: number) =>
        limiter.checkLimits({
          promptTokens: 0,
          readCounters: limited.map((c) => c.key),
          pools: { read: limited.map(reservationPool), make: budgets.reservation(limited, usd) },
        });
      const first = await admit(0.3); // in Redis
      await proxy.cut();
      await expect.poll(() => handle.status().serving).toBe('local');
      // Served locally: the reservation made in Redis is still seen, and one is added here.
      const second = await admit(0.2);
      expect([second.counters, second.pools]).toEqual([[0], [0.3e9]]);
      await budgets.recordSpend(subject, 0.1, first.reserved); // ends during the outage
      await proxy.resume();
      await expect.poll(() => handle.status().serving).toBe('redis');
      await budgets.recordSpend(subject, 0.15, second.reserved); // ends once it is back
      expect(await counters(prefix)).toEqual([0.25e9, 0]);
    } finally {
      await handle.state.close();
    }
  }, 30_000);

  it("fail-open: an admission whose reply was lost after it reserved, served locally, is held once on Redis's return", async () => {
    const prefix = suite.prefix('resv-lost');
    const redis = new LosesReplies({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
    await redis.waitUntilReady(WAIT_TIMEOUT_MS);
    const state = new ResilientState(redis, 'open', { clock: systemClock });
    try {
      const config = parseConfig({
        deployments: [
          {
            name: 'small',
            provider: 'simulated',
            model: 'small',
            prices: { inputPer1M: 1, outputPer1M: 2 },
            contextWindow: 100_000,
            maxOutputTokens: 1000,
          },
        ],
        routers: [{ name: 'r', modelSubset: ['small'] }],
        budgets: { shiftToCostAt: 0.99, tenants: { default: { dailyUsd: 1 } } },
      }).config;
      const holder = new ConfigHolder(compileConfig(config));
      const budgets = new BudgetTracker({
        state,
        clock: systemClock,
        budgets: () => holder.current.config.budgets,
      });
      const limiter = new RateLimiter({ state, clock: systemClock });
      const policies = createGovernancePolicies({ config: holder, limiter, budgets });
      const ctx: AdmitContext = {
        promptTokens: 0,
        target: { kind: 'router', router: holder.current.routers.get('r')! },
        call: {
          request: { model: 'r', max_tokens: 1000, messages: [] } as unknown as ChatRequest,
          endpoint: 'chat',
          auth: { tenant: 'default', admin: false, scopes: ['*'] },
          headers: {},
          signal: new AbortController().signal,
          requestId: 'req-lost',
        },
      };
      redis.lose = 1; // the script runs, its reply times out: served locally
      await policies.admit!(ctx);
      expect(state.status().serving).toBe('local');
      expect(await counters(prefix)).toEqual([0, 2_000_000]); // made in Redis all the same
      // Back (the probe PINGs): what was made here is sent again, and holds once.
      await expect.poll(() => state.status().serving).toBe('redis');
      expect(await counters(prefix)).toEqual([0, 2_000_000]);
      policies.settle!(ctx, { costUsd: 0.0015, status: 200 });
      const [spend, held] = await eventually(
        () => counters(prefix),
        ([, h]) => h === 0,
      );
      expect([spend, held]).toEqual([1_500_000, 0]);
    } finally {
      await state.close();
    }
  }, 30_000);
});

/** A RedisState whose next `lose` consumes run in Redis and then fail as a timeout does. */
class LosesReplies extends RedisState {
  lose = 0;

  override async consume(...args: Parameters<RedisState['consume']>) {
    const result = await super.consume(...args);
    if (this.lose > 0) {
      this.lose--;
      throw new Error('Command timed out');
    }
    return result;
  }
}
