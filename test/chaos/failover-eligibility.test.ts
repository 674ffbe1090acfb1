// Failover's rules through the whole router against a real loopback upstream (OpenAI-compatible,
// Azure and Anthropic deployments): upstream 429s and their retry-after (cool-downs, and what the
// client is told when every deployment refused), a refused connection, fallbacks that are not
// eligible (skipped with the rule in the receipt, never outside the router's subset), and a
// circuit that opens, is probed half-open by a stream and closes or re-opens by the probe's end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { createManualClock } from '../../src/core/clock.js';
import { HI, startFaultRouter } from '../helpers/fault-router.js';
import {
  faultDeployment,
  startFaultUpstream,
  type FaultUpstream,
} from '../helpers/fault-upstream.js';

let up: FaultUpstream;
beforeAll(async () => {
  up = await startFaultUpstream(47521, 47540);
});
afterAll(() => up?.close());

/** A port of this suite's range that nothing listens on: connections to it are refused. */
const REFUSING = 'http://127.0.0.1:47599';

async function startRouter(overrides: Partial<ConfigInput>) {
  const clock = createManualClock(Date.now());
  const router = await startFaultRouter(overrides, {
    tmpPrefix: 'mr-failover-',
    clock,
    keepCircuitsClosed: false,
  });
  return { ...router, clock };
}

const chat = (extra: Record<string, unknown> = {}) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: { model: 'model-router', messages: HI, ...extra },
});

describe('upstream 429s', () => {
  const deployments = () =>
    [
      faultDeployment(up, 'rl-a', 'openai-compatible', 0.1),
      faultDeployment(up, 'rl-b', 'azure', 0.2),
      faultDeployment(up, 'rl-c', 'anthropic', 0.3),
    ] as ConfigInput['deployments'];
  const routers = [{ name: 'model-router', modelSubset: ['rl-a', 'rl-b', 'rl-c'] }];

  it('every deployment refused: 429 with retry-after of the soonest, in each API’s shape; the next request is told the same without a call', async () => {
    const { rt } = await startRouter({ deployments: deployments(), routers });
    up.fault('rl-a', { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    up.fault('rl-b', { kind: 'status', status: 429, headers: { 'retry-after': '3' } });
    up.fault('rl-c', { kind: 'status', status: 429, headers: { 'retry-after-ms': '5000' } });
    try {
      const first = await rt.app.inject(chat());
      expect(first.statusCode).toBe(429);
      expect(first.headers['x-router-attempts']).toBe('3');
      // rl-b is the first that may be called again; the last refusal (rl-c) said 5 s.
      expect(first.headers['retry-after']).toBe('3');
      expect(first.headers['retry-after-ms']).toBeUndefined();
      expect(first.json().error.type).toBe('rate_limit_error');
      const called = ['rl-a', 'rl-b', 'rl-c'].map((d) => up.calls.get(d) ?? 0);
      // All three cool down now: refused at planning, no upstream call, the same advice.
      const messages = await rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: { model: 'model-router', max_tokens: 20, messages: HI },
      });
      expect(messages.statusCode).toBe(429);
      expect(messages.headers['retry-after']).toBe('3');
      expect(messages.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      const stream = await rt.app.inject(chat({ stream: true }));
      expect(stream.statusCode).toBe(429);
      expect(stream.headers['retry-after']).toBe('3');
      expect(stream.json().error.message).toContain('rl-a: cooling_down');
      expect(['rl-a', 'rl-b', 'rl-c'].map((d) => up.calls.get(d) ?? 0)).toEqual(called);
    } finally {
      for (const d of ['rl-a', 'rl-b', 'rl-c']) up.fault(d, undefined);
      await rt.close();
    }
  });

  it('a deployment that asked to wait is skipped until then, with the reason in the receipt', async () => {
    const { rt, clock } = await startRouter({ deployments: deployments(), routers });
    up.fault('rl-a', { kind: 'status', status: 429, headers: { 'retry-after': '20' } });
    try {
      const before = up.calls.get('rl-a') ?? 0;
      const first = await rt.app.inject(chat());
      expect(first.statusCode).toBe(200);
      expect(first.headers['x-router-deployment']).toBe('rl-b');
      expect(first.headers['x-router-attempts']).toBe('2');
      const next = await rt.app.inject(chat({ stream: true }));
      expect(next.headers['x-router-deployment']).toBe('rl-b');
      expect(next.headers['x-router-attempts']).toBe('1');
      const receipt = (
        await rt.app.inject({ url: `/v1/router/decisions/${next.headers['x-router-decision-id']}` })
      ).json();
      expect(
        receipt.candidates.find((c: { deployment: string }) => c.deployment === 'rl-a'),
      ).toMatchObject({ eligible: false, failedRules: [{ rule: 'cooling_down' }] });
      expect(up.calls.get('rl-a')).toBe(before + 1);
      // Once the wait is over it is called again.
      up.fault('rl-a', undefined);
      clock.advance(20_000);
      const later = await rt.app.inject(chat());
      expect(later.headers['x-router-deployment']).toBe('rl-a');
    } finally {
      up.fault('rl-a', undefined);
      await rt.close();
    }
  });

  it('one member cooling down and the rest failing: the failure says when the cooled one frees up (retry-after), in a pool and a router', async () => {
    const { rt, clock } = await startRouter({
      deployments: deployments(),
      routers,
      pools: [{ name: 'pool', deployments: ['rl-a', 'rl-b'], strategy: 'priority' }],
      circuitBreaker: { failureThreshold: 100, windowMs: 60_000, openMs: 60_000 },
    });
    up.fault('rl-a', { kind: 'status', status: 429, headers: { 'retry-after': '20' } });
    up.fault('rl-b', { kind: 'status', status: 503 });
    up.fault('rl-c', { kind: 'status', status: 500 });
    try {
      // rl-a asks to wait 20 s; rl-b's 503 is told as a 429 (only rate-limited somewhere).
      const first = await rt.app.inject(chat({ model: 'pool' }));
      expect(first.statusCode).toBe(429);
      clock.advance(5_000);
      // Now rl-a is passed over (cooling down) and rl-b alone is called: its 503, with when rl-a
      // may be called again. Before, no retry-after at all.
      const pool = await rt.app.inject(chat({ model: 'pool' }));
      expect(pool.statusCode).toBe(503);
      expect(pool.headers['x-router-attempts']).toBe('1');
      expect(pool.headers['retry-after']).toBe('15');
      expect(pool.headers['retry-after-ms']).toBe('15000');
      // The same through the router, whose other members fail differently (503 and 500: a 502).
      const routed = await rt.app.inject(chat());
      expect(routed.statusCode).toBe(502);
      expect(routed.json().error.code).toBe('all_deployments_failed');
      expect(routed.headers['retry-after']).toBe('15');
      // An error that says when to retry keeps its own advice.
      up.fault('rl-b', { kind: 'status', status: 503, headers: { 'retry-after': '2' } });
      const own = await rt.app.inject(chat({ model: 'pool' }));
      expect(own.statusCode).toBe(503);
      expect(own.headers['retry-after']).toBe('2');
      // A 400 is not a reason to wait.
      up.fault('rl-b', { kind: 'status', status: 400 });
      const bad = await rt.app.inject(chat({ model: 'pool' }));
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['retry-after']).toBeUndefined();
    } finally {
      for (const d of ['rl-a', 'rl-b', 'rl-c']) up.fault(d, undefined);
      await rt.close();
    }
  });
});

