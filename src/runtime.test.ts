// runtime.close() (what SIGTERM runs) on a listening server: requests in flight finish, and
// neither an aborted request nor a connection on which no request has started holds the shutdown.
// Node's idle sweep skips the latter, and Node 20's fetch (undici 6) leaves one behind after an
// aborted request: it reconnects at once and keeps the unused socket for its keep-alive timeout,
// so shutdown waited 4 s. The first test stands for that client with a connection that sends
// nothing and stays open, so a server that waits for it waits until the guard.
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, parseConfig } from './config/load-config.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { RequestRecord } from './store/request-record.js';
import { simDeployment, testConfigInput } from '../test/helpers/test-config.js';
import { waitFor } from '../test/helpers/wait-for.js';

/** The slow upstream's delay. */
const HOLD_MS = 60_000;
/** Far beyond what a healthy close() takes; far below HOLD_MS and Node's 60 s headers timeout. */
const GUARD_MS = 10_000;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function listeningRuntime(ttftMs: number, tokensPerSecond = 1_000_000, answerTokens = 20) {
  const records: RequestRecord[] = [];
  const input = testConfigInput({
    deployments: [
      simDeployment('slow', {
        simulation: { ttftMs, tokensPerSecond, answerTokens },
      }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['slow'] }],
  });
  const runtime = await createRuntime(parseConfig(input, {}).config, {
    recorder: { record: (r) => records.push(r) },
  });
  await runtime.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (runtime.app.server.address() as AddressInfo).port;
  let accepted = 0;
  runtime.app.server.on('connection', () => accepted++);
  return {
    runtime,
    records,
    port,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    accepted: () => accepted,
  };
}

/** 'closed' when close() resolves within GUARD_MS, else 'still waiting'. */
async function closeWithin(runtime: Runtime): Promise<'closed' | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), GUARD_MS);
  });
  try {
    return await Promise.race([runtime.close().then(() => 'closed' as const), guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(check: () => boolean): Promise<void> {
  await waitFor(() => expect(check()).toBe(true));
}

const chatMessages = [{ role: 'user', content: 'Hello there' }];
const chatBody = JSON.stringify({ model: 'model-router', messages: chatMessages });

describe('start-up warm-up', () => {
  // The tokenizer is per process and other tests (in this file, and in files that share this
  // worker: vitest.config.ts, isolate false) load it: fresh copies of the modules, so it starts
  // unloaded here.
  it('loads the tokenizer at start-up for a simulated fleet only: TPM limits charge an estimate', async () => {
    vi.resetModules();
    const { createRuntime } = await import('./runtime.js');
    const { tokenizerLoaded } = await import('./core/prompt-text.js');
    const { parseConfig } = await import('./config/load-config.js');
    const real = {
      name: 'upstream',
      provider: 'openai-compatible' as const,
      model: 'm',
      baseUrl: 'http://127.0.0.1:9/v1', // never called
      prices: { inputPer1M: 1, outputPer1M: 1 },
      contextWindow: 8000,
      maxOutputTokens: 1000,
    };
    const limited = testConfigInput({
      deployments: [{ ...real, rateLimit: { tpm: 1_000 } }],
      routers: [{ name: 'model-router', modelSubset: ['upstream'], rateLimit: { tpm: 1_000 } }],
    });
    const first = await createRuntime(parseConfig(limited, {}).config);
    cleanups.push(() => first.close());
    expect(tokenizerLoaded()).toBe(false);
    const simulated = testConfigInput({ deployments: [simDeployment('a')], routers: [] });
    const second = await createRuntime(parseConfig(simulated, {}).config);
    cleanups.push(() => second.close());
    expect(tokenizerLoaded()).toBe(true);
  });

  it("loads the configured routers' artefacts before any request, and on a config change", async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // Deployment "a" is unknown to every artefact, so loading one logs a note naming it.
    const input = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'warn' },
      deployments: [simDeployment('a')],
      routers: [{ name: 'model-router', modelSubset: ['a'], version: '2026-11-30d' }],
    });
    const runtime = await createRuntime(parseConfig(input, {}).config, { logStream });
    cleanups.push(() => runtime.close());
    const notes = (version: string) =>
      lines
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { msg: string }).msg)
        .filter((m) =>
          m.includes(`(artefact ${version}): the artefact does not know deployment a`),
        );
    expect(notes('2026-11-30d')).toHaveLength(1);
    // A config change warms up when it is applied, not on the next request.
    const changed = structuredClone(runtime.config.current.config);
    changed.routers[0]!.version = '2026-11-30c';
    runtime.config.apply(changed);
    expect(notes('2026-11-30c')).toHaveLength(1);
  });
});

