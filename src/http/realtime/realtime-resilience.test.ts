// The realtime proxy under a slow or failing side, through the whole router (createRuntime on
// 127.0.0.1) against a scripted upstream WebSocket server on loopback. Backpressure: an upstream
// flooding a client that does not read, and a client flooding an upstream that does not read, never
// make the router queue much past `realtime.maxBufferedBytes` (read from the sockets' own
// `bufferedAmount` and the session's log line, not from timings); a side stalled past
// `realtime.maxStalledSeconds` ends the session with its reason. Failures: an upstream that breaks
// mid-session (1006, 1011) gets the client an `error` event and close 1011 and counts against the
// deployment's circuit breaker, until new sessions are refused; a client's close does not count.
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { hashApiKey } from '../../auth/api-key.js';
import { DEFAULT_BREAKER } from '../../gateway/circuit-breaker.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { metricsText } from '../../telemetry/metrics.js';
import type { RequestRecord } from '../../store/request-record.js';
import { simDeployment, testConfig, testConfigInput } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

const KEY = 'mr-rt-res-key-0123456789abcdef';
/** The pause mark under test, and what may pass it: the frames of one socket read already parsed. */
const HIGH = 256 * 1024;
const SLACK = 256 * 1024;
/** A flood: far more than the mark and every kernel buffer on the way (loopback's rmem ≤ 32 MiB). */
const FRAME = 64 * 1024;
const FRAMES = 1_536;
/**
 * The backpressure tests' own limit: above the sum of the waits a flood test allows itself (96 MiB
 * through two sockets took 27 s of the default 30 s with the machine loaded).
 */
const FLOOD_TEST_MS = 120_000;

/**
 * Waits until `count()` is `total` for as long as it keeps growing: a flood that stalls fails
 * once nothing has come for waitFor's 10 s, one that is only slow (a loaded machine: 1,057 of
 * 1,537 frames in 30 s at load 16) has until the test's own limit.
 */
async function untilAll(count: () => number, total: number): Promise<void> {
  while (count() < total) {
    const seen = count();
    await waitFor(() => expect(count()).toBeGreaterThan(seen));
  }
  expect(count()).toBe(total);
}
type Event = Record<string, unknown> & { type: string };

/** Sends `total` frames on `ws`, never more than `cap` bytes queued on it; counts what was written. */
function pump(ws: WebSocket, total: number, frame: (i: number) => string, cap: number) {
  const s = { sent: 0, written: 0, waiting: false, done: false };
  const step = () => {
    s.waiting = false;
    while (s.sent < total && ws.bufferedAmount < cap && ws.readyState === WebSocket.OPEN) {
      s.sent++;
      ws.send(frame(s.sent - 1), (err) => {
        if (err) return;
        s.written++;
        if (s.written === total) s.done = true;
        else if (s.waiting && ws.bufferedAmount < cap) step();
      });
    }
    if (s.sent < total) s.waiting = true;
  };
  queueMicrotask(step);
  return s;
}

const delta = (i: number) =>
  JSON.stringify({
    type: 'response.output_audio.delta',
    response_id: 'resp_f',
    i,
    delta: 'A'.repeat(FRAME),
  });
const append = (i: number) =>
  JSON.stringify({ type: 'input_audio_buffer.append', i, audio: 'A'.repeat(FRAME) });

/** The scripted upstream: its connections, each with what it received and how it closed. */
function upstream() {
  const conns: {
    ws: WebSocket;
    frames: string[];
    closed?: number;
    flood?: ReturnType<typeof pump>;
  }[] = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    const conn: (typeof conns)[number] = { ws, frames: [] };
    conns.push(conn);
    ws.on('close', (code) => (conn.closed = code));
    ws.send(JSON.stringify({ type: 'session.created', session: { id: 'sess_up' } }));
    ws.on('message', (data) => {
      const text = String(data);
      conn.frames.push(text);
      const type = (JSON.parse(text) as Event).type;
      if (type === 'flood') conn.flood = pump(ws, FRAMES, delta, HIGH);
      // Stops reading: what the router sends on waits in the sockets.
      else if (type === 'deaf') ws.pause();
      else if (type === 'drop') ws.terminate();
      else if (type === 'crash') ws.close(1011, 'internal error');
      else if (type === 'response.create') {
        ws.send(JSON.stringify({ type: 'response.created', response: { id: 'resp_1' } }));
        ws.send(
          JSON.stringify({
            type: 'response.done',
            response: { id: 'resp_1', status: 'completed', usage: { total_tokens: 0 } },
          }),
        );
      }
    });
  });
  const url = new Promise<string>((resolve) =>
    server.on('listening', () => {
      const a = server.address() as { port: number };
      resolve(`http://127.0.0.1:${a.port}/v1`);
    }),
  );
  return { server, conns, url };
}