describe('fallbacks', () => {
  it('a refused connection fails over to the next deployment, on every API', async () => {
    const { rt, records } = await startRouter({
      deployments: [
        { ...faultDeployment(up, 'gone', 'openai-compatible', 0.01), baseUrl: `${REFUSING}/v1` },
        faultDeployment(up, 'here', 'anthropic', 1),
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['gone', 'here'] }],
      circuitBreaker: { failureThreshold: 100, windowMs: 60_000, openMs: 60_000 },
    });
    try {
      for (const req of [
        chat(),
        chat({ stream: true }),
        {
          method: 'POST' as const,
          url: '/v1/responses',
          payload: { model: 'model-router', input: 'hi', store: false },
        },
        {
          method: 'POST' as const,
          url: '/openai/deployments/model-router/chat/completions?api-version=2024-10-21',
          payload: { messages: HI, stream: true },
        },
        {
          method: 'POST' as const,
          url: '/v1/messages',
          payload: { model: 'model-router', max_tokens: 20, messages: HI },
        },
      ]) {
        const res = await rt.app.inject(req);
        expect(res.statusCode, req.url).toBe(200);
        expect(res.headers['x-router-deployment'], req.url).toBe('here');
        expect(records.at(-1)!.attempts.map((a) => [a.deployment, a.errorCode])).toEqual([
          ['gone', 'upstream_unreachable'],
          ['here', undefined],
        ]);
      }
    } finally {
      await rt.close();
    }
  });

  it('skips fallbacks that cannot serve the request, each with its rule, and never leaves the subset', async () => {
    const d = (name: string, price: number, extra: Record<string, unknown> = {}) => ({
      ...faultDeployment(up, name, 'openai-compatible', price),
      ...extra,
    });
    const { rt } = await startRouter({
      deployments: [
        d('first', 0.01),
        d('tiny', 0.02, { contextWindow: 60, maxOutputTokens: 20 }),
        d('no-tools', 0.03, { capabilities: { tools: false, vision: true, streaming: true } }),
        d('no-images', 0.04, { capabilities: { tools: true, vision: false, streaming: true } }),
        d('in-eu', 0.05, { dataZone: 'eu', region: 'swedencentral' }),
        d('tripped', 0.06),
        d('last', 0.5),
        // The cheapest of all, and not in the router's subset.
        d('outside', 0.001),
      ] as ConfigInput['deployments'],
      routers: [
        {
          name: 'model-router',
          modelSubset: ['first', 'tiny', 'no-tools', 'no-images', 'in-eu', 'tripped', 'last'],
          deploymentType: 'DataZoneStandard',
          dataZone: 'us',
        },
      ],
      circuitBreaker: { failureThreshold: 1, windowMs: 60_000, openMs: 60_000 },
    });
    up.fault('tripped', { kind: 'status', status: 500 });
    up.fault('first', { kind: 'status', status: 503 });
    try {
      // One failure opens `tripped`'s circuit (a direct call).
      expect(
        (await rt.app.inject({ ...chat(), payload: { model: 'tripped', messages: HI } }))
          .statusCode,
      ).toBe(500);
      const outsideBefore = up.calls.get('outside') ?? 0;
      const res = await rt.app.inject(
        chat({
          stream: true,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'word '.repeat(80) },
                { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              ],
            },
          ],
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-router-deployment']).toBe('last');
      const receipt = (
        await rt.app.inject({ url: `/v1/router/decisions/${res.headers['x-router-decision-id']}` })
      ).json();
      expect(receipt.pick).toBe('first');
      expect(receipt.fallbacks).toEqual(['last']);
      const excluded = Object.fromEntries(
        receipt.candidates
          .filter((c: { eligible: boolean }) => !c.eligible)
          .map((c: { deployment: string; failedRules: { rule: string }[] }) => [
            c.deployment,
            c.failedRules.map((r) => r.rule),
          ]),
      );
      expect(excluded).toEqual({
        tiny: ['context_window'],
        'no-tools': ['tools'],
        'no-images': ['vision'],
        'in-eu': ['data_zone'],
        tripped: ['circuit_open'],
      });
      expect(receipt.candidates.map((c: { deployment: string }) => c.deployment)).not.toContain(
        'outside',
      );
      expect(receipt.attempts.map((a: { deployment: string }) => a.deployment)).toEqual([
        'first',
        'last',
      ]);
      expect(up.calls.get('outside') ?? 0).toBe(outsideBefore);
    } finally {
      up.fault('tripped', undefined);
      up.fault('first', undefined);
      await rt.close();
    }
  });
});

