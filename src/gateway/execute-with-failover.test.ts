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
  prices: { inputPer1M: 2, outputPer1M: 8 },
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

describe('executeWithFailover when every deployment refuses with a 429', () => {
  const named = (name: string) => ({ ...deployment, name, model: name }) as DeploymentConfig;
  const refusal = (headers: Record<string, string>) =>
    new GatewayError({
      status: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: 'slow down',
      headers,
      retryable: true,
    });
  const run = (waits: Record<string, Record<string, string>>) => {
    const clock = createManualClock();
    const breakers = new CircuitBreakers(clock);
    const adapter = (d: DeploymentConfig) =>
      ({ chat: () => Promise.reject(refusal({ ...waits[d.name] })) }) as unknown as ProviderAdapter;
    return executeWithFailover({
      call: {
        request: { model: 'r', messages: [] },
        signal: new AbortController().signal,
        requestId: 'r',
      } as unknown as ChatCall,
      ordered: Object.keys(waits).map(named),
      adapters: { adapterFor: adapter },
      breakers,
      clock,
      promptTokens: 1,
    }).catch((e: GatewayError) => e);
  };

  it('says retry after the soonest wait any of them asked for, not the last one’s', async () => {
    const err = (await run({
      a: { 'retry-after': '7' },
      b: { 'retry-after': '3' },
      c: { 'retry-after-ms': '5000' },
    })) as GatewayError;
    expect(err.status).toBe(429);
    expect(err.headers['retry-after']).toBe('3');
    // The last refusal's own advice, which would keep the client away longer, is not sent.
    expect(err.headers['retry-after-ms']).toBeUndefined();
  });

  it('leaves the last refusal’s advice when one of them said nothing of when', async () => {
    const err = (await run({ a: {}, b: { 'retry-after': '7' } })) as GatewayError;
    expect(err.status).toBe(429);
    expect(err.headers['retry-after']).toBe('7');
  });
});

/**
 * A streamed request over deployments `a` then `b`, each streaming what its generator in
 * `streams` yields, with `firstTokenTimeoutMs` each.
 */
function streamFrom(
  streams: Record<string, () => AsyncGenerator<unknown>>,
  firstTokenTimeoutMs = 1_000,
) {
  const clock = createManualClock();
  const adapter = (d: DeploymentConfig) =>
    ({
      chatStream: async () => ({ chunks: streams[d.name]!(), headers: {} }),
    }) as unknown as ProviderAdapter;
  return executeWithFailover({
    call: {
      request: { model: 'r', messages: [], stream: true },
      signal: new AbortController().signal,
      requestId: 'r',
    } as unknown as ChatCall,
    ordered: ['a', 'b'].map(
      (name) => ({ ...deployment, name, model: name, firstTokenTimeoutMs }) as DeploymentConfig,
    ),
    adapters: { adapterFor: adapter },
    breakers: new CircuitBreakers(clock),
    clock,
    promptTokens: 1_000,
  });
}

/** Each attempt as [deployment, outcome, error code]. */
const brief = (r: Awaited<ReturnType<typeof executeWithFailover>>) =>
  r.attempts.map((a) => [a.deployment, a.outcome, a.errorCode]);

describe('executeWithFailover and a stream that ends before its first chunk', () => {
  it('fails over: an empty stream answered nothing', async () => {
    const chunk = { id: 'c', model: 'b', choices: [{ index: 0, delta: { content: 'hi' } }] };
    const result = await streamFrom({
      a: async function* () {},
      b: async function* () {
        yield chunk;
      },
    });
    expect(result.deployment.name).toBe('b');
    expect(result.kind === 'stream' && result.first).toEqual(chunk);
    expect(brief(result)).toEqual([
      ['a', 'error', 'upstream_empty_stream'],
      ['b', 'ok', undefined],
    ]);
    if (result.kind === 'stream') result.end(true);
  });
});

describe('executeWithFailover when every deployment is behind an open circuit', () => {
  it('503 no_healthy_deployment, retry-after when the soonest lets a probe through', async () => {
    const clock = createManualClock();
    const breakers = new CircuitBreakers(clock, {
      failureThreshold: 1,
      windowMs: 1_000,
      openMs: 60_000,
    });
    breakers.failure('a');
    clock.advance(45_000);
    breakers.failure('b');
    clock.advance(5_000); // a lets a probe through in 10 s, b in 55 s
    let called = 0;
    const adapter = {
      chat: () => {
        called++;
        return Promise.reject(new Error('not to be called'));
      },
    } as unknown as ProviderAdapter;
    const err = (await executeWithFailover({
      call: {
        request: { model: 'r', messages: [] },
        signal: new AbortController().signal,
        requestId: 'r',
      } as unknown as ChatCall,
      ordered: ['b', 'a'].map((name) => ({ ...deployment, name, model: name }) as DeploymentConfig),
      adapters: { adapterFor: () => adapter },
      breakers,
      clock,
      promptTokens: 1,
    }).catch((e: unknown) => e)) as GatewayError;
    expect(called).toBe(0);
    expect(err).toMatchObject({ status: 503, code: 'no_healthy_deployment' });
    expect(err.headers).toMatchObject({ 'retry-after': '10', 'retry-after-ms': '10000' });
  });
});

