// A stream whose headers Node refuses still starts, runs to its end and releases its events'
// source (before: writeHead threw, nothing was sent, the request hung and its upstream stayed
// open, counted in flight; input audit F3, providers audit F2, 2026-12-06).
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { writeSseStream, type SseEvent } from './sse-writer.js';

const servers: { close(cb: () => void): void }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

describe('writeSseStream', () => {
  it('starts with the refused header made safe, and ends the stream and its source', async () => {
    let released = false;
    async function* events(): AsyncGenerator<SseEvent> {
      try {
        yield { data: 'one' };
        yield { data: 'two' };
      } finally {
        released = true;
      }
    }
    const server = createServer((_req, res) => {
      void writeSseStream(res, events(), {
        headers: { 'x-router-warnings': 'range 0–1, 中文\nx' },
        errorEvents: () => [],
        trailer: [{ data: '[DONE]' }],
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-router-warnings')).toBe('range 0-1, ?? x');
    expect(await res.text()).toBe('data: one\n\ndata: two\n\ndata: [DONE]\n\n');
    expect(released).toBe(true);
  });
});

describe('writeSseStream writes', () => {
  it('sends the last burst and the end of a stream in one write when the end follows on the next tick', async () => {
    // As an upstream body whose last events and end come in one read: its end is seen a tick
    // later (Node emits a stream's `end` on the next tick). Before, the burst left on that same
    // tick and the trailer and end in a second write: one more syscall a stream.
    async function* events(): AsyncGenerator<SseEvent> {
      yield { data: 'one' };
      yield { data: 'two' };
      await new Promise<void>((r) => process.nextTick(r));
    }
    const writes: string[] = [];
    const server = createServer((_req, res) => {
      const write = res.write.bind(res) as (chunk: string) => boolean;
      const end = res.end.bind(res) as (chunk?: string) => void;
      res.write = ((chunk: string) => (writes.push(chunk), write(chunk))) as typeof res.write;
      res.end = ((chunk?: string) => {
        if (chunk) writes.push(chunk);
        end(chunk);
        return res;
      }) as typeof res.end;
      void writeSseStream(res, events(), {
        headers: {},
        errorEvents: () => [],
        trailer: [{ data: '[DONE]' }],
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(await res.text()).toBe('data: one\n\ndata: two\n\ndata: [DONE]\n\n');
    expect(writes).toEqual(['data: one\n\ndata: two\n\ndata: [DONE]\n\n']);
  });
});

describe('writeSseStream backpressure', () => {
  it("ends a stream through inject whose response filled its socket: it waits on the socket's drain", async () => {
    // Fastify's inject (light-my-request) gives the response an in-memory socket that takes one
    // chunk per turn, and nothing relays that socket's `drain` to the response as Node's server
    // does: once a burst passed the socket's 16 KB the response said "full" for good, and the next
    // event waited forever (100 simulated streams at once through inject: 39 never ended).
    const big = 'x'.repeat(64 * 1024);
    async function* events(): AsyncGenerator<SseEvent> {
      yield { data: big };
      await new Promise((r) => setTimeout(r, 1)); // the burst is written before the next event
      yield { data: 'after' };
    }
    const app = Fastify();
    app.get('/', (_req, reply) => {
      reply.hijack();
      return writeSseStream(reply.raw, events(), { headers: {}, errorEvents: () => [] });
    });
    let guard: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      app.inject({ method: 'GET', url: '/' }).then((r) => r.body),
      new Promise<string>((r) => (guard = setTimeout(() => r('still waiting'), 10_000))),
    ]);
    clearTimeout(guard);
    await app.close();
    expect(outcome).toBe(`data: ${big}\n\ndata: after\n\n`);
  });
});

describe('writeSseStream and a client that stops reading', () => {
  it('pulls no more events while the real socket is full, and sends them all once it reads', async () => {
    // The real server's side of the drain above, now waited on at the socket (with no wait for
    // drain at all the writer pulls all 24 while the client reads nothing).
    const EVENTS = 24;
    const piece = 'y'.repeat(512 * 1024); // 12 MB in all: past loopback's socket buffers (≈4.5 MB here)
    let pulled = 0;
    async function* events(): AsyncGenerator<SseEvent> {
      for (let i = 0; i < EVENTS; i++) {
        pulled++;
        yield { data: piece };
        await new Promise((r) => setImmediate(r));
      }
    }
    const server = createServer((_req, res) => {
      void writeSseStream(res, events(), { headers: {}, errorEvents: () => [] });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.pause();
    socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    // Until the writer stops pulling (20 checks alike in a row), at most 5 s.
    for (let same = 0, last = -1, i = 0; same < 20 && i < 500; i++) {
      await new Promise((r) => setTimeout(r, 10));
      same = pulled === last ? same + 1 : 0;
      last = pulled;
    }
    const whilePaused = pulled;
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await new Promise((r) => socket.once('close', r));
    expect(whilePaused).toBeLessThan(EVENTS);
    expect(received).toBeGreaterThan(EVENTS * piece.length);
  });
});
