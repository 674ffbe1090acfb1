// Streams after their first byte (STYLE.md principle 7): an upstream that stalls or fails mid-way
// ends the stream with an in-band error, is logged with the tokens the client got, and counts
// against the deployment's circuit; a shutdown's drain deadline stops what is still running.
import { describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import { createManualClock } from '../core/clock.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { executeWithFailover } from './execute-with-failover.js';
import type { ChatCall } from './gateway-types.js';

/** `small` alone (priced 0.1 / 0.4 per 1M), with an idle deadline short enough for a test. */
function config(streamIdleTimeoutMs = 60_000) {
  return testConfig({
    deployments: [
      simDeployment('small', {
        prices: { inputPer1M: 0.1, outputPer1M: 0.4 },
        streamIdleTimeoutMs,
      }),
      simDeployment('mid', { prices: { inputPer1M: 1, outputPer1M: 4 } }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['small', 'mid'] }],
  });
}

const streamBody = (model = 'small') => ({
  model,
  stream: true,
  messages: [{ role: 'user', content: 'Hello there' }],
});

/** Data payloads of an SSE body (test-side reading only). */
function sseData(payload: string): string[] {
  return payload
    .split('\n\n')
    .filter((b) => b.startsWith('data: '))
    .map((b) => b.slice(6));
}

/** The text the client got and the in-band error's code, if any. */
function read(payload: string): { text: string; errorCode?: string } {
  let text = '';
  let errorCode: string | undefined;
  for (const d of sseData(payload)) {
    if (d === '[DONE]') continue;
    const j = JSON.parse(d) as {
      error?: { code: string };
      choices?: { delta?: { content?: string } }[];
    };
    if (j.error) errorCode = j.error.code;
    for (const c of j.choices ?? []) text += c.delta?.content ?? '';
  }
  return { text, errorCode };
}

async function stream(t: TestApp, model = 'small') {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: streamBody(model),
  });
  return { res, ...read(res.payload) };
}

async function app(small: Step[], streamIdleTimeoutMs?: number, breakerThreshold = 5) {
  const adapter = fakeAdapter('small', small);
  const t = await buildTestApp(
    config(streamIdleTimeoutMs),
    { small: adapter, mid: fakeAdapter('mid', [{ reply: 'from mid' }]) },
    { breaker: { failureThreshold: breakerThreshold, windowMs: 30_000, openMs: 15_000 } },
  );
  return { t, adapter };
}

describe('a stream whose upstream stalls after the first chunk', () => {
  it('ends with an in-band stream_idle_timeout, logged 504 with the tokens the client got', async () => {
    const { t } = await app([{ chunks: ['Hello', ' there', ' friend'], stallAfter: 2 }], 30);
    const { res, text, errorCode } = await stream(t);
    expect(res.statusCode).toBe(200);
    expect(text).toBe('Hello there');
    expect(errorCode).toBe('stream_idle_timeout');
    const record = t.records[0]!;
    expect(record).toMatchObject({ status: 504, errorCode: 'stream_idle_timeout' });
    // 11 characters reached the client: ≈3 tokens, paid for though the upstream sent no usage.
    expect(record.completionTokens).toBe(3);
    expect(record.costUsd).toBeCloseTo((record.promptTokens * 0.1 + 3 * 0.4) / 1e6, 15);
    // It counts against the circuit (one failure of five).
    expect(t.breakers.state('small')).toBe('closed');
  }, 10_000);
});

