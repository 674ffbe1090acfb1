// Issue 5 behaviours through the HTTP surface with scripted upstreams: first-token deadlines,
// circuit breakers in the failover loop, data zones, session affinity and Foundry controls.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig, testConfigInput } from '../../test/helpers/test-config.js';
import type { Router } from '../routing/router-types.js';

const ask = (extra: Record<string, unknown> = {}) => ({
  model: 'model-router',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('failover safety', () => {
  it('a slow first token moves on to the next deployment before any byte is sent', async () => {
    const config = testConfig();
    // Short only where the upstream hangs: `mid` keeps the default, so its answer wins however
    // slowly the machine runs.
    config.deployments.find((d) => d.name === 'small')!.firstTokenTimeoutMs = 30;
    const small = fakeAdapter('small', [{ hang: true }]);
    const mid = fakeAdapter('mid', [{ chunks: ['fast ', 'answer'] }]);
    const t = await buildTestApp(config, { big: fakeAdapter('big', []), mid, small });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask({ stream: true }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('mid');
    expect(small.aborted).toBe(1);
    expect(t.records[0]?.attempts.map((a) => [a.deployment, a.outcome, a.errorCode])).toEqual([
      ['small', 'error', 'first_token_timeout'],
      ['mid', 'ok', undefined],
    ]);
  });

  it('opens the circuit of a failing deployment, skips it, and probes it again later', async () => {
    const small = fakeAdapter('small', [
      { error: { status: 500 } },
      { error: { status: 500 } },
      { reply: 'recovered' },
    ]);
    const mid = fakeAdapter('mid', [{ reply: 'mid' }]);
    const t = await buildTestApp(
      testConfig(),
      { big: fakeAdapter('big', []), mid, small },
      { breaker: { failureThreshold: 2, windowMs: 60_000, openMs: 10_000 } },
    );
    for (let i = 0; i < 2; i++)
      await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: ask() });
    expect(t.breakers.state('small')).toBe('open');
    const skipped = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask(),
    });
    expect(skipped.headers['x-router-deployment']).toBe('mid');
    expect(small.calls).toHaveLength(2);
    const receipt = (
      await t.app.inject({ url: `/v1/router/decisions/${skipped.headers['x-router-decision-id']}` })
    ).json();
    expect(
      receipt.candidates.find((c: { deployment: string }) => c.deployment === 'small')
        .failedRules[0].rule,
    ).toBe('circuit_open');
    t.clock.advance(10_000);
    const probe = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask(),
    });
    expect(probe.headers['x-router-deployment']).toBe('small');
    expect(t.breakers.state('small')).toBe('closed');
  });

  it('a non-retryable upstream error stops at once without trying the next deployment', async () => {
    const small = fakeAdapter('small', [
      { error: { status: 401, retryable: false, code: 'invalid_api_key' } },
    ]);
    const mid = fakeAdapter('mid', [{ reply: 'mid' }]);
    const t = await buildTestApp(testConfig(), { big: fakeAdapter('big', []), mid, small });
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: ask() });
    expect(res.statusCode).toBe(401);
    expect(mid.calls).toHaveLength(0);
  });
});

