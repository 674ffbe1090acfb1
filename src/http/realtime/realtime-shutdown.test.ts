// Realtime sessions when the router shuts down (runtime.close(), what SIGTERM runs), through the
// whole router on 127.0.0.1 with the `ws` client, against a scripted upstream WebSocket server on
// loopback: each client hears an `error` event `router_shutting_down`, then a close 1001; the session
// and the response it cut short are recorded 503; the upstream session is closed "going away".
// A session whose upstream is still opening is refused 503 `router_shutting_down` (an HTTP reply: its
// upgrade was not accepted), and shutdown does not wait for the upstream's handshake.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createRuntime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { simDeployment, testConfig, testConfigInput } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

type Event = Record<string, unknown> & { type: string };

/** Upstream sessions: what each received and how it was closed. */
const upstreamConns: { frames: string[]; closed?: { code: number; reason: string } }[] = [];
let upstream: WebSocketServer;
let upstreamUrl: string;
/** An upstream that takes each upgrade and never answers it: a session stays opening. */
let silent: Server;
const held: { socket: Socket; ended: boolean }[] = [];

beforeAll(async () => {
  vi.stubEnv('RT_SHUT_KEY', 'sk-upstream');
  upstream = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  upstream.on('connection', (ws) => {
    const conn: (typeof upstreamConns)[number] = { frames: [] };
    upstreamConns.push(conn);
    ws.on('close', (code, reason) => (conn.closed = { code, reason: String(reason) }));
    ws.send(JSON.stringify({ type: 'session.created', session: { id: 'sess_up' } }));
    ws.on('message', (data) => {
      conn.frames.push(String(data));
      // A response that starts and is still running when the router goes.
      if ((JSON.parse(String(data)) as Event).type === 'response.create')
        ws.send(JSON.stringify({ type: 'response.created', response: { id: 'resp_1' } }));
    });
  });
  await new Promise((resolve) => upstream.on('listening', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`;
  silent = createServer();
  silent.on('upgrade', (_req, socket: Socket) => {
    const upgrade = { socket, ended: false };
    held.push(upgrade);
    // Read, so that the router's giving up (its FIN) is seen.
    socket.on('end', () => (upgrade.ended = true)).resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(() => {
  for (const { socket } of held) socket.destroy();
  silent.close();
  upstream.close();
  vi.unstubAllEnvs();
});

/** A runtime with realtime deployment `rt-up` on `baseUrl`; its records go to `records`. */
async function runtimeWith(baseUrl: string, records: RequestRecord[]) {
  const input = testConfigInput();
  return createRuntime(
    testConfig({
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent' },
      deployments: [
        ...input.deployments,
        simDeployment('rt-up', {
          provider: 'openai',
          kind: 'realtime',
          model: 'rt-up-model',
          baseUrl,
          apiKeyEnv: 'RT_SHUT_KEY',
          maxOutputTokens: undefined,
        }),
      ],
    }),
    { recorder: { record: (r) => void records.push(r) } },
  );
}

describe('realtime sessions on shutdown', () => {
  it('tells each client router_shutting_down, closes it 1001, records 503 and closes the upstream', async () => {
    const records: RequestRecord[] = [];
    const rt = await runtimeWith(upstreamUrl, records);
    const base = (await rt.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const ws = new WebSocket(`${base}/v1/realtime?model=rt-up`);
    const events: Event[] = [];
    ws.on('message', (d) => void events.push(JSON.parse(String(d)) as Event));
    const closed = new Promise<{ code: number; reason: string; events: number }>((resolve) =>
      ws.on('close', (code, reason) =>
        resolve({ code, reason: String(reason), events: events.length }),
      ),
    );
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'response.create', event_id: 'ev_c1' }));
    await waitFor(() => expect(events.at(-1)?.type).toBe('response.created'));

    await rt.close();

    const close = await closed;
    expect(close).toMatchObject({
      code: 1001,
      reason: expect.stringMatching(/^router_shutting_down/),
    });
    // The error event came before the close, and last.
    expect(close.events).toBe(events.length);
    expect(events.at(-1)).toEqual({
      type: 'error',
      event_id: expect.stringMatching(/^event_router_/),
      error: {
        type: 'server_error',
        code: 'router_shutting_down',
        message: expect.stringContaining('shutting down'),
        param: null,
        event_id: null,
      },
    });
    await waitFor(() =>
      expect(upstreamConns[0]?.closed).toEqual({
        code: 1001,
        reason: 'the router is shutting down',
      }),
    );
    const realtime = records.filter((r) => r.endpoint.startsWith('realtime'));
    expect(realtime.map((r) => [r.endpoint, r.deployment, r.status, r.errorCode])).toEqual([
      ['realtime', 'rt-up', 503, 'router_shutting_down'],
      ['realtime.session', 'rt-up', 503, 'router_shutting_down'],
    ]);
  });

  it('refuses a session still opening its upstream with 503 router_shutting_down, and does not wait for it', async () => {
    const records: RequestRecord[] = [];
    const rt = await runtimeWith(
      `http://127.0.0.1:${(silent.address() as { port: number }).port}/v1`,
      records,
    );
    const base = (await rt.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const ws = new WebSocket(`${base}/v1/realtime?model=rt-up`);
    const refused = new Promise<{ status?: number; body: string }>((resolve, reject) => {
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += String(b)));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
    });
    ws.on('error', () => {});
    // The router is opening the upstream session: its upgrade has reached the silent upstream.
    await waitFor(() => expect(held).toHaveLength(1));

    await rt.close();

    const reply = await refused;
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({
      error: {
        type: 'server_error',
        code: 'router_shutting_down',
        message: expect.stringContaining('shutting down'),
        param: null,
      },
    });
    // The router gave up its upstream handshake.
    await waitFor(() => expect(held[0]?.ended).toBe(true));
    const realtime = records.filter((r) => r.endpoint.startsWith('realtime'));
    expect(realtime.map((r) => [r.endpoint, r.deployment, r.status, r.errorCode])).toEqual([
      ['realtime', 'rt-up', 503, 'router_shutting_down'],
    ]);
  });
});