describe('failures after the first byte and the circuit', () => {
  it('opens the circuit after five streams that fail mid-way, as five failures before it would', async () => {
    const { t, adapter } = await app([{ chunks: ['a', 'b', 'c'], failAfter: 1 }]);
    for (let i = 0; i < 5; i++) {
      const { errorCode } = await stream(t);
      expect(errorCode).toBe('upstream_dropped');
    }
    expect(t.breakers.state('small')).toBe('open');
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: streamBody(),
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('no_healthy_deployment');
    expect(adapter.calls).toHaveLength(5);
  });

  it('hears of a stream that ran to its end as a success, which clears the failures', async () => {
    const fail = { chunks: ['a', 'b'], failAfter: 1 };
    const { t } = await app([fail, { chunks: ['a', 'b'] }, fail, fail], undefined, 2);
    await stream(t);
    await stream(t);
    await stream(t);
    expect(t.breakers.state('small')).toBe('closed');
    await stream(t);
    expect(t.breakers.state('small')).toBe('open');
  });

  it('is not told of a stream the shutdown drain stopped, which ends in-band and is logged 503', async () => {
    const { t, adapter } = await app([{ chunks: ['Hi', ' you'], stallAfter: 1 }], 60_000, 1);
    const pending = stream(t);
    // The first chunk is out and the upstream has gone quiet: the drain deadline passes.
    while (adapter.calls.length === 0) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    expect(t.gateway.drain.stopAll()).toBe(1);
    const { text, errorCode } = await pending;
    expect(text).toBe('Hi');
    expect(errorCode).toBe('router_shutting_down');
    expect(t.records[0]).toMatchObject({ status: 503, errorCode: 'router_shutting_down' });
    expect(t.records[0]!.completionTokens).toBe(1);
    // Stopped, not dropped by the upstream (ops audit F1, 2026-12-06: it read stream_dropped),
    // and so `aborted` with the drain's 503, as a call stopped before its first chunk is (fault
    // audit F8: it kept the `ok` of its first chunk).
    expect(t.records[0]!.attempts).toEqual([
      expect.objectContaining({
        outcome: 'aborted',
        httpStatus: 503,
        errorCode: 'router_shutting_down',
      }),
    ]);
    expect(t.breakers.state('small')).toBe('closed');
    // Nothing new starts after the deadline.
    const late = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...streamBody(), stream: false },
    });
    expect(late.statusCode).toBe(503);
    expect(late.json().error.code).toBe('router_shutting_down');
    // Each refusal is its own error: a routed one's decision id is not sent with the next reply.
    const routed = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...streamBody('model-router'), stream: false },
    });
    expect(routed.statusCode).toBe(503);
    expect(routed.headers['x-router-decision-id']).toEqual(expect.any(String));
    const direct = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...streamBody(), stream: false },
    });
    expect(direct.json().error.code).toBe('router_shutting_down');
    expect(direct.headers['x-router-decision-id']).toBeUndefined();
  }, 10_000);
});

describe('a JSON call the shutdown drain stopped in flight', () => {
  it('is an aborted attempt charged its prompt at the deployment, the 503 in its own shape', async () => {
    // Ops audit F1 (2026-12-06): it was an `error` attempt, no deployment, $0, while a client
    // hanging up on the same call was charged; every rollout lost that spend from budgets.
    const { t, adapter } = await app([{ hang: true }]);
    const pending = t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { ...streamBody(), stream: false },
    });
    while (adapter.calls.length === 0) await new Promise((r) => setImmediate(r));
    expect(t.gateway.drain.stopAll()).toBe(1);
    const res = await pending;
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('router_shutting_down');
    const record = t.records[0]!;
    expect(record).toMatchObject({
      status: 503,
      errorCode: 'router_shutting_down',
      deployment: 'small',
    });
    expect(record.attempts.map((a) => [a.deployment, a.outcome, a.errorCode])).toEqual([
      ['small', 'aborted', 'router_shutting_down'],
    ]);
    expect(record.promptTokens).toBeGreaterThan(0);
    expect(record.costUsd).toBeCloseTo((record.promptTokens * 0.1) / 1e6, 15);
    expect(t.breakers.state('small')).toBe('closed');
  });
});

