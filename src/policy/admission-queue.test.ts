// The rate-limit queue through admit(), on a real RateLimiter over the memory state. Time is a
// manual clock; the queue's sleep is injected and moves that clock, so no real time passes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createManualClock } from '../core/clock.js';
import type { GatewayError } from '../core/errors.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { AdmitContext } from '../gateway/gateway-types.js';
import { shuttingDownError } from '../gateway/call-drain.js';
import { MemoryState } from '../store/memory/memory-state.js';
import type { SharedState } from '../store/shared-state.js';
import { heldState, type HeldState } from '../../test/helpers/held-state.js';
import { AdmissionQueue, abortableSleep, requestedWaitMs, type Sleep } from './admission-queue.js';
import { BudgetTracker } from './budget.js';
import { createGovernancePolicies } from './governance-policies.js';
import { RateLimiter } from './rate-limit.js';
import { waitFor } from '../../test/helpers/wait-for.js';

// rpm 2: two requests at once, then one every 30 s (GCRA, 60 s window).
function setup(
  queue: Partial<{ maxWaitMs: number; maxWaiting: number }> = {},
  sleep?: Sleep,
  wrap: (state: SharedState) => SharedState = (state) => state,
) {
  const input: ConfigInput = {
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
    routers: [{ name: 'r', modelSubset: ['small'], rateLimit: { rpm: 2, tpm: 10_000 } }],
    budgets: { tenants: { broke: { dailyUsd: 1 } } },
    rateLimits: { queue: { maxWaitMs: 60_000, maxWaiting: 1000, ...queue } },
  };
  const config = parseConfig(input).config;
  const clock = createManualClock();
  const state = wrap(new MemoryState(clock));
  const holder = new ConfigHolder(compileConfig(config));
  const limiter = new RateLimiter({ state, clock });
  const budgets = new BudgetTracker({ state, clock, budgets: () => holder.current.config.budgets });
  const sleeps: number[] = [];
  const waits: number[] = [];
  const gauge: number[] = [];
  // By default a sleep is the clock moving on by exactly what was asked.
  const sleepFn: Sleep =
    sleep ??
    (async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    });
  const queueImpl = new AdmissionQueue({
    clock,
    sleep: (ms, signal) => {
      if (sleep) sleeps.push(ms);
      return sleepFn(ms, signal);
    },
    random: () => 0.5,
    metrics: {
      waiting: (router, delta) => gauge.push(delta),
      waited: (router, ms) => waits.push(ms),
    },
  });
  const policies = createGovernancePolicies({ config: holder, limiter, budgets, queue: queueImpl });
  const ctx = (
    headers: Record<string, string> = {},
    opts: { tenant?: string; signal?: AbortSignal; promptTokens?: number } = {},
  ): AdmitContext => ({
    promptTokens: opts.promptTokens ?? 10,
    target: { kind: 'router', router: holder.current.routers.get('r')! },
    call: {
      request: { model: 'r', messages: [] } as unknown as ChatRequest,
      endpoint: 'chat',
      auth: { tenant: opts.tenant ?? 'acme', admin: false, scopes: ['*'] },
      headers,
      signal: opts.signal ?? new AbortController().signal,
      requestId: 'req',
    },
  });
  const admit = (c: AdmitContext) => Promise.resolve(policies.admit!(c));
  const refusal = (c: AdmitContext) =>
    admit(c).then(
      () => {
        throw new Error('admitted, expected a refusal');
      },
      (err: unknown) => err as GatewayError,
    );
  return { admit, refusal, ctx, clock, sleeps, waits, gauge, budgets, queue: queueImpl };
}

const wait = (ms: number) => ({ 'x-router-max-wait-ms': String(ms) });

