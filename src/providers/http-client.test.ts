// The upstream client's connections per origin (fault audit F11, 2026-12-06): the cap is the
// config's `server.upstreamConnectionsPerOrigin` (1024 by default; it was 128, fixed, so 130 long
// streams to one deployment made a call to an idle one on the same origin wait out its timeout).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { waitFor } from '../../test/helpers/wait-for.js';

let server: Server | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
  }
  server = client = undefined;
});

/** A loopback upstream that holds every request open until `release()`; counts its sockets. */
async function holdingUpstream() {
  const held: (() => void)[] = [];
  let sockets = 0;
  server = createServer((_req, res) => held.push(() => res.end('{}')));
  server.on('connection', () => sockets++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v1/chat/completions`),
    sockets: () => sockets,
    held: () => held.length,
    release: () => held.splice(0).forEach((f) => f()),
  };
}

describe('createHttpClient', () => {
  it('opens at most `connections` sockets to one origin; the calls past it wait for one', async () => {
    const up = await holdingUpstream();
    client = createHttpClient({ connections: 3 });
    const calls = Array.from({ length: 5 }, () =>
      client!.request({
        url: up.url,
        headers: {},
        body: '{}',
        signal: new AbortController().signal,
      }),
    );
    await waitFor(() => expect(up.held()).toBe(3));
    await new Promise((r) => setTimeout(r, 50));
    expect(up.sockets()).toBe(3);
    expect(up.held()).toBe(3);
    up.release();
    await waitFor(() => expect(up.held()).toBe(2));
    up.release();
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(200);
      for await (const _ of res.body) void _;
    }
    expect(up.sockets()).toBe(3);
  });

  it('tells the client why an upstream could not be reached, not where it is (fault audit F9)', async () => {
    const up = await holdingUpstream();
    const port = up.url.port;
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
    client = createHttpClient();
    const err = await client
      .request({ url: up.url, headers: {}, body: '{}', signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable', retryable: true });
    const message = (err as Error).message;
    expect(message).toBe('Could not reach the upstream: ECONNREFUSED: connection refused');
    expect(message).not.toContain('127.0.0.1');
    expect(message).not.toContain(port);
  });

  it('is 1024 by default in the config, and a setting of its own', () => {
    const input = testConfigInput();
    expect(parseConfig({ ...input, server: {} }).config.server.upstreamConnectionsPerOrigin).toBe(
      1024,
    );
    expect(
      parseConfig({ ...input, server: { upstreamConnectionsPerOrigin: 4096 } }).config.server
        .upstreamConnectionsPerOrigin,
    ).toBe(4096);
  });
});
