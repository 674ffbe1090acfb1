// A request's overhead is its time less its waits (request-timing.ts): each part that counts a
// wait, on a clock moved by hand. An attempt's call to its adapter, failed or not; a stream's
// reads, one stopped by its idle deadline too; the SSE writer's waits on a slow client.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { ProviderAdapter } from '../providers/types.js';
import { writeSseStream, type SseEvent } from '../http/sse-writer.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { executeWithFailover } from './execute-with-failover.js';
import type { ChatCall } from './gateway-types.js';
import { overheadHeader, RequestTiming } from './request-timing.js';
import { watchedReads } from './watched-reads.js';

const deployment = (name: string) =>
  ({
    name,
    model: `${name}-m`,
    provider: 'openai-compatible',
    timeoutMs: 60_000,
    capabilities: {},
    prices: { inputPer1M: 2, outputPer1M: 8 },
  }) as DeploymentConfig;

describe('RequestTiming', () => {
  it('is the time since the start less the waits and the queue, never below 0', () => {
    const clock = createManualClock();
    const timing = new RequestTiming(clock);
    clock.advance(500);
    timing.upstreamMs = 300;
    timing.clientMs = 100;
    expect(timing.overheadMicros(clock.perfNow())).toBe(100_000);
    expect(timing.overheadMicros(clock.perfNow(), 60)).toBe(40_000);
    // A queue wait rounded up to the ms can pass the rest: 0, not less.
    expect(timing.overheadMicros(clock.perfNow(), 101)).toBe(0);
    expect(overheadHeader(1234.6)).toBe('1.235');
  });
});

describe('executeWithFailover counts each attempt’s wait on its adapter', () => {
  it("a failed attempt's wait and the served one's, not the router's work between them", async () => {
    const clock = createManualClock();
    const timing = new RequestTiming(clock);
    const breakers = new CircuitBreakers(clock, {
      failureThreshold: 5,
      windowMs: 1_000,
      openMs: 1,
    });
    const failing = {
      chat: () => {
        clock.advance(150);
        return Promise.reject(
          new GatewayError({ status: 500, type: 'server_error', message: 'down', retryable: true }),
        );
      },
    } as unknown as ProviderAdapter;
    const serving = {
      chat: () => {
        clock.advance(200);
        return Promise.resolve({
          response: { id: 'x', object: 'chat.completion', created: 1, model: 'b-m', choices: [] },
        });
      },
    } as unknown as ProviderAdapter;
    const call = {
      request: { model: 'p', messages: [] },
      signal: new AbortController().signal,
      requestId: 'r',
    } as unknown as ChatCall;
    const result = await executeWithFailover({
      call,
      ordered: [deployment('a'), deployment('b')],
      adapters: { adapterFor: (d) => (d.name === 'a' ? failing : serving) },
      breakers,
      clock,
      promptTokens: 1,
      timing,
    });
    expect(result.attempts.map((a) => a.outcome)).toEqual(['error', 'ok']);
    expect(timing.upstreamMs).toBe(350);
    expect(timing.overheadMicros(clock.perfNow())).toBe(0);
  });
});

describe('watchedReads counts each read’s wait on the upstream', () => {
  it('from asking to the chunk, and a read the idle deadline stopped up to the stop', async () => {
    const clock = createManualClock();
    const timing = new RequestTiming(clock);
    let answer: ((r: IteratorResult<number>) => void) | undefined;
    const iterator: AsyncIterator<number> = {
      next: () => new Promise((r) => (answer = r)),
    };
    const controller = new AbortController();
    const idle = new GatewayError({ status: 504, type: 'server_error', message: 'idle' });
    const reads = watchedReads(iterator, 60_000, controller, () => idle, timing);
    try {
      const first = reads.next();
      clock.advance(40);
      answer!({ done: false, value: 1 });
      await expect(first).resolves.toEqual({ done: false, value: 1 });
      expect(timing.upstreamMs).toBe(40);
      clock.advance(7); // the router's own, between reads
      const second = reads.next();
      clock.advance(100);
      controller.abort(idle); // the idle deadline (or the drain) stops the read
      await expect(second).rejects.toBe(idle);
      expect(timing.upstreamMs).toBe(140);
      // The adapter's read settling later is not counted again.
      clock.advance(5);
      answer!({ done: true, value: undefined });
      await new Promise((r) => setImmediate(r));
      expect(timing.upstreamMs).toBe(140);
      expect(timing.overheadMicros(clock.perfNow())).toBe(12_000);
    } finally {
      reads.stop();
    }
  });
});

/** A ServerResponse whose socket is full until the test says it drained. */
class SlowClient extends EventEmitter {
  writableNeedDrain = false;
  destroyed = false;
  written = '';
  writeHead() {
    return this;
  }
  write(text: string) {
    this.written += text;
    return true;
  }
  end(text?: string) {
    if (text) this.written += text;
  }
}

describe('writeSseStream and a slow client', () => {
  it("counts the wait for the client's socket to drain as the client's, not the router's", async () => {
    const clock = createManualClock();
    const timing = new RequestTiming(clock);
    const res = new SlowClient();
    async function* events(): AsyncGenerator<SseEvent> {
      res.writableNeedDrain = true; // the socket is full once the first event is sent
      yield { data: 'one' };
      clock.advance(3); // the router's own, after the client took the first
      yield { data: 'two' };
    }
    const done = writeSseStream(res as unknown as ServerResponse, events(), {
      headers: {},
      errorEvents: () => [],
      client: timing,
    });
    // The writer waits for `drain`: the client is slow for 300 ms.
    await new Promise((r) => setImmediate(r));
    expect(res.listenerCount('drain')).toBe(1);
    clock.advance(300);
    res.writableNeedDrain = false;
    res.emit('drain');
    await done;
    expect(res.written).toBe('data: one\n\ndata: two\n\n');
    expect(timing.clientMs).toBe(300);
    expect(timing.overheadMicros(clock.perfNow())).toBe(3_000);
  });
});