describe('rate-limit queue', () => {
  afterEach(() => vi.useRealTimers());

  it('admits after one wait of the retry-after plus jitter, and says how long it queued', async () => {
    const { admit, ctx, sleeps, waits, gauge, queue } = setup();
    await admit(ctx());
    await admit(ctx());
    const r = await admit(ctx(wait(40_000)));
    // Refused with retry-after 30 s; the jitter is JITTER_MS × random() = 2.5 ms.
    expect(sleeps).toEqual([30_002.5]);
    expect(r.headers!['x-router-queued-ms']).toBe('30003');
    expect(r.headers!['x-ratelimit-remaining-requests']).toBe('0');
    expect(gauge).toEqual([1, -1]);
    expect(waits).toEqual([30_002.5]);
    expect(queue.waiting).toBe(0);
  });

  it('a request admitted at once says nothing of queueing and never sleeps', async () => {
    const { admit, ctx, sleeps, gauge } = setup();
    const r = await admit(ctx(wait(40_000)));
    expect(r.headers!['x-router-queued-ms']).toBeUndefined();
    expect(sleeps).toEqual([]);
    expect(gauge).toEqual([]);
  });

  it('gives the 429 it would have had when its wait is spent', async () => {
    // Another request takes the freed slot while this one sleeps: the retry is refused again,
    // and the 30 s until the next slot no longer fit in what is left of its 40 s.
    let steal: (() => Promise<unknown>) | undefined;
    const t = setup({}, async (ms) => {
      t.clock.advance(ms);
      await steal?.();
    });
    await t.admit(t.ctx());
    await t.admit(t.ctx());
    steal = () => t.admit(t.ctx());
    const err = await t.refusal(t.ctx(wait(40_000)));
    steal = undefined;
    const plain = await t.refusal(t.ctx());
    expect(t.sleeps).toEqual([30_002.5]);
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toMatch(/^Rate limit reached for router r on requests per min \(RPM\)/);
    expect(err.headers['retry-after']).toBe('30');
    expect(err.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(err.headers['x-router-queued-ms']).toBeUndefined();
    // The same headers as a request that never asked to wait, refused at the same moment.
    expect(err.headers).toEqual(plain.headers);
    expect(t.queue.waiting).toBe(0);
  });

  it('honours a header lower than the config: a retry-after beyond it is refused at once', async () => {
    const { admit, refusal, ctx, sleeps } = setup({ maxWaitMs: 60_000 });
    await admit(ctx());
    await admit(ctx());
    const err = await refusal(ctx(wait(10_000)));
    expect(err.status).toBe(429);
    expect(err.headers['retry-after']).toBe('30');
    expect(sleeps).toEqual([]);
  });

  it('caps a header above the config at maxWaitMs', async () => {
    const { admit, refusal, ctx, sleeps } = setup({ maxWaitMs: 20_000 });
    await admit(ctx());
    await admit(ctx());
    expect((await refusal(ctx(wait(60_000)))).status).toBe(429);
    expect(sleeps).toEqual([]);
  });

  it('ignores the header when the queue is off (maxWaitMs 0), even a malformed one', async () => {
    const { admit, refusal, ctx, sleeps } = setup({ maxWaitMs: 0 });
    expect((await admit(ctx({ 'x-router-max-wait-ms': 'soon' }))).headers).toBeDefined();
    await admit(ctx());
    const err = await refusal(ctx(wait(60_000)));
    expect(err.status).toBe(429);
    expect(sleeps).toEqual([]);
  });

  it('refuses a malformed header with a 400 naming it when the queue is on', async () => {
    const { refusal, ctx } = setup();
    for (const bad of ['soon', '-1', '1.5', '']) {
      const err = await refusal(ctx({ 'x-router-max-wait-ms': bad }));
      expect(err.status).toBe(400);
      expect(err.param).toBe('x-router-max-wait-ms');
    }
    expect(requestedWaitMs({}, 5000)).toBe(0);
    expect(requestedWaitMs({ 'x-router-max-wait-ms': '0' }, 5000)).toBe(0);
    expect(requestedWaitMs({ 'x-router-max-wait-ms': '9000' }, 5000)).toBe(5000);
  });

  it('stops waiting at once when the client leaves: 499, the timer cleared', async () => {
    vi.useFakeTimers();
    const t = setup({}, abortableSleep);
    await t.admit(t.ctx());
    await t.admit(t.ctx());
    const timersBefore = vi.getTimerCount();
    const client = new AbortController();
    const pending = t.refusal(t.ctx(wait(40_000), { signal: client.signal }));
    await waitFor(() => expect(t.queue.waiting).toBe(1));
    expect(vi.getTimerCount()).toBe(timersBefore + 1);
    client.abort();
    const err = await pending;
    expect(err.status).toBe(499);
    expect(err.code).toBe('client_closed_request');
    expect(vi.getTimerCount()).toBe(timersBefore);
    expect(t.queue.waiting).toBe(0);
    expect(t.gauge).toEqual([1, -1]);
    // Nothing was charged for it: the slot that frees up in 30 s is there for the next request.
    t.clock.advance(30_000);
    expect((await t.admit(t.ctx())).headers!['x-ratelimit-remaining-requests']).toBe('0');
  });

  it('a shutdown answers every waiter at once with its 503, never trying admission again', async () => {
    vi.useFakeTimers();
    const t = setup({}, abortableSleep);
    await t.admit(t.ctx());
    await t.admit(t.ctx());
    const timersBefore = vi.getTimerCount();
    const waiters = [t.refusal(t.ctx(wait(40_000))), t.refusal(t.ctx(wait(40_000)))];
    await waitFor(() => expect(t.queue.waiting).toBe(2));
    expect(t.queue.stop(shuttingDownError)).toBe(2);
    const errors = await Promise.all(waiters);
    for (const err of errors)
      expect(err).toMatchObject({ status: 503, code: 'router_shutting_down' });
    // One error each: the gateway adds a request's own headers to the error it is given.
    expect(errors[0]).not.toBe(errors[1]);
    expect(vi.getTimerCount()).toBe(timersBefore);
    expect(t.queue.waiting).toBe(0);
    expect(t.gauge).toEqual([1, 1, -1, -1]);
    // Not admitted after all: the slot that frees up in 30 s was not taken by a waiter.
    t.clock.advance(30_000);
    const next = await t.admit(t.ctx());
    expect(next.headers!['x-ratelimit-remaining-requests']).toBe('0');
    // A request refused once the queue stopped gets the 503 at once instead of waiting.
    const late = await t.refusal(t.ctx(wait(40_000)));
    expect(late).toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(t.queue.waiting).toBe(0);
    // One that may not wait still gets its 429.
    expect((await t.refusal(t.ctx())).status).toBe(429);
  });

  it('a drain that starts while a waiter re-checks admission wins: the 503, the slot given back', async () => {
    let held!: HeldState;
    const t = setup({}, undefined, (state) => (held = heldState(state)).state);
    await t.admit(t.ctx());
    await t.admit(t.ctx());
    // The waiter is refused (retry-after 30 s), sleeps, and re-checks: that round trip is held.
    const inFlight = held.holdNext().then(async (first) => {
      first.release(); // the first check, refused
      return held.holdNext();
    });
    const waiter = t.refusal(t.ctx(wait(40_000)));
    const recheck = await inFlight;
    expect(recheck.keys).toEqual([
      'rl:router:r:rpm',
      'rl:router:r:tpm',
      'rl:tenant:acme/r:rpm',
      'rl:tenant:acme/r:tpm',
    ]);
    expect(t.sleeps).toEqual([30_002.5]);
    // The drain starts now; the round trip then comes back with the slot that freed up.
    expect(t.queue.stop(shuttingDownError)).toBe(1);
    recheck.release();
    expect(await waiter).toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(t.queue.waiting).toBe(0);
    // The slot the re-check took was given back: the next request has it.
    const next = await t.admit(t.ctx());
    expect(next.headers!['x-ratelimit-remaining-requests']).toBe('0');
  });

  it('the default sleep resolves after its time and leaves no timer or listener behind', async () => {
    vi.useFakeTimers();
    const signal = new AbortController().signal;
    let done = false;
    const p = abortableSleep(100, signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the default sleep never ends early, when the timer fires before its time has passed', async () => {
    vi.useFakeTimers();
    // The clock the sleep measures by lags the timers by 3 ms, as a busy event loop's cached
    // time makes a real timer fire a few ms before a cooldown's end.
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      let done = false;
      const p = abortableSleep(100, new AbortController().signal).then(() => (done = true));
      now = 97;
      await vi.advanceTimersByTimeAsync(100);
      expect(done).toBe(false);
      now = 100;
      await vi.advanceTimersByTimeAsync(3);
      await p;
      expect(done).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      clock.mockRestore();
    }
  });

  it('refuses at once past maxWaiting waiters on the replica', async () => {
    let release: (() => void) | undefined;
    // The first waiter's time passes only when the test releases it.
    const t = setup(
      { maxWaiting: 1 },
      (ms) =>
        new Promise<void>(
          (resolve) =>
            (release = () => {
              t.clock.advance(ms);
              resolve();
            }),
        ),
    );
    await t.admit(t.ctx());
    await t.admit(t.ctx());
    const first = t.admit(t.ctx(wait(40_000)));
    await waitFor(() => expect(t.queue.waiting).toBe(1));
    const err = await t.refusal(t.ctx(wait(40_000)));
    expect(err.status).toBe(429);
    expect(t.sleeps).toHaveLength(1);
    release!();
    expect((await first).headers!['x-router-queued-ms']).toBe('30003');
  });

  it('never waits for a budget that is spent', async () => {
    const { refusal, ctx, sleeps, budgets } = setup();
    await budgets.recordSpend({ tenant: 'broke' }, 2);
    const err = await refusal(ctx(wait(60_000), { tenant: 'broke' }));
    expect(err.status).toBe(429);
    expect(err.code).toBe('budget_exceeded');
    expect(sleeps).toEqual([]);
  });

  it('never waits for a request larger than the limit itself', async () => {
    const { refusal, ctx, sleeps } = setup();
    const err = await refusal(ctx(wait(60_000), { promptTokens: 20_000 }));
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/^Request too large for router r on tokens per min/);
    expect(sleeps).toEqual([]);
  });
});

