// Realtime sessions when the router shuts down (runtime.close(), what SIGTERM runs), through the
// whole router on 127.0.0.1 with the `ws` client, against a scripted upstream WebSocket server on
// loopback: each client hears an `error` event `server_shutdown`, then a close 1001; the session
// and the response it cut short are recorded 503; the upstream session is closed "going away".
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createRuntime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { simDeployment, testConfig, testConfigInput } from '../../../test/helpers/test-config.js';

type Event = Record<string, unknown> & { type: string };

/** Upstream sessions: what each received and how it was closed. */
const upstreamConns: { frames: string[]; closed?: { code: number; reason: string } }[] = [];
let upstream: WebSocketServer;
let upstreamUrl: string;

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
});

afterAll(() => {
  upstream.close();
  vi.unstubAllEnvs();
});

describe('realtime sessions on shutdown', () => {
  it('tells each client server_shutdown, closes it 1001, records 503 and closes the upstream', async () => {
    const records: RequestRecord[] = [];
    const input = testConfigInput();
    const rt = await createRuntime(
      testConfig({
        server: { host: '127.0.0.1', port: 0, logLevel: 'silent' },
        deployments: [
          ...input.deployments,
          simDeployment('rt-up', {
            provider: 'openai',
            kind: 'realtime',
            model: 'rt-up-model',
            baseUrl: upstreamUrl,
            apiKeyEnv: 'RT_SHUT_KEY',
            maxOutputTokens: undefined,
          }),
        ],
      }),
      { recorder: { record: (r) => void records.push(r) } },
    );
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
    await vi.waitFor(() => expect(events.at(-1)?.type).toBe('response.created'));

    await rt.close();

    const close = await closed;
    expect(close).toMatchObject({
      code: 1001,
      reason: expect.stringMatching(/^server_shutdown/),
    });
    // The error event came before the close, and last.
    expect(close.events).toBe(events.length);
    expect(events.at(-1)).toEqual({
      type: 'error',
      event_id: expect.stringMatching(/^event_router_/),
      error: {
        type: 'server_error',
        code: 'server_shutdown',
        message: expect.stringContaining('shutting down'),
        param: null,
        event_id: null,
      },
    });
    await vi.waitFor(() =>
      expect(upstreamConns[0]?.closed).toEqual({
        code: 1001,
        reason: 'the router is shutting down',
      }),
    );
    const realtime = records.filter((r) => r.endpoint.startsWith('realtime'));
    expect(realtime.map((r) => [r.endpoint, r.deployment, r.status, r.errorCode])).toEqual([
      ['realtime', 'rt-up', 503, 'server_shutdown'],
      ['realtime.session', 'rt-up', 503, 'server_shutdown'],
    ]);
  });
});
