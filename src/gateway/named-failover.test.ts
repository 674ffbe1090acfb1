// callWithFailover when its caller aborts mid-call: the caller's typed reason is what it throws
// (the router shutting down is recorded 503, not as a client that left), and an abort with no
// typed reason is the client's leaving (499). No failover either way. And the shutdown drain: a
// call still running at its deadline ends 503 `router_shutting_down`, none starts after it.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../config/deployment-schema.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderAdapter } from '../providers/types.js';
import { newRequestRecord } from '../store/request-record.js';
import { simDeployment } from '../../test/helpers/test-config.js';
import { CallDrain } from './call-drain.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { DeploymentLoad } from './deployment-load.js';
import { callWithFailover, type NamedFailoverDeps } from './named-failover.js';
import { PoolBalancer } from './pool-order.js';

const a = deploymentSchema.parse(simDeployment('a'));
const b = deploymentSchema.parse(simDeployment('b'));

/** Failover's dependencies on a manual clock, and a fresh record of a call to `endpoint`. */
function namedCall(endpoint: 'realtime' | 'embeddings', stream: boolean) {
  const clock = createManualClock();
  const load = new DeploymentLoad(clock);
  const deps: NamedFailoverDeps = {
    adapters: { adapterFor: () => ({}) as ProviderAdapter },
    clock,
    breakers: new CircuitBreakers(clock),
    load,
    pools: new PoolBalancer(load),
  };
  const record = newRequestRecord({
    time: clock.now(),
    requestId: 'req_1',
    endpoint,
    tenant: 't',
    keyId: 'k',
    stream,
    endUser: undefined,
    tags: [],
  });
  return { deps, record };
}

/** Calls a then b; each attempt aborts `controller` with `reason` and fails as a retryable 502. */
async function abortedWith(reason?: unknown) {
  const { deps, record } = namedCall('realtime', true);
  const controller = new AbortController();
  const called: string[] = [];
  const thrown = await callWithFailover(
    deps,
    { signal: controller.signal, requestId: 'req_1' },
    { target: { kind: 'deployment', deployment: a }, allowed: [a, b], sentEstimate: 0 },
    record,
    (d) => {
      called.push(d.name);
      controller.abort(reason);
      throw new GatewayError({ status: 502, type: 'server_error', message: 'x', retryable: true });
    },
  ).catch((err: unknown) => err);
  return { thrown, called, record };
}

describe('callWithFailover, aborted by its caller', () => {
  it("throws the caller's typed reason (a shutdown's 503), without failing over", async () => {
    const shutdown = new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'router_shutting_down',
      message: 'The router is shutting down.',
    });
    const { thrown, called, record } = await abortedWith(shutdown);
    expect(thrown).toBe(shutdown);
    expect(called).toEqual(['a']);
    // The call it stopped is on the record, as the shutdown's, not as a's failure.
    expect(record.attempts).toEqual([
      expect.objectContaining({
        deployment: 'a',
        outcome: 'aborted',
        httpStatus: 503,
        errorCode: 'router_shutting_down',
      }),
    ]);
  });

  it('throws 499 client_closed_request for an abort with no typed reason', async () => {
    const { thrown, called, record } = await abortedWith();
    expect(thrown).toMatchObject({ status: 499, code: 'client_closed_request' });
    expect(called).toEqual(['a']);
    expect(record.attempts).toEqual([
      expect.objectContaining({ deployment: 'a', outcome: 'aborted', httpStatus: 499 }),
    ]);
  });
});

describe('callWithFailover and the shutdown drain', () => {
  const setup = () => {
    const clock = createManualClock();
    const load = new DeploymentLoad(clock);
    const drain = new CallDrain();
    // One failure would open a circuit: the drain's stop must not count as one.
    const breakers = new CircuitBreakers(clock, {
      failureThreshold: 1,
      windowMs: 1000,
      openMs: 1000,
    });
    const deps: NamedFailoverDeps = {
      adapters: { adapterFor: () => ({}) as ProviderAdapter },
      clock,
      breakers,
      load,
      pools: new PoolBalancer(load),
      drain,
    };
    const record = newRequestRecord({
      time: clock.now(),
      requestId: 'req_1',
      endpoint: 'embeddings',
      tenant: 't',
      keyId: 'k',
      stream: false,
      endUser: undefined,
      tags: [],
    });
    const called: string[] = [];
    const run = (bodyFollows = false) =>
      callWithFailover(
        deps,
        { signal: new AbortController().signal, requestId: 'req_1' },
        {
          target: { kind: 'deployment', deployment: a },
          allowed: [a, b],
          sentEstimate: 0,
          bodyFollows,
        },
        record,
        (d, _adapter, signal) => {
          called.push(d.name);
          // A call that answers only when aborted, then as an adapter does: a retryable error.
          const aborted = () =>
            new GatewayError({
              status: 502,
              type: 'upstream_error',
              message: 'aborted',
              retryable: true,
            });
          if (signal.aborted) return Promise.reject(aborted());
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(aborted())),
          );
        },
      );
    return { deps, drain, breakers, record, called, run };
  };

  it('a call in flight at the deadline ends 503 router_shutting_down: no failover, no circuit', async () => {
    const { drain, breakers, record, called, run } = setup();
    const thrown = run().catch((err: unknown) => err);
    await Promise.resolve();
    expect(drain.size).toBe(1);
    expect(drain.stopAll()).toBe(1);
    expect(await thrown).toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(called).toEqual(['a']);
    expect(record.attempts).toMatchObject([
      { deployment: 'a', outcome: 'aborted', httpStatus: 503, errorCode: 'router_shutting_down' },
    ]);
    expect(breakers.state('a')).toBe('closed');
  });

  it('starts no call once the deadline has passed', async () => {
    const { drain, called, run } = setup();
    drain.stopAll();
    await expect(run()).rejects.toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(called).toEqual([]);
  });

  it('holds a call whose body follows (speech) until its release, under the drain', async () => {
    const { deps, drain, record } = setup();
    const serve = () =>
      callWithFailover(
        deps,
        { signal: new AbortController().signal, requestId: 'req_1' },
        {
          target: { kind: 'deployment', deployment: a },
          allowed: [a],
          sentEstimate: 0,
          bodyFollows: true,
        },
        record,
        async () => ({ served: 'audio', model: 'm' }),
      );
    const released = await serve();
    expect(drain.size).toBe(1);
    released.release();
    expect(drain.size).toBe(0);
    // One still reading its body at the deadline: its signal says the drain stopped it.
    const reading = await serve();
    expect(reading.signal.aborted).toBe(false);
    expect(drain.stopAll()).toBe(1);
    expect(reading.signal.reason).toMatchObject({ status: 503, code: 'router_shutting_down' });
  });
});

