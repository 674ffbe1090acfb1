// Budget reservations through the governance policies (admit, settle) of replicas sharing the
// in-process state, and then the real Redis (skipped loudly when absent; its scripts take the
// time from the injected clock, as every caller passes it): a reservation its replica never
// settled (killed without its drain) lapses after `budgets.reservationTtlSeconds`, a reload of
// which applies to the next ones; an admission sent twice (a retry after a timeout) holds once; a
// request's end sent twice releases once, and one that comes after its reservation lapsed credits
// nothing. Embeddings, moderations and rerank reserve too.
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from '../../test/redis/redis-helpers.js';
import { parseConfig } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { AdmitContext } from '../gateway/gateway-types.js';
import type { Clock } from '../core/clock.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { RedisState } from '../store/redis/redis-state.js';
import type { SharedState } from '../store/shared-state.js';
import { BudgetTracker } from './budget.js';
import { createGovernancePolicies } from './governance-policies.js';
import { RateLimiter } from './rate-limit.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

const MINUTE = 60_000;

const input = (dailyUsd: number, reservationTtlSeconds?: number): ConfigInput => ({
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
  budgets: {
    shiftToCostAt: 0.99,
    tenants: { acme: { dailyUsd } },
    ...(reservationTtlSeconds ? { reservationTtlSeconds } : {}),
  },
});

const available = await redisAvailable();
const prefixes: string[] = [];
const opened: RedisState[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const p of prefixes) await cleanupPrefix(p);
});

/** Opens each replica's state on one store: memory's one object, or a Redis connection each. */
type StoreOf = (clock: Clock) => () => Promise<SharedState>;

const memory: StoreOf = (clock) => {
  const state = new MemoryState(clock);
  return async () => state;
};

const redis: StoreOf = () => {
  const prefix = uniquePrefix('resv-budget');
  prefixes.push(prefix);
  return async () => {
    const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
    opened.push(state);
    await state.waitUntilReady(WAIT_TIMEOUT_MS);
    return state;
  };
};

/**
 * Replicas sharing one store (and clock), each with its own policies; `wrap` stands between them
 * and the store. A request asks for 1,000 tokens at $2/1M: $0.002 is reserved for it.
 */
async function fleet(
  storeOf: StoreOf,
  dailyUsd: number,
  wrap: (s: SharedState) => SharedState = (s) => s,
) {
  const clock = createManualClock();
  const open = storeOf(clock);
  const holder = new ConfigHolder(compileConfig(parseConfig(input(dailyUsd)).config));
  const writes: Promise<unknown>[] = [];
  const replica = async () => {
    const state = await open();
    const shared = tracked(wrap(state), writes);
    const budgets = new BudgetTracker({
      state: shared,
      clock,
      budgets: () => holder.current.config.budgets,
    });
    const limiter = new RateLimiter({ state: shared, clock });
    // Killed: its connection gone, nothing it held settled.
    const kill = () => (state instanceof RedisState ? state.close() : Promise.resolve());
    return { policies: createGovernancePolicies({ config: holder, limiter, budgets }), kill };
  };
  const reader = new BudgetTracker({
    state: await open(),
    clock,
    budgets: () => holder.current.config.budgets,
  });
  let n = 0;
  const ctx = (): AdmitContext => ({
    promptTokens: 0,
    target: { kind: 'router', router: holder.current.routers.get('r')! },
    call: {
      request: { model: 'r', max_tokens: 1000, messages: [] } as unknown as ChatRequest,
      endpoint: 'chat',
      auth: { tenant: 'acme', admin: false, scopes: ['*'] },
      headers: {},
      signal: new AbortController().signal,
      requestId: `req-${n++}`,
    },
  });
  const reserved = async () =>
    (await reader.budgetState({ tenant: 'acme' })).lines[0]!.reservedUsd ?? 0;
  /** Settling is off the request's path: wait for what it sent to land. */
  const settled = () => Promise.allSettled(writes);
  return { clock, holder, replica, ctx, reserved, settled };
}

/** Keeps the promise of every reservation change and counter increment sent through `state`. */
function tracked(state: SharedState, writes: Promise<unknown>[]): SharedState {
  return new Proxy(state, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...a: unknown[]) => unknown;
      if (prop !== 'changeReservations' && prop !== 'incrementCounters') return fn.bind(target);
      return (...args: unknown[]) => {
        const done = fn.apply(target, args) as Promise<unknown>;
        writes.push(done);
        return done;
      };
    },
  });
}

/** Every call of the named operations is sent twice (a retry after a reply was lost). */
function sentTwice(ops: readonly string[]) {
  return (state: SharedState): SharedState =>
    new Proxy(state, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => Promise<unknown>;
        if (!ops.includes(String(prop))) return fn.bind(target);
        return async (...args: unknown[]) => {
          await fn.apply(target, args);
          return fn.apply(target, args);
        };
      },
    });
}

