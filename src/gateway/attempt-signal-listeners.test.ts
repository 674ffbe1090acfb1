// The abort listeners a chat call's attempts add, over failovers and a long stream: none is left
// on the call's signal once its attempt ends, and none is added per chunk to the attempt's. The
// call's signal is a long-lived one here, as a Responses WebSocket connection's is (every turn's
// call shares it): a listener left per attempt would pile up over the connection's turns (Node
// warns past 10) and hold each attempt's closure. Upstreams: a loopback server (two deployments
// that fail with a 500, one that streams 200 chunks), called through the real OpenAI-compatible
// adapter and HTTP client (undici).
import { createServer, type Server } from 'node:http';
import { getEventListeners } from 'node:events';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenServerInRange } from '../../test/helpers/listen-in-range.js';
import { simDeployment } from '../../test/helpers/test-config.js';
import { parseConfig } from '../config/load-config.js';
import { createManualClock } from '../core/clock.js';
import { createHttpClient } from '../providers/http-client.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import type { ProviderAdapter, UpstreamRequest } from '../providers/types.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { executeWithFailover, type ExecutionResult } from './execute-with-failover.js';
import type { ChatCall } from './gateway-types.js';

const CHUNKS = 200;

let server: Server;
let base = '';
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/down')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'down', type: 'server_error' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      for (let i = 0; i < CHUNKS; i++) res.write(chunk({ content: `w${i} ` }));
      res.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  base = `http://127.0.0.1:${await listenServerInRange(server, 47_187, 47_193)}`;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
);

/** Deployments `down1`, `down2` (a 500 each) and `up` (the stream), in that order. */
function fleet() {
  const input = testConfigInput({ deployments: [], routers: [] });
  const at = (name: string, path: string) =>
    simDeployment(name, {
      provider: 'openai-compatible',
      model: name,
      baseUrl: `${base}/${path}/v1`,
      simulation: undefined,
    });
  input.deployments = [at('down1', 'down'), at('down2', 'down'), at('up', 'up')];
  return parseConfig(input, {}).config.deployments;
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe("a chat call's attempts and the abort listeners they add", () => {
  it('over two failovers and a 200-chunk stream: one listener on the call signal while the stream is read, none after; none added per chunk', async () => {
    const deployments = fleet();
    const http = createHttpClient();
    /** Each attempt's signal, as the adapter got it. */
    const attemptSignals: AbortSignal[] = [];
    const adapters = new Map<string, ProviderAdapter>();
    for (const d of deployments) {
      const real = createOpenAiAdapter(d, http, {});
      adapters.set(d.name, {
        ...real,
        chatStream: (req: UpstreamRequest) => {
          attemptSignals.push(req.signal);
          return real.chatStream(req);
        },
      });
    }
    // A long-lived signal, as a WebSocket connection's: it outlives every call made under it.
    const connection = new AbortController();
    const call = {
      request: { model: 'up', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      endpoint: 'chat',
      signal: connection.signal,
      requestId: 'req_listeners',
    } as unknown as ChatCall;
    const clock = createManualClock();
    const run = async () => {
      const result = (await executeWithFailover({
        call,
        ordered: deployments,
        adapters: { adapterFor: (d) => adapters.get(d.name)! },
        breakers: new CircuitBreakers(clock, { failureThreshold: 100, windowMs: 1, openMs: 1 }),
        clock,
        promptTokens: 1,
      })) as Extract<ExecutionResult, { kind: 'stream' }>;
      expect(result.kind).toBe('stream');
      expect(result.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
        ['down1', 'error'],
        ['down2', 'error'],
        ['up', 'ok'],
      ]);
      const serving = attemptSignals.at(-1)!;
      // The failed attempts' listeners are gone; the serving one's is on until the stream ends.
      const onCall: number[] = [abortListeners(connection.signal)];
      const onAttempt: number[] = [abortListeners(serving)];
      let chunks = 0;
      for (;;) {
        const r = await result.next();
        if (r.done) break;
        chunks++;
        onCall.push(abortListeners(connection.signal));
        onAttempt.push(abortListeners(serving));
      }
      result.end(true);
      expect(chunks).toBe(CHUNKS); // the first was peeked; the finish chunk is one more
      // Constant over the stream: none added per chunk, to the call's signal or the attempt's.
      expect(new Set(onCall)).toEqual(new Set([1]));
      expect(new Set(onAttempt).size).toBe(1);
      // Ended: none left on the call's signal, nor on any attempt's.
      expect(abortListeners(connection.signal)).toBe(0);
      for (const s of attemptSignals) expect(abortListeners(s)).toBe(0);
    };
    // Twenty calls on the same long-lived signal (as twenty turns of one connection).
    for (let i = 0; i < 20; i++) {
      attemptSignals.length = 0;
      await run();
    }
    expect(abortListeners(connection.signal)).toBe(0);
  });
});
