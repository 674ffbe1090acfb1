// Thousands of mixed requests through a simulated fleet with random injected faults (429, 500,
// timeout, slow first token, drop mid-stream): every request either succeeds from an eligible,
// in-zone deployment with its exact answer, or fails with a correct error; none hangs; a stream
// never duplicates or loses tokens, and failover happens only before the first byte.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { DeploymentConfig } from '../../src/config/deployment-schema.js';
import type { ChatRequest } from '../../src/core/wire-types.js';
import { adaptRequestForDeployment } from '../../src/policy/reasoning-params.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import { parseSse } from '../../src/providers/sse-parser.js';
import { createRuntime } from '../../src/runtime.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const FAST = { ttftMs: 0, tokensPerSecond: 1_000_000, answerTokens: 12 };
const TOTAL = 2000;
const CONCURRENCY = 50;

function chaosConfig() {
  const input = testConfigInput({
    deployments: [
      simDeployment('a', {
        prices: { inputPer1M: 0.1, outputPer1M: 0.2 },
        simulation: { ...FAST, failure: { kind: '429', rate: 0.3 } },
      }),
      simDeployment('b', {
        prices: { inputPer1M: 0.2, outputPer1M: 0.4 },
        simulation: { ...FAST, failure: { kind: '500', rate: 0.3 } },
      }),
      simDeployment('c', {
        prices: { inputPer1M: 0.3, outputPer1M: 0.6 },
        firstTokenTimeoutMs: 60,
        timeoutMs: 80,
        simulation: { ...FAST, failure: { kind: 'timeout', rate: 0.2, delayMs: 400 } },
      }),
      simDeployment('d', {
        prices: { inputPer1M: 0.4, outputPer1M: 0.8 },
        firstTokenTimeoutMs: 60,
        simulation: { ...FAST, failure: { kind: 'slow-first-token', rate: 0.3, delayMs: 400 } },
      }),
      simDeployment('e', {
        prices: { inputPer1M: 0.5, outputPer1M: 1 },
        simulation: { ...FAST, failure: { kind: 'drop-mid-stream', rate: 0.3 } },
      }),
      simDeployment('eu1', {
        region: 'swedencentral',
        dataZone: 'eu',
        prices: { inputPer1M: 0.1, outputPer1M: 0.1 },
        simulation: { ...FAST, failure: { kind: '500', rate: 0.4 } },
      }),
      simDeployment('eu2', {
        region: 'francecentral',
        dataZone: 'eu',
        prices: { inputPer1M: 0.2, outputPer1M: 0.2 },
        simulation: { ...FAST, failure: { kind: 'drop-mid-stream', rate: 0.3 } },
      }),
    ],
    routers: [
      {
        name: 'chaos',
        modelSubset: ['a', 'b', 'c', 'd', 'e'],
        rateLimit: { rpm: 1_000_000, tpm: 100_000_000 },
      },
      {
        name: 'chaos-eu',
        modelSubset: ['eu1', 'eu2'],
        deploymentType: 'DataZoneStandard',
        dataZone: 'eu',
        rateLimit: { rpm: 1_000_000, tpm: 100_000_000 },
      },
    ],
  });
  return parseConfig(input, {}).config;
}

/** What a deployment answers when it does not fail: the fleet is deterministic per request. */
async function expectedText(d: DeploymentConfig, request: ChatRequest): Promise<string> {
  const clean = {
    ...d,
    simulation: { ...d.simulation!, failure: { ...d.simulation!.failure, kind: 'none' as const } },
  };
  const { body } = adaptRequestForDeployment({ ...request, stream: false }, clean);
  const reply = await createSimulatedAdapter(clean).chat({
    deployment: clean,
    body,
    signal: new AbortController().signal,
    requestId: 'x',
  });
  return reply.response.choices[0]?.message.content ?? '';
}

