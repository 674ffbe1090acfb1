// A half-open circuit's probe made through trackedCall (embeddings, moderations, the semantic
// cache's lookups) is freed when it ends without a verdict: a non-retryable upstream error or the
// client leaving. Before, it stayed claimed and the deployment was skipped until a restart.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../providers/types.js';
import { newRequestRecord } from '../store/request-record.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import {
  simEmbeddingDeployment,
  simModerationDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { embedWithFailover } from './embed-with-failover.js';
import { ModerationsGateway } from './moderations-gateway.js';
import { namedFailoverDeps } from './named-failover.js';

const refused = () =>
  new GatewayError({ status: 400, type: 'invalid_request_error', message: 'refused' });

/** The test config with an embedding model `embed` and a moderation model `mod`. */
function config(overrides: Parameters<typeof testConfigInput>[0] = {}) {
  const input = testConfigInput(overrides);
  input.deployments.push(simEmbeddingDeployment('embed'), simModerationDeployment('mod'));
  return parseConfig(input, {}).config;
}

/** Gateway parts whose `name`'s circuit is half-open, its upstream `adapter`. */
function halfOpen(name: string, adapter: ProviderAdapter) {
  const clock = createManualClock();
  const breakers = new CircuitBreakers(clock, { failureThreshold: 1, windowMs: 1_000, openMs: 1 });
  breakers.failure(name);
  clock.advance(1);
  expect(breakers.allows(name)).toBe(true);
  const deps = {
    config: new ConfigHolder(compileConfig(config())),
    adapters: { adapterFor: () => adapter },
    clock,
    breakers,
    recorder: { record: () => {} },
  };
  return deps;
}

/** An upstream call during which the client leaves. */
function clientLeaves(client: AbortController) {
  return () =>
    new Promise<never>((_, reject) => {
      client.abort();
      reject(new Error('aborted'));
    });
}

describe('a half-open probe through trackedCall', () => {
  const embedOnce = (deps: ReturnType<typeof halfOpen>, signal: AbortSignal) => {
    const d = deps.config.current.deployments.get('embed')!;
    const record = newRequestRecord({
      time: 0,
      requestId: 'r',
      endpoint: 'embeddings',
      stream: false,
    });
    return embedWithFailover(
      namedFailoverDeps(deps),
      { signal, requestId: 'r' },
      {
        target: { kind: 'deployment', deployment: d },
        allowed: [d],
        sentEstimate: 1,
        sent: { model: 'embed', input: 'x' },
        expect: undefined,
        partial: false,
      },
      record,
    );
  };

  it('embeddings: a 400 frees the probe (still half-open)', async () => {
    const deps = halfOpen('embed', { embed: () => Promise.reject(refused()) } as never);
    await expect(embedOnce(deps, new AbortController().signal)).rejects.toThrow('refused');
    expect(deps.breakers.state('embed')).toBe('half-open');
    expect(deps.breakers.allows('embed')).toBe(true);
  });

  it('embeddings: the client leaving frees the probe', async () => {
    const client = new AbortController();
    const deps = halfOpen('embed', { embed: clientLeaves(client) } as never);
    await expect(embedOnce(deps, client.signal)).rejects.toMatchObject({ status: 499 });
    expect(deps.breakers.allows('embed')).toBe(true);
  });

  it('embeddings: a retryable failure still re-opens the circuit', async () => {
    const down = new GatewayError({
      status: 500,
      type: 'server_error',
      message: 'down',
      retryable: true,
    });
    const deps = halfOpen('embed', { embed: () => Promise.reject(down) } as never);
    await expect(embedOnce(deps, new AbortController().signal)).rejects.toThrow('down');
    expect(deps.breakers.state('embed')).toBe('open');
  });

  it('moderations: a 400 or the client leaving frees the probe', async () => {
    const deps = halfOpen('mod', { moderate: () => Promise.reject(refused()) } as never);
    const gateway = new ModerationsGateway(deps);
    await expect(gateway.classify('mod', 'x', new AbortController().signal)).rejects.toThrow(
      'refused',
    );
    expect(deps.breakers.allows('mod')).toBe(true);

    const client = new AbortController();
    const leaving = halfOpen('mod', { moderate: clientLeaves(client) } as never);
    const again = new ModerationsGateway(leaving);
    await expect(again.classify('mod', 'x', client.signal)).rejects.toMatchObject({
      status: 499,
    });
    expect(leaving.breakers.allows('mod')).toBe(true);
  });

  it("the semantic cache: a lookup's 400 is a miss and frees the probe", async () => {
    // The breaker's settings from config (circuitBreaker): one failure opens it for a second.
    const cfg = config({
      cache: { enabled: true, ttlSeconds: 600, semantic: { enabled: true, embeddings: 'embed' } },
      circuitBreaker: { failureThreshold: 1, windowMs: 1_000, openMs: 1_000 },
    });
    const sim = createSimulatedAdapter(cfg.deployments.find((d) => d.name === 'embed')!);
    let lookups = 0;
    const embed: ProviderAdapter = {
      ...sim,
      embed: () => (lookups++, Promise.reject(refused())),
    };
    const chat = (model: string) => fakeAdapter(model, [{ reply: 'answer' }]);
    const t = await buildTestApp(cfg, {
      big: chat('big-sim'),
      mid: chat('mid-sim'),
      small: chat('small-sim'),
      embed,
    });
    t.breakers.failure('embed');
    expect(t.breakers.state('embed')).toBe('open');
    t.clock.advance(1_000);
    const ask = (content: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        payload: { model: 'model-router', messages: [{ role: 'user', content }] },
      });
    const r = await ask('What is the capital of Portugal?');
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-router-cache']).toBe('miss');
    expect(lookups).toBe(1);
    expect(t.breakers.state('embed')).toBe('half-open');
    expect(t.breakers.allows('embed')).toBe(true);
    // The next request probes again rather than skipping the lookup.
    await ask('And of Spain?');
    expect(lookups).toBe(2);
  });
});
