// runtime.close() (what SIGTERM runs) and the work it refuses, through the whole router:
// - requests waiting in the rate-limit queue (rateLimits.queue, x-router-max-wait-ms) are answered
//   at once with the drain's 503 `router_shutting_down` in their API's shape (chat: OpenAI's
//   envelope; Messages: Anthropic's `overloaded_error`), logged as such, and never sent upstream,
//   instead of waiting out their minute and then being served by a replica that is going away;
// - a request that arrives while the router drains (pipelined behind one in flight) gets the same
//   503 in its API's shape, not Fastify's own `{"error":"Service Unavailable"}` body.
// Asserts on statuses, bodies and records; the guard only stops a broken build from hanging.
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { parseConfig } from '../src/config/load-config.js';
import { createRuntime } from '../src/runtime.js';
import type { RequestRecord } from '../src/store/request-record.js';
import { listenInRange } from './helpers/listen-in-range.js';
import { simDeployment, testConfigInput } from './helpers/test-config.js';
import { waitFor } from './helpers/wait-for.js';

const KEY = 'mr-drain-key-0123456789';
/** Far below the queue's 30 s wait and the 30 s drain: what a prompt answer takes at most. */
const GUARD_MS = 10_000;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** `work`'s value, or 'still waiting' after GUARD_MS. */
async function within<T>(work: Promise<T>): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), GUARD_MS);
  });
  try {
    return await Promise.race([work, guard]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  await waitFor(async () => expect(await check()).toBe(true));
}

describe('runtime.close() and requests waiting in the rate-limit queue', () => {
  it('answers each at once with 503 router_shutting_down in its shape; none goes upstream', async () => {
    const records: RequestRecord[] = [];
    const input = testConfigInput({
      // A drain long enough that a queued request left waiting would outlast the guard.
      server: { host: '127.0.0.1', port: 0, logLevel: 'silent', shutdownDrainSeconds: 30 },
      auth: {
        mode: 'keys',
        // 2 RPM: once its two requests are spent, the next slot is 30 s away.
        keys: [
          { id: 'k', hash: hashApiKey(KEY), tenant: 't', scopes: ['*'], rateLimit: { rpm: 2 } },
        ],
      },
      rateLimits: { queue: { maxWaitMs: 60_000, maxWaiting: 10 } },
    });
    const rt = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => records.push(r) },
    });
    let closed = false;
    cleanups.push(() => (closed ? undefined : rt.close()));
    const headers = { authorization: `Bearer ${KEY}`, 'x-router-max-wait-ms': '60000' };
    const chat = () =>
      rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers,
        payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }] },
      });
    const message = () =>
      rt.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { ...headers, 'anthropic-version': '2023-06-01' },
        payload: {
          model: 'model-router',
          max_tokens: 20,
          messages: [{ role: 'user', content: 'hi' }],
        },
      });
    // The key's two requests.
    expect((await chat()).statusCode).toBe(200);
    expect((await chat()).statusCode).toBe(200);
    const waiting = [chat(), message()];
    const queued = async () => {
      const text = (await rt.app.inject({ method: 'GET', url: '/metrics' })).body;
      return /^model_router_rate_limit_queue_waiting\{router="model-router"\} 2$/m.test(text);
    };
    await until(queued);

    const closing = rt.close().then(() => (closed = true));
    const [openAi, anthropic] = await within(Promise.all(waiting)).then((r) => {
      if (r === 'still waiting') throw new Error('the queued requests were not answered');
      return r;
    });
    expect(openAi!.statusCode).toBe(503);
    expect(openAi!.headers['retry-after']).toBe('1');
    expect(openAi!.json()).toMatchObject({
      error: { type: 'server_error', code: 'router_shutting_down' },
    });
    expect(anthropic!.statusCode).toBe(503);
    expect(anthropic!.json()).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: expect.stringMatching(/shutting down/) },
    });
    expect(await within(closing)).toBe(true);
    // Logged as the drain's 503, with no attempt: nothing was sent upstream for them.
    const refused = records.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.endpoint, r.status, r.errorCode, r.attempts.length])).toEqual(
      expect.arrayContaining([
        ['chat', 503, 'router_shutting_down', 0],
        ['messages', 503, 'router_shutting_down', 0],
      ]),
    );
    expect(refused).toHaveLength(2);
  }, 30_000);
});

describe('runtime.close() and a request that arrives while it drains', () => {
  it('refuses it with 503 router_shutting_down in its API shape, not a bare Fastify body', async () => {
    const input = testConfigInput({
      // The first request takes a moment, so the next one on its connection arrives mid-drain.
      deployments: [simDeployment('slow', { simulation: { ttftMs: 400, answerTokens: 5 } })],
      routers: [{ name: 'model-router', modelSubset: ['slow'] }],
    });
    const rt = await createRuntime(parseConfig(input, {}).config);
    await listenInRange((port) => rt.app.listen({ host: '127.0.0.1', port }), 47_300, 47_319);
    const port = (rt.app.server.address() as AddressInfo).port;
    const reached = new Promise((resolve) => rt.app.server.once('request', resolve));
    // Two requests written at once on one keep-alive connection: Node reads the second only
    // once the first is answered, by which time the router is closing.
    const socket = connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    let received = '';
    socket.on('data', (d) => (received += String(d)));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    const post = (path: string, body: object, extra = '') => {
      const json = JSON.stringify(body);
      return `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
    };
    socket.write(
      post('/v1/chat/completions', {
        model: 'model-router',
        messages: [{ role: 'user', content: 'hi' }],
      }) +
        post(
          '/v1/messages',
          { model: 'model-router', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] },
          'anthropic-version: 2023-06-01\r\n',
        ),
    );
    await reached;
    expect(await within(rt.close().then(() => true))).toBe(true);
    await within(ended);
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/\r\nretry-after: 1\r\n/i);
    const body = JSON.parse(answers[1]!.slice(answers[1]!.indexOf('\r\n\r\n') + 4)) as unknown;
    expect(body).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: expect.stringMatching(/shutting down/) },
    });
  }, 30_000);
});