describe('artefact versions', () => {
  it('refuses a router whose artefact version is not there: at start-up, and as a change', async () => {
    const input = (version: string) =>
      testConfigInput({
        auth: { mode: 'none', adminKeyEnv: 'MR_RUNTIME_TEST_ADMIN_UNSET' }, // a one-off admin key
        deployments: [simDeployment('a')],
        routers: [{ name: 'model-router', modelSubset: ['a'], version }],
      });
    // A typo used to start anyway, every request going to the cheapest capable deployment.
    const refused = createRuntime(parseConfig(input('2026-11-03e'), {}).config);
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(
      /routers\[0\]\.version: no routing artefact "2026-11-03e" in .*models.*; available: 2026-11-24, .*, latest/,
    );
    const runtime = await createRuntime(parseConfig(input('latest'), {}).config);
    cleanups.push(() => runtime.close());
    const before = runtime.config.current;
    const change = (version: string) =>
      runtime.app.inject({
        method: 'PATCH',
        url: '/admin/v1/routers/model-router',
        headers: { authorization: `Bearer ${runtime.ephemeralAdminKey}` },
        payload: { version },
      });
    const typo = await change('1999-01-01');
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error).toMatchObject({ code: 'invalid_config' });
    expect(typo.json().error.message).toContain(
      'Change rejected, nothing was applied: version: no routing artefact "1999-01-01"',
    );
    const path = await change('../config/default');
    expect(path.statusCode).toBe(400);
    expect(path.json().error.message).toContain('version: a version is an artefact file');
    expect(runtime.config.current).toBe(before);
    const older = await change('2026-11-30d');
    expect(older.statusCode).toBe(200);
    expect(runtime.config.current.routers.get('model-router')?.version).toBe('2026-11-30d');
  });
});

describe('the admin key from the environment', () => {
  it('is MODEL_ROUTER_ADMIN_KEY when the config names no auth.adminKeyEnv (and no one-off key)', async () => {
    vi.stubEnv('MODEL_ROUTER_ADMIN_KEY', 'mr-admin-from-env-0123456789');
    cleanups.push(() => void vi.unstubAllEnvs());
    const input = testConfigInput({ auth: { mode: 'keys', keys: [] } });
    const runtime = await createRuntime(parseConfig(input, {}).config);
    cleanups.push(() => runtime.close());
    expect(runtime.ephemeralAdminKey).toBeUndefined();
    const versions = (key: string) =>
      runtime.app.inject({
        method: 'GET',
        url: '/admin/v1/config/versions',
        headers: { authorization: `Bearer ${key}` },
      });
    expect((await versions('mr-admin-from-env-0123456789')).statusCode).toBe(200);
    expect((await versions('mr-not-the-admin-key-0123456789')).statusCode).toBe(401);
  });
});

describe('runtime.close()', () => {
  it('closes a connection on which no request has started instead of waiting for the client', async () => {
    const { runtime, port, accepted } = await listeningRuntime(0);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let closedByServer = false;
    socket.on('close', () => (closedByServer = true));
    cleanups.push(() => void socket.destroy());
    await until(() => accepted() === 1);

    expect(await closeWithin(runtime)).toBe('closed');
    await until(() => closedByServer);
  });

  it('is not held by a request the client aborted while the upstream was slow', async () => {
    const { runtime, records, url } = await listeningRuntime(HOLD_MS);
    const reached = new Promise((resolve) => runtime.app.server.once('request', resolve));
    const agent = new Agent();
    cleanups.push(() => agent.destroy());
    const controller = new AbortController();
    const pending = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody,
      signal: controller.signal,
      dispatcher: agent,
    }).catch((err: Error) => err);
    await reached;
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The gateway saw the abort: the 60 s upstream wait was cancelled and a 499 recorded.
    await until(() => records.length === 1);
    expect(records[0]).toMatchObject({ status: 499, errorCode: 'client_closed_request' });

    expect(await closeWithin(runtime)).toBe('closed');
  });

  it('records a client that leaves in the middle of a stream as a 499, not an upstream 502', async () => {
    // 200 tokens at 20 a second: the stream is still running when the client leaves.
    const { runtime, records, url } = await listeningRuntime(5, 20, 200);
    cleanups.push(() => runtime.close());
    const controller = new AbortController();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...JSON.parse(chatBody), stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    controller.abort();
    await until(() => records.length === 1);
    // Before, the aborted upstream read was recorded as the deployment's 502 `stream_error`.
    expect(records[0]).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      deployment: 'slow',
    });
  });

  it('lets a request in flight finish', async () => {
    const { runtime, url } = await listeningRuntime(200);
    const reached = new Promise((resolve) => runtime.app.server.once('request', resolve));
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const answer = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody,
      dispatcher: agent,
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as unknown }));
    await reached;

    const closed = closeWithin(runtime);
    expect(await answer).toMatchObject({ status: 200, body: { model: 'slow-sim' } });
    expect(await closed).toBe('closed');
  });
});

describe('runtime.close() and a stream whose upstream stalled', () => {
  it('stops it at the drain deadline: an in-band error, a 503 in the log, and close() returns', async () => {
    // An OpenAI-compatible upstream that sends its first chunk, then nothing, and never ends.
    const stalled = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] })}\n\n`,
      );
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      stalled.closeAllConnections();
      return new Promise((resolve) => stalled.close(resolve));
    });
    const upstreamPort = (stalled.address() as AddressInfo).port;
    const records: RequestRecord[] = [];
    const input = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent', shutdownDrainSeconds: 0.2 },
      deployments: [
        {
          name: 'stalls',
          provider: 'openai-compatible',
          model: 'm',
          baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
          prices: { inputPer1M: 1, outputPer1M: 1 },
          contextWindow: 8000,
          maxOutputTokens: 1000,
        },
      ],
      routers: [],
    });
    const runtime = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => records.push(r) },
    });
    await runtime.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (runtime.app.server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stalls', stream: true, messages: chatMessages }),
    });
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false); // the first chunk is out

    const closed = closeWithin(runtime);
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      text += Buffer.from(r.value).toString();
    expect(text).toContain('"code":"router_shutting_down"');
    expect(await closed).toBe('closed');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 503, errorCode: 'router_shutting_down' });
  }, 20_000);
});