describe('usage the upstream did not report', () => {
  it('is estimated from the streamed text for an upstream that ignores include_usage', async () => {
    const { t } = await app([{ chunks: ['Twelve chars', ' and eight'], noUsage: true }]);
    const { res, text } = await stream(t);
    expect(res.statusCode).toBe(200);
    expect(text).toBe('Twelve chars and eight');
    // 22 characters: ≈6 tokens (was 0, and the answer cost nothing).
    expect(t.records[0]).toMatchObject({ status: 200, completionTokens: 6 });
    expect(t.records[0]!.costUsd).toBeCloseTo((t.records[0]!.promptTokens * 0.1 + 6 * 0.4) / 1e6);
  });

  it("is the upstream's own when it reports it", async () => {
    const { t } = await app([{ chunks: ['Twelve chars', ' and eight'] }]);
    await stream(t);
    expect(t.records[0]).toMatchObject({ status: 200, completionTokens: 5 });
  });
});

describe('the error of a request whose every attempt failed', () => {
  it('carries x-router-attempts and, routed, x-router-decision-id', async () => {
    const t = await buildTestApp(config(), {
      small: fakeAdapter('small', [{ error: { status: 500 } }]),
      mid: fakeAdapter('mid', [{ error: { status: 502 } }]),
    });
    const routed = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'Hi' }] },
    });
    expect(routed.statusCode).toBe(502);
    expect(routed.headers['x-router-attempts']).toBe('2');
    expect(routed.headers['x-router-decision-id']).toBe(t.records[0]!.decisionId);
    expect(routed.headers['x-router-decision-id']).toMatch(/^dec_/);
    const direct = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'mid', messages: [{ role: 'user', content: 'Hi' }] },
    });
    expect(direct.statusCode).toBe(502);
    expect(direct.headers['x-router-attempts']).toBe('1');
    expect(direct.headers['x-router-decision-id']).toBeUndefined();
  });
});

describe('a direct call while the circuit is half-open', () => {
  it('says the probe is in flight, not that the circuit is open', async () => {
    const small = fakeAdapter('small', [{ hang: true }]);
    const t = await buildTestApp(
      config(),
      { small, mid: fakeAdapter('mid', [{ reply: 'x' }]) },
      { breaker: { failureThreshold: 1, windowMs: 1_000, openMs: 10 } },
    );
    t.breakers.failure('small');
    const json = { model: 'small', messages: [{ role: 'user', content: 'Hi' }] };
    const whileOpen = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: json,
    });
    expect(whileOpen.json().error.message).toContain('circuit breaker is open');
    t.clock.advance(10);
    const probe = t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: json });
    while (small.calls.length === 0) await new Promise((r) => setImmediate(r));
    const during = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: json,
    });
    expect(during.statusCode).toBe(503);
    expect(during.json().error.message).toContain('half-open');
    expect(during.json().error.message).toContain('probe request in flight');
    expect(during.json().error.message).not.toContain('circuit breaker is open');
    // Free once the probe answers, when that is unknown: a second in both headers, never
    // `retry-after-ms: 0`, which SDKs read as "at once" (providers audit F6).
    expect(during.headers['retry-after']).toBe('1');
    expect(during.headers['retry-after-ms']).toBe('1000');
    t.gateway.drain.stopAll(); // ends the hung probe
    expect((await probe).statusCode).toBe(503);
  });
});

describe('a client that leaves mid-stream', () => {
  it('says nothing of the deployment to its circuit', async () => {
    const clock = createManualClock();
    const breakers = new CircuitBreakers(clock, {
      failureThreshold: 1,
      windowMs: 1_000,
      openMs: 1,
    });
    const client = new AbortController();
    const adapter = fakeAdapter('small', [{ chunks: ['a', 'b'], stallAfter: 1 }]);
    const call = {
      request: { model: 'small', stream: true, messages: [] },
      signal: client.signal,
      requestId: 'r',
    } as unknown as ChatCall;
    const deployment = config().deployments.find((d) => d.name === 'small')!;
    const result = await executeWithFailover({
      call,
      ordered: [deployment],
      adapters: { adapterFor: () => adapter },
      breakers,
      clock,
      promptTokens: 1,
    });
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const read = result.next().catch((e: unknown) => e);
    client.abort();
    const err = await read;
    expect(err).toBeInstanceOf(Error);
    result.end(false, err);
    expect(breakers.state('small')).toBe('closed');
  });
});