describe('circuit breaking through a router', () => {
  it('opens after failures, is probed half-open by a stream, re-opens when the probe’s stream breaks, closes when one completes', async () => {
    const { rt, clock } = await startRouter({
      deployments: [
        faultDeployment(up, 'cb-flaky', 'anthropic', 0.1),
        faultDeployment(up, 'cb-backup', 'openai-compatible', 1),
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['cb-flaky', 'cb-backup'] }],
      circuitBreaker: { failureThreshold: 2, windowMs: 60_000, openMs: 10_000 },
    });
    const served = async (stream: boolean) => {
      const res = await rt.app.inject(chat({ stream }));
      expect(res.statusCode).toBe(200);
      return res;
    };
    const circuit = async () =>
      (await rt.app.inject({ url: '/readyz' })).json().circuits['cb-flaky'];
    try {
      up.fault('cb-flaky', { kind: 'status', status: 529 });
      for (let i = 0; i < 2; i++)
        expect((await served(false)).headers['x-router-deployment']).toBe('cb-backup');
      expect(await circuit()).toBe('open');
      const calls = up.calls.get('cb-flaky');
      expect((await served(false)).headers['x-router-attempts']).toBe('1');
      expect(up.calls.get('cb-flaky')).toBe(calls);
      // Half-open: the next request probes it; its stream breaks after the first byte.
      clock.advance(10_000);
      expect(await circuit()).toBe('half-open');
      up.fault('cb-flaky', { kind: 'eof-mid-stream' });
      const broken = await served(true);
      expect(broken.headers['x-router-deployment']).toBe('cb-flaky');
      expect(broken.payload).toContain('upstream_stream_dropped');
      expect(await circuit()).toBe('open');
      // Open again for as long; then a probe whose stream runs to its end closes it.
      clock.advance(10_000);
      up.fault('cb-flaky', undefined);
      const whole = await served(true);
      expect(whole.headers['x-router-deployment']).toBe('cb-flaky');
      expect(whole.payload.trimEnd().endsWith('data: [DONE]')).toBe(true);
      expect(await circuit()).toBe('closed');
    } finally {
      up.fault('cb-flaky', undefined);
      await rt.close();
    }
  });
});