describe('callWithFailover when every member fails, in different ways', () => {
  const c = deploymentSchema.parse(simDeployment('c'));
  /** Calls a, b and c in turn, each failing with its status in `statuses`. */
  async function failingWith(statuses: number[]) {
    const { deps, record } = namedCall('embeddings', false);
    const members = [a, b, c];
    const thrown: unknown = await callWithFailover(
      deps,
      { signal: new AbortController().signal, requestId: 'req_1' },
      { target: { kind: 'deployment', deployment: a }, allowed: members, sentEstimate: 0 },
      record,
      (d) => {
        const status = statuses[members.indexOf(d)]!;
        throw new GatewayError({
          status,
          type: status === 429 ? 'rate_limit_error' : 'server_error',
          code: `upstream_${status}`,
          message: `${d.name} failed`,
          headers: status === 429 ? { 'retry-after': '7' } : {},
          retryable: true,
        });
      },
    ).catch((err: unknown) => err);
    expect(thrown).toBeInstanceOf(GatewayError);
    return thrown as GatewayError;
  }

  it('one only rate-limited: a 429 naming each failure, not the last error', async () => {
    const e = await failingWith([500, 429, 503]);
    expect(e.status).toBe(429);
    expect(e.message).toMatch(/a \(500 upstream_500\), b \(429 upstream_429\), c \(503/);
    expect(e.message).toMatch(/Only rate-limited: b/);
  });

  it('none rate-limited, statuses disagree: 502 all_deployments_failed', async () => {
    const e = await failingWith([500, 503, 500]);
    expect(e).toMatchObject({ status: 502, code: 'all_deployments_failed' });
  });

  it('all the same status: that error, as before', async () => {
    const e = await failingWith([503, 503, 503]);
    expect(e).toMatchObject({ status: 503, message: 'c failed' });
  });
});

describe('callWithFailover when no member can be called now', () => {
  it('behind open circuits: 503 with retry-after when the soonest lets a probe through', async () => {
    const { deps, record } = namedCall('embeddings', false);
    const clock = deps.clock as ReturnType<typeof createManualClock>;
    deps.breakers = new CircuitBreakers(clock, {
      failureThreshold: 1,
      windowMs: 1_000,
      openMs: 60_000,
    });
    deps.breakers.failure('a');
    clock.advance(20_000);
    deps.breakers.failure('b');
    clock.advance(10_000); // a opens again in 30 s, b in 50 s
    const called: string[] = [];
    const e = (await callWithFailover(
      deps,
      { signal: new AbortController().signal, requestId: 'req_1' },
      { target: { kind: 'deployment', deployment: a }, allowed: [a, b], sentEstimate: 0 },
      record,
      (d) => {
        called.push(d.name);
        return Promise.resolve({} as never);
      },
    ).catch((err: unknown) => err)) as GatewayError;
    expect(called).toEqual([]);
    expect(e).toMatchObject({ status: 503, code: 'no_healthy_deployment' });
    expect(e.headers).toMatchObject({ 'retry-after': '30', 'retry-after-ms': '30000' });
  });

  it('cooling down as their upstreams asked: 429 with the soonest wait, to the millisecond', async () => {
    const { deps, record } = namedCall('embeddings', false);
    deps.breakers.coolDownAsAsked('a', { 'retry-after-ms': '2500' });
    deps.breakers.coolDownAsAsked('b', { 'retry-after': '4' });
    const e = (await callWithFailover(
      deps,
      { signal: new AbortController().signal, requestId: 'req_1' },
      { target: { kind: 'deployment', deployment: a }, allowed: [a, b], sentEstimate: 0 },
      record,
      () => Promise.resolve({} as never),
    ).catch((err: unknown) => err)) as GatewayError;
    expect(e).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(e.headers).toMatchObject({ 'retry-after': '3', 'retry-after-ms': '2500' });
  });
});