describe('data zones', () => {
  const zoned = () =>
    parseConfig(
      testConfigInput({
        deployments: [
          simDeployment('us-cheap', {
            dataZone: 'us',
            region: 'eastus',
            prices: { inputPer1M: 0.01, outputPer1M: 0.01 },
          }),
          simDeployment('eu-a', {
            dataZone: 'eu',
            region: 'swedencentral',
            prices: { inputPer1M: 1, outputPer1M: 1 },
          }),
          simDeployment('eu-b', {
            dataZone: 'eu',
            region: 'francecentral',
            prices: { inputPer1M: 2, outputPer1M: 2 },
          }),
        ],
        routers: [
          { name: 'global', modelSubset: ['us-cheap', 'eu-a', 'eu-b'] },
          {
            name: 'eu-router',
            modelSubset: ['us-cheap', 'eu-a', 'eu-b'],
            deploymentType: 'DataZoneStandard',
            dataZone: 'eu',
          },
        ],
      }),
      {},
    ).config;

  // Routing audit R4 (2026-12-06): a member outside the zone was found out only as 'no eligible
  // deployment' on a request.
  it('warns at load of the members outside a DataZoneStandard router zone', () => {
    const warnings = parseConfig(
      testConfigInput({
        deployments: [
          simDeployment('us-cheap', { dataZone: 'us', region: 'eastus' }),
          simDeployment('eu-a', { dataZone: 'eu', region: 'swedencentral' }),
        ],
        routers: [
          {
            name: 'eu-router',
            modelSubset: ['us-cheap', 'eu-a'],
            deploymentType: 'DataZoneStandard',
            dataZone: 'eu',
          },
          {
            name: 'eu-only-us',
            modelSubset: ['us-cheap'],
            deploymentType: 'DataZoneStandard',
            dataZone: 'eu',
          },
        ],
      }),
      {},
    ).warnings.filter((w) => w.includes('data zone'));
    expect(warnings).toEqual([
      'router "eu-router" keeps its requests in data zone "eu": us-cheap (us) is outside it and never serves it',
      'router "eu-only-us" keeps its requests in data zone "eu": us-cheap (us) is outside it and never serves it (no member of its subset can: every request will be refused)',
    ]);
  });

  it('never serves, nor fails over, outside the router zone', async () => {
    const usCheap = fakeAdapter('us', [{ reply: 'us' }]);
    const euA = fakeAdapter('eu-a', [{ error: { status: 503 } }]);
    const euB = fakeAdapter('eu-b', [{ error: { status: 503 } }]);
    const t = await buildTestApp(zoned(), { 'us-cheap': usCheap, 'eu-a': euA, 'eu-b': euB });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: ask({ model: 'eu-router' }),
    });
    expect(res.statusCode).toBe(503);
    expect(usCheap.calls).toHaveLength(0);
    expect(euA.calls).toHaveLength(1);
    expect(euB.calls).toHaveLength(1);
  });

  it('a header narrows a global router to a zone and a region, and cannot widen a zoned one', async () => {
    const t = await buildTestApp(zoned(), {
      'us-cheap': fakeAdapter('us', [{ reply: 'us' }]),
      'eu-a': fakeAdapter('eu-a', [{ reply: 'a' }]),
      'eu-b': fakeAdapter('eu-b', [{ reply: 'b' }]),
    });
    const narrowed = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'x-router-data-zone': 'eu' },
      payload: ask({ model: 'global' }),
    });
    expect(narrowed.headers['x-router-deployment']).toBe('eu-a');
    expect(narrowed.headers['x-router-region']).toBe('swedencentral');
    const region = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'x-router-regions': 'francecentral' },
      payload: ask({ model: 'global' }),
    });
    expect(region.headers['x-router-deployment']).toBe('eu-b');
    const widen = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'x-router-data-zone': 'us' },
      payload: ask({ model: 'eu-router' }),
    });
    expect(widen.statusCode).toBe(400);
    expect(widen.json().error.param).toBe('x-router-data-zone');
    // A zone or regions no deployment has: the error names the header and what there is.
    const post = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers,
        payload: ask({ model: 'global' }),
      });
    const mars = await post({ 'x-router-data-zone': 'mars' });
    expect(mars.statusCode).toBe(400);
    expect(mars.json().error.param).toBe('x-router-data-zone');
    expect(mars.json().error.message).toContain(
      `the request's x-router-data-zone is "mars", and these deployments are in data zones eu, us`,
    );
    const nowhere = await post({ 'x-router-regions': 'nowhere' });
    expect(nowhere.json().error.param).toBe('x-router-regions');
    expect(nowhere.json().error.message).toMatch(
      /the request's x-router-regions is "nowhere", and these deployments are in regions .*swedencentral/,
    );
    const empty = await post({ 'x-router-regions': ' , ,' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toContain('x-router-regions names no region');
  });
});

