// Waiting for a deployment with headroom, through the real gateways, governance policies,
// RateLimiter (memory state) and circuit breakers. Time is a manual clock; the queue's sleep is
// injected and moves it, so no real time passes. Pools of two deployments at rpm 1 each: two
// requests take both slots, and the next frees up 60 s after the first was taken.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyAuthContext } from '../auth/authenticate.js';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ChatRequest } from '../core/wire-types.js';
import { AdmissionQueue, abortableSleep, type Sleep } from '../policy/admission-queue.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';
import { RateLimiter } from '../policy/rate-limit.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../providers/types.js';
import { createCheapestCapableRouter } from '../routing/cheapest-capable-router.js';
import { DecisionStore } from '../routing/receipt.js';
import { MemoryState } from '../store/memory/memory-state.js';
import type { SharedState } from '../store/shared-state.js';
import { shuttingDownError } from './call-drain.js';
import { heldState, type HeldState } from '../../test/helpers/held-state.js';
import type { RequestRecord } from '../store/request-record.js';
import { fakeAdapter, type FakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { simDeployment, simEmbeddingDeployment } from '../../test/helpers/test-config.js';
import { ChatGateway } from './chat-gateway.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { EmbeddingsGateway } from './embeddings-gateway.js';
import type { AuthContext, ChatCall } from './gateway-types.js';
import { createMemoryAffinityStore } from './session-affinity.js';
import { HEADROOM_POLL_MS, headroomWait, NoHeadroom } from './wait-for-headroom.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const SEC = 1000;

function setup(
  opts: {
    sleep?: Sleep;
    scripts?: Record<string, Step[]>;
    wrap?: (state: SharedState) => SharedState;
  } = {},
) {
  const input: ConfigInput = {
    deployments: [
      simDeployment('a', { rateLimit: { rpm: 1 } }),
      simDeployment('b', { rateLimit: { rpm: 1 } }),
      simDeployment('c1'),
      simDeployment('c2'),
      simEmbeddingDeployment('ea', { rateLimit: { rpm: 1 }, simulation: { dimensions: 8 } }),
      simEmbeddingDeployment('eb', { rateLimit: { rpm: 1 }, simulation: { dimensions: 8 } }),
    ],
    routers: [
      { name: 'r', modelSubset: ['a', 'b'], rateLimit: { rpm: 1000 } },
      { name: 'cool-router', modelSubset: ['c1', 'c2'] },
    ],
    pools: [
      { name: 'gpt-pool', deployments: ['a', 'b'], strategy: 'priority' },
      { name: 'cool-pool', deployments: ['c1', 'c2'], strategy: 'priority' },
      { name: 'embed-pool', deployments: ['ea', 'eb'], strategy: 'priority' },
    ],
    rateLimits: { queue: { maxWaitMs: 60_000, maxWaiting: 100 } },
    requestLog: { kind: 'none' },
  };
  const config = parseConfig(input, {}).config;
  const clock = createManualClock();
  const holder = new ConfigHolder(compileConfig(config));
  const state = new MemoryState(clock);
  const limiter = new RateLimiter({ state: opts.wrap ? opts.wrap(state) : state, clock });
  const sleeps: number[] = [];
  const gauge: number[] = [];
  const waits: number[] = [];
  const queue = new AdmissionQueue({
    clock,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      if (opts.sleep) return opts.sleep(ms, signal);
      clock.advance(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    metrics: { waiting: (_, d) => gauge.push(d), waited: (_, ms) => waits.push(ms) },
  });
  const policies = createGovernancePolicies({ config: holder, limiter, queue });
  const breakers = new CircuitBreakers(clock);
  const adapters: Record<string, ProviderAdapter> = Object.fromEntries(
    config.deployments.map((d) => [
      d.name,
      d.kind === 'embeddings'
        ? createSimulatedAdapter(d)
        : fakeAdapter(`${d.name}-model`, opts.scripts?.[d.name] ?? [{ reply: 'ok' }]),
    ]),
  );
  const records: RequestRecord[] = [];
  const deps = {
    config: holder,
    adapters: { adapterFor: (d: { name: string }) => adapters[d.name]! },
    clock,
    breakers,
    recorder: { record: (r: RequestRecord) => void records.push(r) },
    policies,
  };
  const chat = new ChatGateway({
    ...deps,
    routerFor: () => createCheapestCapableRouter(),
    decisions: new DecisionStore(),
    affinity: createMemoryAffinityStore(),
  });
  const embeddings = new EmbeddingsGateway(deps);
  const call = (
    model: string,
    headers: Record<string, string> = {},
    signal = new AbortController().signal,
    auth: AuthContext = { tenant: 't', admin: false, scopes: ['*'] },
  ): ChatCall => ({
    request: { model, messages: [{ role: 'user', content: 'hi' }] } as ChatRequest,
    endpoint: 'chat',
    auth,
    headers,
    signal,
    requestId: 'req',
  });
  const send = (model: string, headers?: Record<string, string>, signal?: AbortSignal) =>
    chat.handleChat(call(model, headers, signal));
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('served, expected a refusal');
      },
      (err: unknown) => err as GatewayError,
    );
  const embed = (headers: Record<string, string> = {}) =>
    embeddings.handle({
      request: { model: 'embed-pool', input: ['hello'] },
      auth: { tenant: 't', admin: false, scopes: ['*'] },
      headers,
      signal: new AbortController().signal,
      requestId: 'req',
    });
  return {
    clock,
    sleeps,
    gauge,
    waits,
    queue,
    breakers,
    adapters,
    records,
    chat,
    call,
    send,
    embed,
    refusal,
    limiter,
    state,
    holder,
  };
}

