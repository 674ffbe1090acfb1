// Where a realtime deployment's session is opened: OpenAI's path under its base URL, Azure's GA
// v1 path, or Azure's preview path for a `-preview` api-version (Microsoft Learn, "Use the GPT
// Realtime API via WebSockets"); ws: for http, wss: for https. A session cancelled before it
// began opens no connection, and a typed cancel reason (the router shutting down) is its error.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import { openRealtimeSocket, realtimeUrl } from './openai-realtime.js';

const deployment = (fields: Record<string, unknown>) =>
  deploymentSchema.parse({
    name: 'rt',
    model: 'gpt-realtime',
    kind: 'realtime',
    prices: { inputPer1M: 4, outputPer1M: 16 },
    contextWindow: 32_000,
    ...fields,
  });

describe('realtimeUrl', () => {
  it("is OpenAI's /realtime?model= under the base URL", () => {
    expect(String(realtimeUrl(deployment({ provider: 'openai' })))).toBe(
      'wss://api.openai.com/v1/realtime?model=gpt-realtime',
    );
    expect(
      String(
        realtimeUrl(
          deployment({ provider: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1/' }),
        ),
      ),
    ).toBe('ws://10.0.0.5:8000/v1/realtime?model=gpt-realtime');
  });

  it("is Azure's GA v1 path, or its preview path for a -preview api-version", () => {
    const azure = { provider: 'azure', baseUrl: 'https://res.openai.azure.com' };
    expect(String(realtimeUrl(deployment({ ...azure, apiVersion: '2025-08-28' })))).toBe(
      'wss://res.openai.azure.com/openai/v1/realtime?model=gpt-realtime',
    );
    expect(String(realtimeUrl(deployment({ ...azure, apiVersion: '2025-04-01-preview' })))).toBe(
      'wss://res.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-realtime',
    );
  });
});

describe('openRealtimeSocket, cancelled', () => {
  /** A loopback upstream that counts the connections made to it and answers none. */
  const upstream = createServer();
  let connections = 0;
  upstream.on('connection', (socket) => {
    connections++;
    socket.destroy();
  });
  let baseUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`;
  });
  afterAll(() => void upstream.close());

  const open = (signal: AbortSignal) =>
    openRealtimeSocket(
      {
        deployment: deployment({ provider: 'openai', baseUrl }),
        signal,
        requestId: 'req_1',
        listener: { message: () => {}, closed: () => {}, oversized: () => {} },
        maxMessageBytes: 1024,
      },
      'sk-upstream',
    );

  it("before it began: no connection; the caller's typed reason, else 499", async () => {
    const shutdown = new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'router_shutting_down',
      message: 'The router is shutting down.',
    });
    await expect(open(AbortSignal.abort(shutdown))).rejects.toBe(shutdown);
    await expect(open(AbortSignal.abort())).rejects.toMatchObject({
      status: 499,
      code: 'client_closed_request',
    });
    // A connection would have been counted by now: a refused open (below) is.
    await expect(open(new AbortController().signal)).rejects.toMatchObject({
      code: expect.stringMatching(/^upstream_/),
    });
    expect(connections).toBe(1);
  });
});
