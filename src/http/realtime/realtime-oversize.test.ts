// An upstream realtime message past `server.bodyLimitBytes`, through the whole router
// (createRuntime on 127.0.0.1, the `ws` client) against a scripted upstream WebSocket server on
// loopback: a message of exactly the limit passes; one byte more is not relayed, the client gets an
// `error` event `upstream_message_too_large` and close 1011, the upstream gets 1009, the session is
// recorded 502, and however often it happens the deployment's circuit breaker stays closed. A
// client message past the limit, the other way round: the client gets 1009 (ws closes it at once,
// so no event can precede it), the upstream is closed, the session is recorded 413
// `client_message_too_large`, not as a client that left (499).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_BREAKER } from '../../gateway/circuit-breaker.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { simDeployment, testConfig, testConfigInput } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

const LIMIT = 64 * 1024;
type Event = Record<string, unknown> & { type: string };

/** An upstream event of exactly `bytes` bytes. */
const eventOf = (bytes: number) => {
  const shell = JSON.stringify({ type: 'response.output_audio.delta', delta: '' });
  return JSON.stringify({
    type: 'response.output_audio.delta',
    delta: 'A'.repeat(bytes - shell.length),
  });
};

/** Upstream sessions: how each was closed. */
const upstreamConns: { closed?: number }[] = [];
const sessions: RequestRecord[] = [];
let upstream: WebSocketServer;
let rt: Runtime;
let base: string;

beforeAll(async () => {
  vi.stubEnv('RT_BIG_KEY', 'sk-upstream');
  upstream = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  upstream.on('connection', (ws) => {
    const conn: (typeof upstreamConns)[number] = {};
    upstreamConns.push(conn);
    ws.on('close', (code) => (conn.closed = code));
    ws.send(JSON.stringify({ type: 'session.created', session: { id: 'sess_up' } }));
    ws.on('message', (data) => {
      const type = (JSON.parse(String(data)) as Event).type;
      if (type === 'fit') ws.send(eventOf(LIMIT));
      if (type === 'big') ws.send(eventOf(LIMIT + 1));
    });
  });
  await new Promise((resolve) => upstream.on('listening', resolve));
  const input = testConfigInput();
  rt = await createRuntime(
    testConfig({
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimitBytes: LIMIT },
      deployments: [
        ...input.deployments,
        simDeployment('rt-big', {
          provider: 'openai',
          kind: 'realtime',
          model: 'rt-big-model',
          baseUrl: `http://127.0.0.1:${(upstream.address() as { port: number }).port}/v1`,
          apiKeyEnv: 'RT_BIG_KEY',
          maxOutputTokens: undefined,
        }),
      ],
    }),
    { recorder: { record: (r) => void (r.endpoint === 'realtime.session' && sessions.push(r)) } },
  );
  base = (await rt.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
});

afterAll(async () => {
  await rt?.close();
  upstream.close();
  vi.unstubAllEnvs();
});

/** A client on rt-big: the sizes of the frames it got (parsed), and its close. */
async function open(requestId?: string) {
  const ws = new WebSocket(`${base}/v1/realtime?model=rt-big`, {
    headers: requestId ? { 'x-request-id': requestId } : {},
  });
  const events: (Event & { bytes: number })[] = [];
  ws.on('message', (d) => {
    const text = String(d);
    events.push({ ...(JSON.parse(text) as Event), bytes: Buffer.byteLength(text) });
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await waitFor(() => expect(events[0]?.type).toBe('session.created'));
  return { ws, events, closed, conn: upstreamConns.at(-1)! };
}

describe('an upstream realtime message past server.bodyLimitBytes', () => {
  it('passes one of exactly the limit; one byte more ends the session (1011), not relayed', async () => {
    const c = await open();
    c.ws.send('{"type":"fit"}');
    await waitFor(() => expect(c.events).toHaveLength(2));
    expect(c.events[1]).toMatchObject({ type: 'response.output_audio.delta', bytes: LIMIT });

    c.ws.send('{"type":"big"}');
    expect(await c.closed).toEqual({
      code: 1011,
      reason: `upstream_message_too_large: a message over ${LIMIT} bytes`,
    });
    // Not relayed: after the delta that fit, only the error event.
    expect(c.events).toHaveLength(3);
    expect(c.events[2]).toMatchObject({
      type: 'error',
      event_id: expect.stringMatching(/^event_router_/),
      error: {
        type: 'server_error',
        code: 'upstream_message_too_large',
        message: expect.stringContaining(`larger than ${LIMIT} bytes (server.bodyLimitBytes)`),
        event_id: null,
      },
    });
    // The router refused the upstream's message as a receiver does (1009 "message too big").
    await waitFor(() => expect(c.conn.closed).toBe(1009));
    await waitFor(() =>
      expect(sessions.map((s) => [s.deployment, s.status, s.errorCode])).toEqual([
        ['rt-big', 502, 'upstream_message_too_large'],
      ]),
    );
  });

  it('does not count against the deployment: its circuit stays closed', async () => {
    for (let i = 0; i < DEFAULT_BREAKER.failureThreshold + 1; i++) {
      const c = await open();
      c.ws.send('{"type":"big"}');
      expect((await c.closed).code).toBe(1011);
    }
    const ready = (await (await fetch(`${base.replace('ws', 'http')}/readyz`)).json()) as unknown;
    expect(JSON.stringify(ready)).toContain('rt-big');
    expect(JSON.stringify(ready)).not.toMatch(/"rt-big"[^}]*"open"|"open"[^}]*"rt-big"/);
    // A new session still opens on it.
    const c = await open();
    c.ws.close();
    await c.closed;
  });
});

describe('a client realtime message past server.bodyLimitBytes', () => {
  it('closes the client 1009 and the upstream, and records the session 413 client_message_too_large', async () => {
    const c = await open('req_rt_client_big');
    c.ws.send('x'.repeat(LIMIT + 1));
    expect(await c.closed).toMatchObject({ code: 1009 });
    // Nothing was relayed, and nothing came after the session's first event.
    expect(c.events.map((e) => e.type)).toEqual(['session.created']);
    await waitFor(() => expect(c.conn.closed).toBe(1000));
    await waitFor(() =>
      expect(
        sessions
          .filter((s) => s.requestId === 'req_rt_client_big')
          .map((s) => [s.deployment, s.status, s.errorCode]),
      ).toEqual([['rt-big', 413, 'client_message_too_large']]),
    );
  });
});
