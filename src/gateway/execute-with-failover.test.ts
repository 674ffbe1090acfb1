import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderAdapter } from '../providers/types.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { executeWithFailover } from './execute-with-failover.js';
import type { ChatCall } from './gateway-types.js';

const deployment = {
  name: 'a',
  model: 'm',
  provider: 'openai-compatible',
  timeoutMs: 1_000,
  capabilities: {},
} as DeploymentConfig;

/** Opens `a`'s circuit and lets its open period pass: the next call is its half-open probe. */
function halfOpen() {
  const clock = createManualClock();
  const breakers = new CircuitBreakers(clock, { failureThreshold: 1, windowMs: 1_000, openMs: 1 });
  breakers.failure('a');
  clock.advance(1);
  expect(breakers.state('a')).toBe('half-open');
  return { clock, breakers };
}

function probe(
  parts: ReturnType<typeof halfOpen>,
  chat: ProviderAdapter['chat'],
  signal = new AbortController().signal,
) {
  const call = {
    request: { model: 'a', messages: [] },
    signal,
    requestId: 'r',
  } as unknown as ChatCall;
  const adapter = { chat } as unknown as ProviderAdapter;
  return executeWithFailover({
    call,
    ordered: [deployment],
    adapters: { adapterFor: () => adapter },
    breakers: parts.breakers,
    clock: parts.clock,
    promptTokens: 1,
  });
}

describe('executeWithFailover and a half-open circuit', () => {
  it('frees the probe when the upstream refuses the request itself (not retryable)', async () => {
    const parts = halfOpen();
    const refused = new GatewayError({ status: 400, type: 'invalid_request_error', message: 'no' });
    await expect(probe(parts, () => Promise.reject(refused))).rejects.toThrow('no');
    // Still half-open, and the next request may probe: the circuit is not stuck.
    expect(parts.breakers.state('a')).toBe('half-open');
    expect(parts.breakers.allows('a')).toBe(true);
  });

  it('frees the probe when the client leaves during it', async () => {
    const parts = halfOpen();
    const client = new AbortController();
    const hung = () =>
      new Promise<never>((_, reject) => {
        client.abort();
        reject(new Error('aborted'));
      });
    await expect(probe(parts, hung, client.signal)).rejects.toMatchObject({ status: 499 });
    expect(parts.breakers.allows('a')).toBe(true);
  });

  it('re-opens on a retryable failure of the probe', async () => {
    const parts = halfOpen();
    const down = new GatewayError({
      status: 500,
      type: 'server_error',
      message: 'down',
      retryable: true,
    });
    await expect(probe(parts, () => Promise.reject(down))).rejects.toThrow('down');
    expect(parts.breakers.state('a')).toBe('open');
  });
});