async function refusal(admitted: Promise<unknown>): Promise<GatewayError | undefined> {
  return admitted.then(
    () => undefined,
    (e: unknown) => e as GatewayError,
  );
}

const stores: [string, boolean, StoreOf][] = [
  ['memory', true, memory],
  ['redis', available, redis],
];

describe.each(stores)('budget reservations that lapse (%s)', (_kind, runs, store) => {
  it.skipIf(!runs)(
    "a killed replica's reservation stops holding the budget after budgets.reservationTtlSeconds; a reload applies to the next",
    async () => {
      const { clock, holder, replica, ctx, reserved } = await fleet(store, 0.002);
      const killed = await replica();
      const survivor = (await replica()).policies;
      await killed.policies.admit!(ctx());
      await killed.kill(); // never settled: its replica died
      expect(await reserved()).toBeCloseTo(0.002, 9);
      const held = await refusal(Promise.resolve(survivor.admit!(ctx())));
      expect(held?.message).toMatch(
        /^The daily budget of tenant acme has no room while its requests in flight run: \$0\.0000 spent and \$0\.0020 held/,
      );
      expect(held?.headers).toEqual({ 'retry-after': '1' });
      clock.advance(15 * MINUTE - 1); // the default: 900 s
      expect(await refusal(Promise.resolve(survivor.admit!(ctx())))).toBeInstanceOf(GatewayError);
      clock.advance(1);
      expect(await reserved()).toBe(0);
      // Lapsed: the survivor is served (its own request now holds the budget, for 60 s once
      // reloaded to that).
      holder.apply(parseConfig(input(0.002, 60)).config);
      await survivor.admit!(ctx());
      expect(await reserved()).toBeCloseTo(0.002, 9);
      clock.advance(MINUTE);
      expect(await reserved()).toBe(0);
    },
  );

  it.skipIf(!runs)(
    'an admission sent twice (a retry after a lost reply) holds its expected cost once',
    async () => {
      const { replica, ctx, reserved } = await fleet(store, 1, sentTwice(['consume']));
      await (
        await replica()
      ).policies.admit!(ctx());
      expect(await reserved()).toBeCloseTo(0.002, 9);
    },
  );

  it.skipIf(!runs)("a request's end sent twice releases its reservation once", async () => {
    const { replica, ctx, reserved, settled } = await fleet(
      store,
      1,
      sentTwice(['changeReservations', 'incrementCounters']),
    );
    const { policies } = await replica();
    const first = ctx();
    await policies.admit!(first);
    await policies.admit!(ctx()); // still in flight
    expect(await reserved()).toBeCloseTo(0.004, 9);
    policies.settle!(first, { costUsd: 0.001, status: 200 });
    await settled();
    expect(await reserved()).toBeCloseTo(0.002, 9);
  });

  it.skipIf(!runs)(
    'embeddings, moderations and rerank reserve their input at the input price until they end',
    async () => {
      const { holder, replica, reserved, settled } = await fleet(store, 1);
      const { policies } = await replica();
      const small = holder.current.deployments.get('small')!;
      for (const endpoint of ['embeddings', 'moderations', 'rerank'] as const) {
        const admitted: AdmitContext = {
          promptTokens: 2_000, // $0.002 at $1/1M
          target: { kind: 'deployment', deployment: small },
          call: {
            request: {
              model: 'small',
              messages: [
                { role: 'user', content: 'a query' },
                { role: 'user', content: 'a document' },
              ],
            } as ChatRequest,
            endpoint,
            auth: { tenant: 'acme', admin: false, scopes: ['*'] },
            headers: {},
            signal: new AbortController().signal,
            requestId: `req-${endpoint}`,
          },
        };
        await policies.admit!(admitted);
        expect(await reserved(), endpoint).toBeCloseTo(0.002, 9);
        policies.settle!(admitted, { costUsd: 0.0019, status: 200 });
        await settled();
        expect(await reserved(), endpoint).toBe(0);
      }
    },
  );

  it.skipIf(!runs)(
    'a request ending after its reservation lapsed credits nothing of the others',
    async () => {
      const { clock, replica, ctx, reserved, settled } = await fleet(store, 1);
      const { policies } = await replica();
      const slow = ctx();
      await policies.admit!(slow);
      clock.advance(15 * MINUTE);
      await policies.admit!(ctx()); // still in flight
      expect(await reserved()).toBeCloseTo(0.002, 9);
      policies.narrowReservation!(slow, {
        ...parseConfig(input(1)).config.deployments[0]!,
        prices: { inputPer1M: 0.1, outputPer1M: 0.2 },
      });
      policies.settle!(slow, { costUsd: 0.001, status: 200 });
      await settled();
      expect(await reserved()).toBeCloseTo(0.002, 9);
    },
  );
});
