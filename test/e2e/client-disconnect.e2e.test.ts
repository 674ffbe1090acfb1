// A client that goes away must not leave the router talking to the upstream: the built server in
// front of a loopback upstream that never finishes by itself (no answer to a JSON request; a
// stream's chunks until the router hangs up), so only the router's hang-up closes its connection,
// however slowly the machine runs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

let upstream: Server;
let server: SpawnedServer;
/** Per upstream request: chunks written, and whether the router hung up. */
const seen: { chunks: number; closedEarly: boolean }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const entry = { chunks: 0, closedEarly: false };
      seen.push(entry);
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      res.on('close', () => (entry.closedEarly = true));
      // A non-streaming answer that never comes.
      if (!stream) return;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // A chunk every 50 ms, for as long as the router listens.
      const timer = setInterval(() => {
        entry.chunks++;
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'slow', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] })}\n\n`,
        );
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  server = await spawnServer(
    testConfigInput({
      deployments: [
        simDeployment('slow', {
          provider: 'openai-compatible',
          model: 'slow',
          baseUrl: base,
          simulation: undefined,
        }),
      ],
      routers: [{ name: 'model-router', modelSubset: ['slow'] }],
    }),
  );
});

afterAll(async () => {
  await server?.stop();
  // A connection the router failed to close would keep close() waiting.
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** Until `check` holds; the budget only bounds how long a failure takes to show. */
async function waitFor(check: () => boolean, ms = 15_000): Promise<void> {
  const start = Date.now();
  while (!check() && Date.now() - start < ms) await new Promise((r) => setTimeout(r, 20));
}

describe('client disconnects', () => {
  it('a stream the client abandons is cut upstream too', async () => {
    seen.length = 0;
    const controller = new AbortController();
    const res = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'model-router',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the first bytes arrived
    controller.abort();
    await waitFor(() => seen[0]?.closedEarly === true);
    expect(seen[0]!.closedEarly).toBe(true);
    // And the router is fine afterwards.
    const health = await fetch(`${server.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
  });

  it('a non-streaming request the client abandons is cancelled upstream', async () => {
    seen.length = 0;
    const controller = new AbortController();
    const pending = fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] }),
      signal: controller.signal,
    }).catch((e: Error) => e);
    await waitFor(() => seen.length === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor(() => seen[0]?.closedEarly === true);
    expect(seen[0]).toMatchObject({ closedEarly: true });
  });
});