describe('patience: what is left of the wait after admission', () => {
  const refusal = (retryAfterMs: number) => ({ error: new Error('busy'), retryAfterMs });

  it('counts the waits, not the retries (a round of upstream calls), however each ends', async () => {
    const clock = createManualClock();
    const queue = new AdmissionQueue({
      clock,
      sleep: async (ms) => clock.advance(ms),
      random: () => 0,
    });
    const terms = { maxWaitMs: 10_000, maxWaiting: 10, signal: new AbortController().signal };
    // Admission waited 100 ms.
    const patience = queue.patience({ ...terms, router: 'r' }, 100);
    // Waits 1 s, a retry that takes 2 s and is refused, 0.5 s, a retry that takes 2 s and serves.
    let retries = 0;
    const served = await patience.wait(
      refusal(1000),
      async () => {
        clock.advance(2000);
        if (++retries < 2) throw new Error('still busy');
        return 'served';
      },
      () => refusal(500),
    );
    expect(served).toBe('served');
    expect(patience.queuedMs).toBe(100 + 1000 + 500);
    // A wait that ends in a refusal counted as well.
    const last = patience.wait(
      refusal(300),
      async () => {
        clock.advance(50);
        throw new Error('refused again');
      },
      () => undefined,
    );
    await expect(last).rejects.toThrow('refused again');
    expect(patience.queuedMs).toBe(1600 + 300);
    // Refused at once (too long to wait): no wait, nothing counted.
    await expect(
      patience.wait(
        refusal(60_000),
        async () => 'never',
        () => undefined,
      ),
    ).rejects.toThrow('busy');
    expect(patience.queuedMs).toBe(1900);
  });

  it('a shutdown during a wait for headroom ends it with the 503: the round is never called', async () => {
    const clock = createManualClock();
    const queue = new AdmissionQueue({
      clock,
      // The replica shuts down while the request sleeps; the sleep ends when its signal aborts.
      sleep: (_ms, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => resolve(), { once: true });
          queue.stop(shuttingDownError);
        }),
      random: () => 0,
    });
    const terms = { maxWaitMs: 10_000, maxWaiting: 10, signal: new AbortController().signal };
    const patience = queue.patience({ ...terms, router: 'r' }, 0);
    let rounds = 0;
    const waited = patience.wait(
      refusal(1000),
      async () => {
        rounds++;
        return 'sent upstream';
      },
      () => refusal(1000),
    );
    await expect(waited).rejects.toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(rounds).toBe(0);
  });
});