describe('executeWithFailover and a prompt too long for every window left', () => {
  it('the largest window refusing first: each one after it is recorded as passed over', async () => {
    // Providers audit F5 (2026-12-06): they were left out of the record and the receipt.
    const clock = createManualClock();
    const breakers = new CircuitBreakers(clock, {
      failureThreshold: 5,
      windowMs: 1_000,
      openMs: 1,
    });
    const dep = (name: string, contextWindow: number) =>
      ({ ...deployment, name, contextWindow }) as DeploymentConfig;
    const tooLong = new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      message: 'too long',
    });
    const called: string[] = [];
    const adapter = {
      chat: (req: { deployment: DeploymentConfig }) => {
        called.push(req.deployment.name);
        return Promise.reject(tooLong);
      },
    } as unknown as ProviderAdapter;
    const err = await executeWithFailover({
      call: {
        request: { model: 'r', messages: [] },
        signal: new AbortController().signal,
        requestId: 'r',
      } as unknown as ChatCall,
      ordered: [dep('long', 200_000), dep('short', 8_192), dep('mid', 32_000)],
      adapters: { adapterFor: () => adapter },
      breakers,
      clock,
      promptTokens: 1,
    }).catch((e: GatewayError) => e);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect(called).toEqual(['long']);
    const attempts = (err as GatewayError & { details?: { attempts?: unknown[] } }).details
      ?.attempts as { deployment: string; outcome: string; errorCode?: string }[];
    expect(attempts.map((a) => [a.deployment, a.outcome, a.errorCode])).toEqual([
      ['long', 'error', 'context_length_exceeded'],
      ['short', 'skipped', 'context_window_not_larger'],
      ['mid', 'skipped', 'context_window_not_larger'],
    ]);
  });
});

describe('executeWithFailover and a stream its client leaves mid-answer', () => {
  it("records the attempt `aborted` with the client's 499, not the `ok` of its first chunk", async () => {
    const client = new AbortController();
    const clock = createManualClock();
    const adapter = {
      chatStream: async () => ({
        chunks: (async function* () {
          yield {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'a',
            choices: [{ index: 0, delta: { content: 'Once upon' }, finish_reason: null }],
          };
          await new Promise(() => {});
        })(),
        headers: {},
      }),
    } as unknown as ProviderAdapter;
    const result = await executeWithFailover({
      call: {
        request: { model: 'r', messages: [], stream: true },
        signal: client.signal,
        requestId: 'r',
      } as unknown as ChatCall,
      ordered: [deployment],
      adapters: { adapterFor: () => adapter },
      breakers: new CircuitBreakers(clock),
      clock,
      promptTokens: 1,
    });
    expect(result.attempts[0]!.outcome).toBe('ok');
    client.abort();
    if (result.kind === 'stream') result.end(false, new Error('client left'));
    expect(result.attempts[0]).toMatchObject({
      outcome: 'aborted',
      httpStatus: 499,
      errorCode: 'client_closed_request',
    });
  });
});

describe('executeWithFailover: the first token is the first chunk that says something', () => {
  // Providers audit F1 (2026-12-06): Claude's message_start (a role chunk) counted as the first
  // token, so an overloaded_error or a stall right after it reached the client, not a fallback.
  const role = {
    id: 'c',
    model: 'a',
    choices: [{ index: 0, delta: { role: 'assistant', content: '' } }],
  };
  const text = { id: 'c', model: 'b', choices: [{ index: 0, delta: { content: 'hi' } }] };
  const overloaded = new GatewayError({
    status: 529,
    type: 'server_error',
    code: 'overloaded_error',
    message: 'Overloaded',
    retryable: true,
  });

  it('an error after the role chunk fails over', async () => {
    const result = await streamFrom({
      a: async function* () {
        yield role;
        throw overloaded;
      },
      b: async function* () {
        yield text;
      },
    });
    expect(result.deployment.name).toBe('b');
    expect(brief(result)).toEqual([
      ['a', 'error', 'overloaded_error'],
      ['b', 'ok', undefined],
    ]);
    // Refused by the upstream, not stopped by the router: not charged.
    expect(result.attempts[0]!.costUsd).toBeUndefined();
    if (result.kind === 'stream') result.end(true);
  });

  it('a stall after the role chunk is a first-token timeout, failed over', async () => {
    const result = await streamFrom(
      {
        a: async function* () {
          yield role;
          await new Promise(() => {});
        },
        b: async function* () {
          yield text;
        },
      },
      50,
    );
    expect(result.deployment.name).toBe('b');
    expect(brief(result)[0]).toEqual(['a', 'error', 'first_token_timeout']);
    // The upstream had the prompt when the router stopped waiting: charged it (1,000 × $2/1M).
    expect(result.attempts[0]!.costUsd).toBeCloseTo(0.002, 12);
    expect(result.attempts[1]!.costUsd).toBeUndefined();
    if (result.kind === 'stream') result.end(true);
  });

  it('the held chunks still reach the client first, in order, and nothing is lost', async () => {
    const filter = {
      id: 'c',
      model: '',
      choices: [],
      prompt_filter_results: [{ prompt_index: 0 }],
    };
    const finish = {
      id: 'c',
      model: 'a',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    };
    const result = await streamFrom({
      a: async function* () {
        yield filter;
        yield role;
        yield { ...text, model: 'a' };
        yield finish;
      },
      b: async function* () {
        yield text;
      },
    });
    expect(result.deployment.name).toBe('a');
    if (result.kind !== 'stream') throw new Error('not a stream');
    const got = [result.first];
    for (let r = await result.next(); !r.done; r = await result.next()) got.push(r.value);
    expect(got).toEqual([filter, role, { ...text, model: 'a' }, finish]);
    result.end(true);
  });
});
