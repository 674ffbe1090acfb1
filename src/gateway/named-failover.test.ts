// callWithFailover when its caller aborts mid-call: the caller's typed reason is what it throws
// (the router shutting down is recorded 503, not as a client that left), and an abort with no
// typed reason is the client's leaving (499). No failover either way.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../config/deployment-schema.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderAdapter } from '../providers/types.js';
import { newRequestRecord } from '../store/request-record.js';
import { simDeployment } from '../../test/helpers/test-config.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { DeploymentLoad } from './deployment-load.js';
import { callWithFailover, type NamedFailoverDeps } from './named-failover.js';
import { PoolBalancer } from './pool-order.js';

const a = deploymentSchema.parse(simDeployment('a'));
const b = deploymentSchema.parse(simDeployment('b'));

/** Calls a then b; each attempt aborts `controller` with `reason` and fails as a retryable 502. */
async function abortedWith(reason?: unknown) {
  const clock = createManualClock();
  const load = new DeploymentLoad(clock);
  const deps: NamedFailoverDeps = {
    adapters: { adapterFor: () => ({}) as ProviderAdapter },
    clock,
    breakers: new CircuitBreakers(clock),
    load,
    pools: new PoolBalancer(load),
  };
  const controller = new AbortController();
  const record = newRequestRecord({
    time: clock.now(),
    requestId: 'req_1',
    endpoint: 'realtime',
    tenant: 't',
    keyId: 'k',
    stream: true,
    endUser: undefined,
    tags: [],
  });
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
  return { thrown, called };
}

describe('callWithFailover, aborted by its caller', () => {
  it("throws the caller's typed reason (a shutdown's 503), without failing over", async () => {
    const shutdown = new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'server_shutdown',
      message: 'The router is shutting down.',
    });
    const { thrown, called } = await abortedWith(shutdown);
    expect(thrown).toBe(shutdown);
    expect(called).toEqual(['a']);
  });

  it('throws 499 client_closed_request for an abort with no typed reason', async () => {
    const { thrown, called } = await abortedWith();
    expect(thrown).toMatchObject({ status: 499, code: 'client_closed_request' });
    expect(called).toEqual(['a']);
  });
});