const patience = (ms: number) => ({ 'x-router-max-wait-ms': String(ms) });

/** Takes both of gpt-pool's slots: `a` at the start, `b` 10 s later (so `a` frees up first). */
async function fillPool(t: ReturnType<typeof setup>) {
  expect((await t.send('gpt-pool')).headers['x-router-deployment']).toBe('a');
  t.clock.advance(10 * SEC);
  expect((await t.send('gpt-pool')).headers['x-router-deployment']).toBe('b');
}

describe('waiting for a deployment with headroom', () => {
  afterEach(() => vi.useRealTimers());

  it('waits until the first member frees up (its TAT, not a poll), then routes and serves', async () => {
    const t = setup();
    await fillPool(t);
    const served = await t.send('gpt-pool', patience(60_000));
    // `a` frees up 60 s after it was taken, 50 s from now; the jitter is 5 ms × 0.5.
    expect(t.sleeps).toEqual([50_002.5]);
    expect(served.headers['x-router-deployment']).toBe('a');
    expect(served.headers['x-router-queued-ms']).toBe('50003');
    expect(t.gauge).toEqual([1, -1]);
    expect(t.waits).toEqual([50_002.5]);
    expect(t.queue.waiting).toBe(0);
    expect(t.records.at(-1)).toMatchObject({ status: 200, deployment: 'a', queuedMs: 50_003 });
    // Refused at planning in round 1 (no call): the one attempt is round 2's, after the wait.
    expect(t.records.at(-1)?.attempts).toEqual([
      {
        deployment: 'a',
        model: 'a-model',
        outcome: 'ok',
        latencyMs: 0,
        round: 2,
        waitedMs: 50_003,
      },
    ]);
    expect(served.headers['x-router-attempts']).toBe('1');
  });

  it('without the header: the 429 at once, as before, and no sleep', async () => {
    const t = setup();
    await fillPool(t);
    const err = await t.refusal(t.send('gpt-pool'));
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toMatch(/^No deployment of "gpt-pool" has rate-limit headroom/);
    // When the first member frees up: a took its slot 10 s before b, and rpm 1 frees it at 60 s.
    expect(err.headers['retry-after']).toBe('50');
    expect(err.headers['retry-after-ms']).toBe('50000');
    expect(t.sleeps).toEqual([]);
    expect(t.gauge).toEqual([]);
  });

  it('a wait shorter than the headroom: the same 429 at once, headers and all', async () => {
    const t = setup();
    await fillPool(t);
    const plain = await t.refusal(t.send('gpt-pool'));
    const err = await t.refusal(t.send('gpt-pool', patience(49_000)));
    expect(err.status).toBe(429);
    expect(err.message).toBe(plain.message);
    expect(err.headers).toEqual(plain.headers);
    expect(err.headers['x-router-queued-ms']).toBeUndefined();
    expect(t.sleeps).toEqual([]);
  });

  it('a router whose every model is out of headroom waits the same way', async () => {
    const t = setup();
    await t.send('r');
    t.clock.advance(10 * SEC);
    await t.send('r');
    const served = await t.send('r', patience(60_000));
    expect(t.sleeps).toHaveLength(1);
    expect(t.sleeps[0]).toBeCloseTo(50_002.5, 0);
    expect(served.headers['x-router-decision-id']).toMatch(/^dec_/);
    expect(served.headers['x-router-queued-ms']).toBe(String(Math.ceil(t.sleeps[0]!)));
  });

  it('what admission waited counts against the wait: the rest may be too short', async () => {
    // A key of rpm 2 refuses the third request until 20 s from now; a frees 30 s after that.
    const key: KeyAuthContext = {
      tenant: 't',
      admin: false,
      scopes: ['*'],
      keyId: 'k',
      overrides: { rateLimit: { rpm: 2 } },
    };
    const t = setup();
    const send = (h?: Record<string, string>) =>
      t.chat.handleChat(t.call('gpt-pool', h, undefined, key));
    await send();
    t.clock.advance(10 * SEC);
    await send();
    const err = await t.refusal(send(patience(45_000)));
    // Admitted after 20 s; then 30 s to a's headroom does not fit in the 25 s left.
    expect(t.sleeps).toEqual([20_002.5]);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toMatch(/has rate-limit headroom/);

    const t2 = setup();
    const send2 = (h?: Record<string, string>) =>
      t2.chat.handleChat(t2.call('gpt-pool', h, undefined, key));
    await send2();
    t2.clock.advance(10 * SEC);
    await send2();
    const served = await send2(patience(60_000));
    expect(t2.sleeps).toEqual([20_002.5, 29_998 + 2.5]);
    // Both waits, each rounded up to the ms; the record counts both, the attempt its round's.
    expect(served.headers['x-router-queued-ms']).toBe(String(20_003 + 30_001));
    expect(t2.records.at(-1)?.queuedMs).toBe(20_003 + 30_001);
    expect(t2.records.at(-1)?.attempts).toMatchObject([{ round: 2, waitedMs: 30_001 }]);
    expect(t2.gauge).toEqual([1, -1, 1, -1]);
  });

  it('stops waiting when the client leaves: 499, the timer cleared', async () => {
    vi.useFakeTimers();
    const t = setup({ sleep: abortableSleep });
    await fillPool(t);
    const timersBefore = vi.getTimerCount();
    const client = new AbortController();
    const pending = t.refusal(t.send('gpt-pool', patience(60_000), client.signal));
    await waitFor(() => expect(t.queue.waiting).toBe(1));
    expect(vi.getTimerCount()).toBe(timersBefore + 1);
    client.abort();
    const err = await pending;
    expect(err.status).toBe(499);
    expect(err.code).toBe('client_closed_request');
    expect(vi.getTimerCount()).toBe(timersBefore);
    expect(t.queue.waiting).toBe(0);
    expect(t.gauge).toEqual([1, -1]);
    expect(t.records.at(-1)?.status).toBe(499);
  });

  it('waits out an upstream 429 cool-down (retry-after) once every member refused when called', async () => {
    const t = setup({
      scripts: {
        c1: [{ error: { status: 429, headers: { 'retry-after': '5' } } }, { reply: 'ok' }],
        c2: [{ error: { status: 429, headers: { 'retry-after-ms': '8000' } } }, { reply: 'ok' }],
      },
    });
    const served = await t.send('cool-pool', patience(10_000));
    // c1's cool-down ends first, in 5 s: re-planned then, c1 serves (c2 still cools).
    expect(t.sleeps).toEqual([5_002.5]);
    expect(served.headers['x-router-deployment']).toBe('c1');
    expect(served.headers['x-router-queued-ms']).toBe('5003');
    expect(t.breakers.coolingDown('c2')).toBe(true);
  });

  it('keeps every round: refused by upstream 429s in round 1, served in round 2 (record, receipt, header)', async () => {
    const t = setup({
      scripts: {
        c1: [{ error: { status: 429, headers: { 'retry-after': '5' } } }, { reply: 'ok' }],
        c2: [{ error: { status: 429, headers: { 'retry-after-ms': '8000' } } }, { reply: 'ok' }],
      },
    });
    const served = await t.send('cool-router', patience(10_000));
    expect(t.sleeps).toEqual([5_002.5]);
    expect(served.headers['x-router-deployment']).toBe('c1');
    const refused = (deployment: string) => ({
      deployment,
      model: `${deployment}-sim`,
      outcome: 'error',
      httpStatus: 429,
      errorCode: 'upstream_429',
      errorMessage: 'fake upstream 429',
      latencyMs: 0,
      round: 1,
    });
    // Round 1 called both (cheapest first: equal prices, in the subset's order); after 5 s only
    // c1 had cooled down, and served.
    const attempts = [
      refused('c1'),
      refused('c2'),
      {
        deployment: 'c1',
        model: 'c1-model',
        outcome: 'ok',
        latencyMs: 0,
        round: 2,
        waitedMs: 5_003,
      },
    ];
    const record = t.records.at(-1)!;
    expect(record.attempts).toEqual(attempts);
    expect(served.headers['x-router-attempts']).toBe('3');
    expect(record).toMatchObject({ status: 200, deployment: 'c1', queuedMs: 5_003 });
    expect(served.headers['x-router-queued-ms']).toBe('5003');
    // The receipt of the decision that served (round 2's) lists both rounds too.
    const receipt = t.chat.receipt(served.headers['x-router-decision-id']!);
    expect(receipt?.attempts).toEqual(attempts);
    expect(receipt?.servedBy).toBe('c1');
    expect(record.decisionId).toBe(receipt?.id);
  });

  it('waited and refused again: the 429, with every round and the wait in the record', async () => {
    const t = setup({
      scripts: {
        c1: [
          { error: { status: 429, headers: { 'retry-after': '5' } } },
          { error: { status: 429, headers: { 'retry-after': '30' } } },
        ],
        c2: [{ error: { status: 429, headers: { 'retry-after': '8' } } }],
      },
    });
    const err = await t.refusal(t.send('cool-pool', patience(10_000)));
    // c1 refused again after the 5 s wait, for 30 s: more than the 5 s left.
    expect(err.status).toBe(429);
    expect(t.sleeps).toEqual([5_002.5]);
    const record = t.records.at(-1)!;
    expect(record).toMatchObject({ status: 429, queuedMs: 5_003 });
    expect(record.attempts.map((a) => [a.deployment, a.outcome, a.round, a.waitedMs])).toEqual([
      ['c1', 'error', 1, undefined],
      ['c2', 'error', 1, undefined],
      ['c1', 'error', 2, 5_003],
    ]);
    // The client's error lists the same attempts.
    expect(err.details?.attempts).toEqual(record.attempts);
  });

  it('an upstream 429 that says nothing: looks again after 250 ms, then twice as long', async () => {
    const bare: Step = { error: { status: 429 } };
    const t = setup({ scripts: { c1: [bare, bare, { reply: 'ok' }], c2: [bare, bare, bare] } });
    const served = await t.send('cool-pool', patience(10_000));
    expect(t.sleeps).toEqual([252.5, 502.5]);
    expect(served.headers['x-router-deployment']).toBe('c1');
    expect(served.headers['x-router-queued-ms']).toBe('755');
  });

  it('a cool-down longer than the wait: the 429 of the failed attempts, without waiting', async () => {
    const t = setup({
      scripts: {
        c1: [{ error: { status: 429, headers: { 'retry-after': '30' } } }],
        c2: [{ error: { status: 429, headers: { 'retry-after': '30' } } }],
      },
    });
    const err = await t.refusal(t.send('cool-pool', patience(10_000)));
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/^All 2 attempts failed/);
    expect(t.sleeps).toEqual([]);
  });

  it('a member another replica filled is refused when called; the wait re-plans', async () => {
    // Another replica (its own limiter, the same shared state) takes both slots: this replica's
    // eligibility still sees headroom, and learns otherwise only when each charge is refused.
    const t = setup();
    const other = new RateLimiter({ state: t.state, clock: t.clock });
    const [a, b] = ['a', 'b'].map((n) => t.holder.current.deployments.get(n)!);
    await other.consumeDeployment(a!, 0);
    t.clock.advance(10 * SEC);
    await other.consumeDeployment(b!, 0);
    const served = await t.send('gpt-pool', patience(60_000));
    expect(t.sleeps).toEqual([50_002.5]);
    expect(served.headers['x-router-deployment']).toBe('a');
  });

  it('embeddings: a pool whose members refuse when called waits for the first to free up', async () => {
    const t = setup();
    await t.embed();
    t.clock.advance(10 * SEC);
    await t.embed();
    const plain = await t.refusal(t.embed());
    expect(plain.status).toBe(429);
    expect(plain.code).toBe('deployment_rate_limited');
    expect(t.sleeps).toEqual([]);
    const served = await t.embed(patience(60_000));
    expect(t.sleeps).toEqual([50_002.5]);
    expect(served.headers['x-router-deployment']).toBe('ea');
    expect(served.headers['x-router-queued-ms']).toBe('50003');
    expect(served.response.data).toHaveLength(1);
    // Both members refused when called in round 1; ea served in round 2, 50 s on.
    const record = t.records.at(-1)!;
    expect(record).toMatchObject({ status: 200, queuedMs: 50_003 });
    expect(record.attempts.map((a) => [a.deployment, a.httpStatus, a.round, a.waitedMs])).toEqual([
      ['ea', 429, 1, undefined],
      ['eb', 429, 1, undefined],
      ['ea', undefined, 2, 50_003],
    ]);
    expect(served.headers['x-router-attempts']).toBe('3');
    // Too little patience: the same 429 as without it.
    const short = await t.refusal(t.embed(patience(1_000)));
    expect(short.status).toBe(429);
    expect(short.message).toMatch(/^Rate limit reached for deployment eb/);
  });

  it('a drain that starts while a waiter is charged for its next round wins: the 503, nothing sent', async () => {
    let held!: HeldState;
    const t = setup({ wrap: (state) => (held = heldState(state)).state });
    await fillPool(t);
    const sent = (t.adapters.a as FakeAdapter).calls.length;
    // Round 1 is refused at planning (no round trip); round 2's charge of `a` is held.
    const charge = held.holdNext();
    const waiter = t.refusal(t.send('gpt-pool', patience(60_000)));
    const { keys, release } = await charge;
    expect(keys).toEqual(['rl:deployment:a:rpm']);
    expect(t.sleeps).toEqual([50_002.5]);
    t.queue.stop(shuttingDownError);
    release();
    expect(await waiter).toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect((t.adapters.a as FakeAdapter).calls.length).toBe(sent);
    expect(t.queue.waiting).toBe(0);
    // The slot the charge took was given back: a request that does not wait has it.
    expect((await t.send('gpt-pool')).headers['x-router-deployment']).toBe('a');
  });

  it('embeddings: the same, through the named calls: the 503, the member never called', async () => {
    let held!: HeldState;
    const t = setup({ wrap: (state) => (held = heldState(state)).state });
    const ea = t.adapters.ea!;
    let called = 0;
    const embed = ea.embed!.bind(ea);
    ea.embed = (req) => {
      called++;
      return embed(req);
    };
    await t.embed();
    t.clock.advance(10 * SEC);
    await t.embed();
    // Round 1 calls both members (refused when charged); round 2's charge of ea is held.
    const charge = held.holdNext().then(async (first) => {
      first.release();
      const second = await held.holdNext();
      second.release();
      return held.holdNext();
    });
    const waiter = t.refusal(t.embed(patience(60_000)));
    const { keys, release } = await charge;
    expect(keys).toEqual(['rl:deployment:ea:rpm']);
    t.queue.stop(shuttingDownError);
    release();
    expect(await waiter).toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(called).toBe(1);
  });

  it('embeddings: waits out members cooling down after an upstream 429', async () => {
    const t = setup();
    t.breakers.coolDownAsAsked('ea', { 'retry-after': '3' });
    t.breakers.coolDownAsAsked('eb', { 'retry-after': '7' });
    const err = await t.refusal(t.embed());
    expect(err.message).toMatch(/asked to wait/);
    const served = await t.embed(patience(5_000));
    expect(t.sleeps).toEqual([3_002.5]);
    expect(served.headers['x-router-deployment']).toBe('ea');
  });
});

describe('headroomWait', () => {
  it('skips open circuits and requests beyond a TPM; polls a bare upstream 429', () => {
    const t = setup();
    const deployments = t.holder.current.deployments;
    const probes = { clock: t.clock, breakers: t.breakers, deployments, tokens: 10 };
    const refused = (names: string[], atCall: boolean) =>
      new NoHeadroom(
        new GatewayError({ status: 429, type: 'rate_limit_error', message: 'busy' }),
        names,
        atCall,
      );
    // Refused when called, with nothing that says until when: poll.
    expect(headroomWait(refused(['c1'], true), probes)?.retryAfterMs).toBe(HEADROOM_POLL_MS);
    // Excluded at planning but free by now: at once.
    expect(headroomWait(refused(['c1'], false), probes)?.retryAfterMs).toBe(0);
    for (let i = 0; i < 5; i++) t.breakers.failure('c1');
    expect(headroomWait(refused(['c1'], true), probes)).toBeUndefined();
    const tpm = { ...probes, policies: { headroomInMs: () => undefined } };
    expect(headroomWait(refused(['c2'], true), tpm)).toBeUndefined();
    expect(headroomWait(new Error('other'), probes)).toBeUndefined();
  });
});