describe('session affinity and Foundry controls', () => {
  // A router whose pick depends on the prompt: "hard" prompts need the big model.
  const promptRouter: Router = {
    decide(input) {
      const text = JSON.stringify(input.request.messages.at(-1));
      const hard = text.includes('hard');
      const quality: Record<string, number> = {
        big: 0.9,
        mid: hard ? 0.5 : 0.85,
        small: hard ? 0.3 : 0.84,
      };
      const names = input.candidates.map((c) => c.name);
      const ordered = hard ? ['big', 'mid', 'small'] : ['small', 'mid', 'big'];
      return {
        mode: input.mode,
        version: 'test',
        band: 0.9,
        ordered: ordered.filter((n) => names.includes(n)),
        scores: names.map((n) => ({
          deployment: n,
          predictedQuality: quality[n] ?? 0,
          expectedOutputTokens: 10,
          predictedCostUsd: 0,
        })),
        reason: hard ? 'hard prompt' : 'easy prompt',
        topDeployment: 'big',
      };
    },
  };
  const fleet = () => ({
    big: fakeAdapter('big', [{ reply: 'B' }]),
    mid: fakeAdapter('mid', [{ reply: 'M' }]),
    small: fakeAdapter('small', [{ reply: 'S' }]),
  });
  const controls = { 'foundry-features': 'ModelRouterControls=V1Preview' };
  const turn = (content: string, strategy: string) => ({
    model: 'model-router',
    messages: [{ role: 'user', content }],
    routing_config: { session_affinity: { strategy, session_id: 'sess-1' } },
  });

  it('sticky keeps the conversation on its first model; adaptive switches when the turn needs more', async () => {
    const t = await buildTestApp(testConfig(), fleet(), { router: promptRouter });
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: controls,
      payload: turn('hard question', 'sticky'),
    });
    expect(first.headers['x-router-deployment']).toBe('big');
    const second = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: controls,
      payload: turn('easy follow-up', 'sticky'),
    });
    expect(second.headers['x-router-deployment']).toBe('big');
    const details = second.json().model_selection_details.model_router_details;
    expect(details.session_affinity).toMatchObject({
      strategy: 'sticky',
      session_id: 'sess-1',
      decision: 'kept',
      previous_deployment: 'big',
    });
    expect(details.routing_trace).toHaveLength(1);
    expect(details.routing_trace[0]).toMatchObject({ deployment: 'big', status: 'ok' });

    const t2 = await buildTestApp(testConfig(), fleet(), { router: promptRouter });
    const easy = await t2.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: controls,
      payload: turn('easy start', 'adaptive'),
    });
    expect(easy.headers['x-router-deployment']).toBe('small');
    const hard = await t2.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: controls,
      payload: turn('now a hard one', 'adaptive'),
    });
    expect(hard.headers['x-router-deployment']).toBe('big');
    expect(hard.json().model_selection_details.model_router_details.session_affinity.decision).toBe(
      'switched',
    );
    expect(easy.json().model).toBe('small');
  });

  it('a strategy that is none of adaptive, sticky, none is a 400 naming it', async () => {
    const t = await buildTestApp(testConfig(), fleet(), { router: promptRouter });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: controls,
      payload: turn('hard question', 'stickey'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      param: 'routing_config.session_affinity.strategy',
      code: 'invalid_value',
      message: expect.stringContaining('(got "stickey")'),
    });
  });

  it("a session id is per tenant: another tenant's same id does not keep its model", async () => {
    // Each caller's tenant from its bearer token.
    const authenticator = {
      authenticate: (headers: Record<string, unknown>) => ({
        tenant: String(headers.authorization).replace('Bearer ', ''),
        admin: false,
        scopes: ['*'],
      }),
    };
    const t = await buildTestApp(testConfig(), fleet(), { router: promptRouter, authenticator });
    const as = (tenant: string, content: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { ...controls, authorization: `Bearer ${tenant}` },
        payload: turn(content, 'sticky'),
      });
    expect((await as('team-a', 'hard question')).headers['x-router-deployment']).toBe('big');
    // Before, team-b's first turn with the same session id was kept on team-a's model.
    const other = await as('team-b', 'easy question');
    expect(other.headers['x-router-deployment']).toBe('small');
    expect((await as('team-a', 'easy follow-up')).headers['x-router-deployment']).toBe('big');
  });

  it('routing_config never reaches the upstream, and without the preview header the body has no details', async () => {
    const adapters = fleet();
    const t = await buildTestApp(testConfig(), adapters, { router: promptRouter });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: turn('easy', 'sticky'),
    });
    expect(res.json().model_selection_details).toBeUndefined();
    expect(adapters.small.calls[0]?.body.routing_config).toBeUndefined();
  });
});