const up = upstream();
const sessions: RequestRecord[] = [];
const logLines: string[] = [];
let rt: Runtime;
let base: string;

beforeAll(async () => {
  vi.stubEnv('RT_RES_KEY', 'sk-upstream');
  const realtime = async (name: string) =>
    simDeployment(name, {
      provider: 'openai',
      kind: 'realtime',
      model: `${name}-model`,
      baseUrl: await up.url,
      apiKeyEnv: 'RT_RES_KEY',
      maxOutputTokens: undefined,
    });
  const input = testConfigInput();
  rt = await createRuntime(
    testConfig({
      server: { host: '127.0.0.1', port: 0, logLevel: 'info' },
      deployments: [...input.deployments, await realtime('rt-flood'), await realtime('rt-flaky')],
      realtime: { maxConnectionMinutes: 60, maxBufferedBytes: HIGH, maxStalledSeconds: 600 },
      auth: { mode: 'keys', keys: [{ id: 'k1', hash: hashApiKey(KEY), tenant: 'acme' }] },
    }),
    {
      recorder: { record: (r) => void (r.endpoint === 'realtime.session' && sessions.push(r)) },
      logStream: new Writable({
        write(chunk, _enc, done) {
          logLines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    },
  );
  base = (await rt.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
});

afterAll(async () => {
  await rt?.close();
  up.server.close();
  vi.unstubAllEnvs();
});

afterEach(() => {
  sessions.length = 0;
  logLines.length = 0;
});

/** Sets `realtime.maxStalledSeconds` for the sessions opened from now on. */
function stallAfter(seconds: number) {
  const config = rt.config.current.config;
  rt.config.apply({ ...config, realtime: { ...config.realtime, maxStalledSeconds: seconds } });
}

/** Opens a client on `model`; its frames (parsed), its close, and the upstream connection. */
async function open(model: string) {
  const before = up.conns.length;
  const ws = new WebSocket(`${base}/v1/realtime?model=${model}`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  const events: Event[] = [];
  ws.on('message', (d) => void events.push(JSON.parse(String(d)) as Event));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await waitFor(() => expect(events[0]?.type).toBe('session.created'));
  return { ws, events, closed, conn: up.conns[before]! };
}

/** The router's side of the newest client connection. */
const routerSide = () => [...rt.app.websocketServer.clients].at(-1)!;

/** The session's backpressure log line (written as it ends, when it paused at all). */
const backpressureLog = () =>
  logLines
    .map(
      (l) =>
        JSON.parse(l) as {
          msg: string;
          pauses: { upstream: number; client: number };
          peakBufferedBytes: { toClient: number; toUpstream: number };
        },
    )
    .find((l) => l.msg.startsWith('realtime: backpressure'));

/** How many times sessions on rt-flood paused reading `paused` (the metric). */
async function pauses(paused: 'client' | 'upstream'): Promise<number> {
  const name = `model_router_realtime_backpressure_pauses_total{deployment="rt-flood",paused="${paused}"}`;
  const line = (await metricsText()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

/** Whether a new session on `model` is refused, and how. */
function refusal(model: string) {
  return new Promise<{ status: number; code?: string }>((resolve) => {
    const ws = new WebSocket(`${base}/v1/realtime?model=${model}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += String(b)));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          code: (JSON.parse(text) as { error: { code: string } }).error.code,
        }),
      );
    });
  });
}

describe('realtime backpressure', { timeout: FLOOD_TEST_MS }, () => {
  it('stops reading a flooding upstream while the client does not read, and loses nothing', async () => {
    stallAfter(600);
    const before = await pauses('upstream');
    const c = await open('rt-flood');
    // What the router has queued for the client, read each time it queues one more frame.
    const client = routerSide();
    let most = 0;
    const send = client.send.bind(client) as (...args: unknown[]) => void;
    client.send = ((...args: unknown[]) => {
      send(...args);
      most = Math.max(most, client.bufferedAmount);
    }) as typeof client.send;
    c.ws.pause();
    c.ws.send('{"type":"flood"}');
    await waitFor(() => expect(c.conn.flood).toBeDefined());
    const flood = c.conn.flood!;
    // The client's buffers fill up until the router's queue for it passes the mark…
    await waitFor(() => expect(client.bufferedAmount).toBeGreaterThan(HIGH), {
      timeout: 15_000,
    });
    // …and then the router has stopped reading: the upstream is held back, far from done.
    await waitFor(async () => expect(await pauses('upstream')).toBe(before + 1));
    await waitFor(() => expect(flood.waiting).toBe(true));
    expect(flood.done).toBe(false);
    expect(flood.written).toBeLessThan(FRAMES);

    c.ws.resume();
    await untilAll(() => c.events.length, FRAMES + 1);
    expect(flood.done).toBe(true);
    // Every frame, in order.
    expect(c.events.slice(1).every((e, i) => e.i === i)).toBe(true);
    // The router never held much more than the mark for the client.
    expect(most).toBeGreaterThan(HIGH);
    expect(most).toBeLessThanOrEqual(HIGH + SLACK);
    c.ws.close();
    await c.closed;
    await waitFor(() => expect(backpressureLog()).toBeDefined());
    const log = backpressureLog()!;
    expect(log.pauses.upstream).toBeGreaterThanOrEqual(1);
    expect(log.peakBufferedBytes.toClient).toBeLessThanOrEqual(HIGH + SLACK);
    expect(sessions).toMatchObject([
      { deployment: 'rt-flood', status: 499, errorCode: 'client_closed_request' },
    ]);
  });

  it('stops reading a flooding client while the upstream does not read, and loses nothing', async () => {
    stallAfter(600);
    const before = await pauses('client');
    const c = await open('rt-flood');
    c.ws.send('{"type":"deaf"}');
    await waitFor(() => expect(c.conn.frames).toEqual(['{"type":"deaf"}']));
    const flood = pump(c.ws, FRAMES, append, HIGH);
    // What the router queues for the upstream passes the mark: it stops reading the client…
    await waitFor(async () => expect(await pauses('client')).toBe(before + 1), {
      timeout: 15_000,
    });
    // …whose own queue then backs up, far from done.
    await waitFor(() => expect(c.ws.bufferedAmount).toBeGreaterThanOrEqual(HIGH), {
      timeout: 15_000,
    });
    expect(flood.waiting).toBe(true);
    expect(flood.written).toBeLessThan(FRAMES);

    c.conn.ws.resume();
    await untilAll(() => c.conn.frames.length, FRAMES + 1);
    expect(flood.done).toBe(true);
    expect(c.conn.frames.slice(1).every((f, i) => (JSON.parse(f) as { i: number }).i === i)).toBe(
      true,
    );
    c.ws.close();
    await c.closed;
    await waitFor(() => expect(backpressureLog()).toBeDefined());
    const log = backpressureLog()!;
    expect(log.pauses.client).toBeGreaterThanOrEqual(1);
    // What the router queued for the upstream stayed near the mark.
    expect(log.peakBufferedBytes.toUpstream).toBeGreaterThan(HIGH);
    expect(log.peakBufferedBytes.toUpstream).toBeLessThanOrEqual(HIGH + SLACK);
  });

  it('closes a session whose client reads nothing for maxStalledSeconds (1008 client_too_slow)', async () => {
    stallAfter(0.2);
    const c = await open('rt-flood');
    c.ws.pause();
    c.ws.send('{"type":"flood"}');
    // The router gives up: the upstream session is closed, then the session recorded.
    await waitFor(() => expect(c.conn.closed).toBe(1000), { timeout: 15_000 });
    expect(c.conn.flood!.done).toBe(false);
    expect(sessions).toMatchObject([
      { deployment: 'rt-flood', status: 408, errorCode: 'client_too_slow' },
    ]);
    // Once it reads again, the client gets what was queued, the error event, then the close.
    c.ws.resume();
    expect(await c.closed).toMatchObject({
      code: 1008,
      reason: expect.stringMatching(/^client_too_slow/),
    });
    expect(c.events.at(-1)).toMatchObject({
      type: 'error',
      error: { type: 'server_error', code: 'client_too_slow' },
    });
    expect(logLines.some((l) => l.includes('realtime: the client read nothing'))).toBe(true);
  });

  it('closes a session whose upstream reads nothing for maxStalledSeconds (1011 upstream_too_slow)', async () => {
    stallAfter(0.2);
    const c = await open('rt-flood');
    c.ws.send('{"type":"deaf"}');
    await waitFor(() => expect(c.conn.frames).toHaveLength(1));
    const flood = pump(c.ws, FRAMES, append, HIGH);
    expect(await c.closed).toMatchObject({
      code: 1011,
      reason: expect.stringMatching(/^upstream_too_slow/),
    });
    expect(flood.done).toBe(false);
    expect(c.events.at(-1)).toMatchObject({
      type: 'error',
      event_id: expect.any(String),
      error: { type: 'server_error', code: 'upstream_too_slow', event_id: null },
    });
    await waitFor(() =>
      expect(sessions).toMatchObject([{ status: 504, errorCode: 'upstream_too_slow' }]),
    );
  });
});

describe('realtime upstream failures', () => {
  it('counts an upstream breaking mid-session against its circuit breaker, not a client close', async () => {
    stallAfter(600);
    /** One session the upstream breaks with `how`; what the client saw. */
    const broken = async (how: 'drop' | 'crash') => {
      const c = await open('rt-flaky');
      c.ws.send(JSON.stringify({ type: how }));
      const closed = await c.closed;
      return { closed, error: c.events.at(-1) };
    };
    const dropped = await broken('drop');
    // The client hears why, in OpenAI's realtime `error` event, then a close that says it.
    expect(dropped.error).toMatchObject({
      type: 'error',
      event_id: expect.any(String),
      error: {
        type: 'server_error',
        code: 'upstream_failed',
        message: expect.stringContaining('(1006'),
        event_id: null,
      },
    });
    expect(dropped.closed).toMatchObject({
      code: 1011,
      reason: expect.stringMatching(/^upstream_failed/),
    });
    const crashed = await broken('crash');
    expect(crashed.closed.code).toBe(1011);
    expect(crashed.error).toMatchObject({ error: { code: 'upstream_failed' } });
    await waitFor(() => expect(sessions).toHaveLength(2));
    expect(sessions.map((s) => [s.deployment, s.status, s.errorCode])).toEqual([
      ['rt-flaky', 502, 'upstream_failed'],
      ['rt-flaky', 502, 'upstream_failed'],
    ]);

    // Clients closing their sessions are no failure of the deployment.
    for (let i = 0; i < DEFAULT_BREAKER.failureThreshold; i++) {
      const c = await open('rt-flaky');
      c.ws.close(1000);
      await c.closed;
    }
    await waitFor(() => expect(sessions).toHaveLength(2 + DEFAULT_BREAKER.failureThreshold));
    expect(sessions.slice(2).every((s) => s.status === 499)).toBe(true);
    expect(await refusal('rt-flaky')).toEqual({ status: 101 });

    // The breaks add up to the threshold: the circuit opens and new sessions are refused.
    for (let i = 2; i < DEFAULT_BREAKER.failureThreshold; i++)
      await broken(i % 2 ? 'drop' : 'crash');
    expect(await refusal('rt-flaky')).toEqual({ status: 503, code: 'no_healthy_deployment' });
    const ready = (await (await fetch(`${base.replace('ws', 'http')}/readyz`)).json()) as unknown;
    expect(JSON.stringify(ready)).toMatch(/"rt-flaky"[^}]*"open"|"open"[^}]*"rt-flaky"/);
  });

  it('a completed response proves the deployment: breaks before it no longer count', async () => {
    stallAfter(600);
    const c0 = await open('rt-flood');
    for (let i = 1; i < DEFAULT_BREAKER.failureThreshold; i++) {
      const c = await open('rt-flood');
      c.ws.send('{"type":"drop"}');
      await c.closed;
    }
    c0.ws.send('{"type":"response.create"}');
    await waitFor(() => expect(c0.events.at(-1)?.type).toBe('response.done'));
    c0.ws.close();
    const c = await open('rt-flood');
    c.ws.send('{"type":"crash"}');
    await c.closed;
    expect(await refusal('rt-flood')).toEqual({ status: 101 });
  });
});
