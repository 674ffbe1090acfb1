// A stream whose headers Node refuses still starts, runs to its end and releases its events'
// source (before: writeHead threw, nothing was sent, the request hung and its upstream stayed
// open, counted in flight; input audit F3, providers audit F2, 2026-12-06).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