function rng(seed: number) {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('chaos: mixed requests through a faulty fleet', () => {
  it(`${TOTAL} requests: each succeeds correctly or fails with a correct error, none hangs`, async () => {
    const config = chaosConfig();
    const runtime = await createRuntime(config);
    const deployments = new Map(config.deployments.map((d) => [d.name, d]));
    const random = rng(7);
    const outcomes = {
      ok: 0,
      okStream: 0,
      midStreamError: 0,
      errors: new Map<number, number>(),
      failovers: 0,
    };
    try {
      for (let start = 0; start < TOTAL; start += CONCURRENCY) {
        await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, TOTAL - start) }, async (_, k) => {
            const i = start + k;
            const eu = random() < 0.2;
            const stream = random() < 0.5;
            const request = {
              model: eu ? 'chaos-eu' : 'chaos',
              messages: [
                {
                  role: 'user',
                  content: `Question ${i}: explain item ${Math.floor(random() * 1e6)}`,
                },
              ],
              stream,
            } as ChatRequest;
            const res = await Promise.race([
              runtime.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: request }),
              new Promise<never>((_, reject) =>
                setTimeout(() => reject(new Error(`request ${i} hung`)), 10_000),
              ),
            ]);
            const served = res.headers['x-router-deployment'] as string | undefined;
            if (res.statusCode !== 200) {
              const err = res.json().error;
              expect(err.message.length, `request ${i}`).toBeGreaterThan(0);
              // 500: the upstream's own server error, when the only candidate left (the other's
              // circuit open, which depends on timing) answered it and there was nothing to fail over to.
              expect([429, 500, 502, 503, 504], `request ${i}: ${err.message}`).toContain(
                res.statusCode,
              );
              outcomes.errors.set(res.statusCode, (outcomes.errors.get(res.statusCode) ?? 0) + 1);
              return;
            }
            expect(served, `request ${i}`).toBeDefined();
            const d = deployments.get(served!)!;
            const subset = eu ? ['eu1', 'eu2'] : ['a', 'b', 'c', 'd', 'e'];
            expect(subset, `request ${i} served by ${served}`).toContain(served);
            if (eu) expect(d.dataZone).toBe('eu');
            expect(res.headers['x-router-region']).toBe(d.region);
            if (Number(res.headers['x-router-attempts']) > 1) outcomes.failovers++;
            const want = await expectedText(d, request);
            if (!stream) {
              expect(res.json().model).toBe(d.model);
              expect(res.json().choices[0].message.content).toBe(want);
              outcomes.ok++;
              return;
            }
            const events: string[] = [];
            for await (const m of parseSse(
              (async function* () {
                yield res.rawPayload;
              })(),
            ))
              events.push(m.data);
            const chunks = events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e));
            const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
            for (const c of chunks) if (c.model) expect(c.model).toBe(d.model);
            if (events.at(-1) === '[DONE]') {
              expect(text, `request ${i} stream from ${served}`).toBe(want);
              outcomes.okStream++;
            } else {
              // Failed after the first byte: an in-band error, the text so far an exact prefix.
              expect(chunks.at(-1).error.code).toBe('upstream_dropped');
              expect(want.startsWith(text)).toBe(true);
              expect(text.length).toBeLessThan(want.length);
              outcomes.midStreamError++;
            }
          }),
        );
      }
    } finally {
      await runtime.close();
    }
    const total =
      outcomes.ok +
      outcomes.okStream +
      outcomes.midStreamError +
      [...outcomes.errors.values()].reduce((a, b) => a + b, 0);
    console.info('chaos outcomes', { ...outcomes, errors: Object.fromEntries(outcomes.errors) });
    expect(total).toBe(TOTAL);
    // The faults are real: there were failovers, mid-stream failures and some exhausted requests.
    expect(outcomes.failovers).toBeGreaterThan(100);
    expect(outcomes.midStreamError).toBeGreaterThan(10);
    expect(outcomes.ok + outcomes.okStream).toBeGreaterThan(TOTAL * 0.5);
  }, 120_000);
});
