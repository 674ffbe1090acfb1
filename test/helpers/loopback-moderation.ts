// A loopback OpenAI-compatible upstream for the content filter's moderation checks, called
// through the real adapter and HTTP client: it records each `/v1/moderations` input, answers
// "not flagged", and holds the requests a test names until it releases them (a check still at the
// moderation upstream when the client leaves). Any other path is a chat upstream's SSE answer,
// written by `chat` (the head already sent). Sockets are cut on close.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../../src/config/schema.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { listenServerInRange } from './listen-in-range.js';

export interface LoopbackModeration {
  base: string;
  /** Writes a chat request's SSE answer (left open: until the router hangs up). */
  chat: (res: ServerResponse) => void;
  /** The moderation inputs received, in order. */
  inputs: string[];
  /** Moderation requests (1-based, in order of arrival) held until `release(n)`. */
  held: Set<number>;
  /** Moderation requests answered, in order. */
  answered: number[];
  /** Called once moderation request `n` was answered. */
  onAnswered?: (n: number) => void;
  release(n: number): void;
  /** Between tests: held requests released, what was received forgotten, `onAnswered` unset. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * `pricedModerationApp`'s `adapters`: the simulated fleet's, with each OpenAI-compatible
 * deployment (those on the loopback) called through the real adapter and HTTP client.
 */
export function realOpenAiCompatible(): (
  simulated: Record<string, ProviderAdapter>,
  config: Config,
) => Record<string, ProviderAdapter> {
  const http = createHttpClient();
  return (simulated, config) => {
    const real: Record<string, ProviderAdapter> = {};
    for (const d of config.deployments)
      if (d.provider === 'openai-compatible') real[d.name] = createOpenAiAdapter(d, http, {});
    return { ...simulated, ...real };
  };
}

/** The upstream, listening on 127.0.0.1 on a port from `from` to `to`. */
export async function startLoopbackModeration(
  from: number,
  to: number,
): Promise<LoopbackModeration> {
  const sockets = new Set<Socket>();
  const waiting = new Map<number, () => void>();
  const loop: LoopbackModeration = {
    base: '',
    chat: (res) => res.end(),
    inputs: [],
    held: new Set(),
    answered: [],
    release(n) {
      this.held.delete(n);
      waiting.get(n)?.();
      waiting.delete(n);
    },
    reset() {
      for (const n of [...this.held]) this.release(n);
      this.inputs = [];
      this.answered = [];
      this.onAnswered = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url !== '/v1/moderations') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        loop.chat(res);
        return;
      }
      loop.inputs.push(String((JSON.parse(body) as { input: unknown }).input));
      const n = loop.inputs.length;
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: `modr-${n}`,
            model: 'omni-moderation-latest',
            results: [{ flagged: false, categories: {}, category_scores: {} }],
          }),
        );
        loop.answered.push(n);
        loop.onAnswered?.(n);
      };
      if (loop.held.has(n)) waiting.set(n, answer);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  loop.base = `http://127.0.0.1:${await listenServerInRange(server, from, to)}`;
  return loop;
}
