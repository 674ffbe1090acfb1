// Calls made under a signal as long-lived as a connection (each turn of a Responses WebSocket has
// the connection's; a realtime session opens under its own): the semantic cache's embedding call
// and a named call (callWithFailover) each hear it through one abort listener, taken off when the
// call ends, so a connection of many turns keeps nothing per turn. Until 2026-12-07 each call
// composed it with AbortSignal.any, which on Node 20 hangs the composite on the long-lived signal
// until it ends (≈57 B a call measured over 200,000 turns: 11.5 MB per call site).
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import { deploymentSchema } from '../config/deployment-schema.js';
import { parseConfig } from '../config/load-config.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import { newRequestRecord } from '../store/request-record.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { DeploymentLoad } from './deployment-load.js';
import { ANONYMOUS } from './gateway-types.js';
import { callWithFailover, type NamedFailoverDeps } from './named-failover.js';
import { PoolBalancer } from './pool-order.js';

const TURNS = 100;

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

/** Whether AbortSignal.any was ever handed `signal` (spied on from the test's start). */
let composed: (signal: AbortSignal) => boolean = () => false;
function spyOnAny() {
  const any = vi.spyOn(AbortSignal, 'any');
  composed = (signal) => any.mock.calls.some(([sources]) => [...sources].includes(signal));
}
afterEach(() => {
  vi.restoreAllMocks();
});

describe("the semantic cache's embedding call under a connection's signal", () => {
  it(`over ${TURNS} turns: one listener on it while embedding, none after; an abort still reaches the call`, async () => {
    const input = testConfigInput({
      cache: { enabled: true, ttlSeconds: 600, semantic: { enabled: true, embeddings: 'embed' } },
    });
    input.deployments.push(simEmbeddingDeployment('embed'));
    const config = parseConfig(input, {}).config;
    const adapters = simulatedAdapters(config);
    const connection = new AbortController();
    const conn = connection.signal;
    /** The listeners on the connection's signal while each embedding call ran. */
    const during: number[] = [];
    let abortInCall = false;
    let callSignalAborted: boolean | undefined;
    const sim = adapters.embed!;
    const embed: ProviderAdapter = {
      ...sim,
      embed(req) {
        during.push(listeners(conn));
        if (abortInCall) {
          connection.abort();
          callSignalAborted = req.signal.aborted;
        }
        return sim.embed!(req);
      },
    };
    const t = await buildTestApp(config, { ...adapters, embed });
    spyOnAny();
    const start = listeners(conn);
    const turn = (i: number) =>
      t.gateway.handleChat({
        request: {
          model: 'model-router',
          messages: [{ role: 'user', content: `Turn ${i}: name a river of ${i} letters.` }],
        } as ChatRequest,
        endpoint: 'responses',
        auth: ANONYMOUS,
        headers: {},
        signal: conn,
        requestId: `req_conn.ws${i}`,
      });
    for (let i = 1; i <= TURNS; i++) expect((await turn(i)).kind).toBe('json');
    expect(during).toEqual(Array.from({ length: TURNS }, () => start + 1));
    expect(listeners(conn)).toBe(start);
    expect(composed(conn)).toBe(false);
    // The link works: the connection closing during the call aborts it (the turn is a 499).
    abortInCall = true;
    await expect(turn(TURNS + 1)).rejects.toMatchObject({ status: 499 });
    expect(callSignalAborted).toBe(true);
    expect(listeners(conn)).toBe(0);
  });
});

describe('a named call (callWithFailover) under a connection’s signal', () => {
  const a = deploymentSchema.parse(simDeployment('a'));
  const b = deploymentSchema.parse(simDeployment('b'));
  const setup = () => {
    const clock = createManualClock();
    const load = new DeploymentLoad(clock);
    const deps: NamedFailoverDeps = {
      adapters: { adapterFor: () => ({}) as ProviderAdapter },
      clock,
      breakers: new CircuitBreakers(clock),
      load,
      pools: new PoolBalancer(load),
    };
    const record = () =>
      newRequestRecord({
        time: clock.now(),
        requestId: 'req_conn',
        endpoint: 'realtime',
        tenant: 't',
        keyId: 'k',
        stream: true,
        endUser: undefined,
        tags: [],
      });
    return { deps, record };
  };

  it(`over ${TURNS} calls, each failing over once: one listener while an attempt runs, none after`, async () => {
    const { deps, record } = setup();
    const conn = new AbortController().signal;
    spyOnAny();
    const start = listeners(conn);
    const during: number[] = [];
    for (let i = 0; i < TURNS; i++) {
      const { d, release } = await callWithFailover(
        deps,
        { signal: conn, requestId: `req_conn.${i}` },
        { target: { kind: 'deployment', deployment: a }, allowed: [a, b], sentEstimate: 0 },
        record(),
        async (d) => {
          during.push(listeners(conn));
          if (d.name === 'a')
            throw new GatewayError({
              status: 502,
              type: 'server_error',
              message: 'x',
              retryable: true,
            });
          return { served: d.name, model: d.model };
        },
      );
      release();
      expect(d.name).toBe('b');
      // a's circuit opens after failures: let every call try it first.
      deps.breakers.success('a');
    }
    expect(during).toEqual(Array.from({ length: 2 * TURNS }, () => start + 1));
    expect(listeners(conn)).toBe(start);
    expect(composed(conn)).toBe(false);
  });

  it('a body that follows the call (speech) keeps its link until released, and hears an abort until then', async () => {
    const { deps, record } = setup();
    const connection = new AbortController();
    const conn = connection.signal;
    spyOnAny();
    const start = listeners(conn);
    const served = await callWithFailover(
      deps,
      { signal: conn, requestId: 'req_conn' },
      {
        target: { kind: 'deployment', deployment: a },
        allowed: [a],
        sentEstimate: 0,
        bodyFollows: true,
      },
      record(),
      async (d) => ({ served: d.name, model: d.model }),
    );
    expect(listeners(conn)).toBe(start + 1);
    connection.abort();
    expect(served.signal.aborted).toBe(true);
    served.release();
    expect(listeners(conn)).toBe(start);
    expect(composed(conn)).toBe(false);
  });
});
