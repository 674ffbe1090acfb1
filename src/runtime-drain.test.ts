// runtime.close() (what SIGTERM runs) at the drain deadline, for the calls served by name rather
// than routed: embeddings, images, rerank, moderations and speech whose upstream stalled end with
// 503 `router_shutting_down` in the OpenAI envelope (speech: its body cut short) and a request-log
// record each, instead of a socket cut 2 s later recorded as the client's 499. The chat family's
// drain is tested in runtime.test.ts.
import { createServer, type ServerResponse } from 'node:http';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config/load-config.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { RequestRecord } from './store/request-record.js';
import { simDeployment, testConfigInput } from '../test/helpers/test-config.js';
import { waitFor } from '../test/helpers/wait-for.js';

/** This helper's loopback ports (the stalling upstream, the router). */
const UPSTREAM_PORT = 19301;
const ROUTER_PORT = 19302;
/** The longest the upstream holds a request: far past the drain, far below the test's timeout. */
const HOLD_MS = 15_000;
/** Far beyond what close() takes with a 0.3 s drain; below HOLD_MS. */
const GUARD_MS = 10_000;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * An OpenAI-compatible upstream that takes each request and never answers it (speech: it sends
 * the audio's first bytes, then nothing), each held HOLD_MS at most.
 */
async function stallingUpstream() {
  const held: string[] = [];
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    held.push(req.url ?? '');
    const cut = setTimeout(() => res.destroy(), HOLD_MS);
    res.on('close', () => clearTimeout(cut));
    if (req.url?.endsWith('/audio/speech')) {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.write(Buffer.alloc(1024, 1));
    }
  });
  await new Promise<void>((resolve) => server.listen(UPSTREAM_PORT, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return held;
}

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

describe('runtime.close() and named calls whose upstream stalled', () => {
  it('stops each at the drain deadline: a 503 in its own shape, a 503 in the log, close() returns', async () => {
    const held = await stallingUpstream();
    const base = `http://127.0.0.1:${UPSTREAM_PORT}/v1`;
    const upstream = (name: string, kind: string) =>
      simDeployment(name, {
        kind: kind as 'embeddings',
        provider: 'openai-compatible',
        model: `${name}-model`,
        baseUrl: base,
        maxOutputTokens: undefined,
        simulation: undefined,
      });
    const records: RequestRecord[] = [];
    const input = testConfigInput({
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent', shutdownDrainSeconds: 0.3 },
      routers: [],
    });
    input.deployments = [
      upstream('emb', 'embeddings'),
      upstream('img', 'images'),
      upstream('rr', 'rerank'),
      upstream('mod', 'moderation'),
      upstream('tts', 'speech'),
    ];
    const runtime = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => records.push(r) },
    });
    await runtime.app.listen({ host: '127.0.0.1', port: ROUTER_PORT });
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const post = (path: string, body: object) =>
      fetch(`http://127.0.0.1:${ROUTER_PORT}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        dispatcher: agent,
      });
    const answered = (path: string, body: object) =>
      post(path, body).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { error?: Record<string, unknown> },
      }));
    const calls = {
      embeddings: answered('/v1/embeddings', { model: 'emb', input: 'hello' }),
      images: answered('/v1/images/generations', { model: 'img', prompt: 'a cat' }),
      rerank: answered('/v1/rerank', { model: 'rr', query: 'q', documents: ['a', 'b'] }),
      moderations: answered('/v1/moderations', { model: 'mod', input: 'hello' }),
    };
    // Speech: its first bytes reach the client, then the upstream stalls mid-body.
    const speech = await post('/v1/audio/speech', { model: 'tts', input: 'hi', voice: 'alloy' });
    expect(speech.status).toBe(200);
    const reader = speech.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    await until(() => held.length === 5);

    const closed = closeWithin(runtime);
    for (const [family, call] of Object.entries(calls)) {
      const { status, body } = await call;
      expect({ family, status, error: body.error }).toMatchObject({
        family,
        status: 503,
        error: { type: 'server_error', code: 'router_shutting_down' },
      });
    }
    // The audio ends short of what a whole file would be: the stream breaks off.
    const rest = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read());
    })();
    await expect(rest).rejects.toThrow();
    expect(await closed).toBe('closed');

    const byEndpoint = Object.fromEntries(
      records.map((r) => [r.endpoint, { status: r.status, errorCode: r.errorCode }]),
    );
    const stopped = { status: 503, errorCode: 'router_shutting_down' };
    expect(byEndpoint).toEqual({
      embeddings: stopped,
      'images.generations': stopped,
      rerank: stopped,
      moderations: stopped,
      'audio.speech': stopped,
    });
    // Each call stopped before its answer lists its attempt as stopped in flight by the drain's
    // 503, `aborted` as a chat call's (speech's call had answered: its attempt is ok, its body
    // was cut).
    const attempts = records.map((r) => [
      r.endpoint,
      r.attempts.map((a) => `${a.outcome} ${a.httpStatus ?? ''} ${a.errorCode ?? ''}`.trim()),
    ]);
    const drained = ['aborted 503 router_shutting_down'];
    expect(Object.fromEntries(attempts)).toEqual({
      embeddings: drained,
      'images.generations': drained,
      rerank: drained,
      moderations: drained,
      'audio.speech': ['ok'],
    });
  }, 20_000);
});
