// SIGTERM to the built server, as an operator or an orchestrator sends it (shutdown-drain.e2e
// tests runtime.close() in-process): requests waiting in the rate-limit queue get the drain's 503
// `router_shutting_down` at once, in their API's shape, and the process exits 0. With Redis as
// the shared state, the refused waiters leave no charge behind: a fresh replica on the same Redis
// finds the key's bucket as the two served requests left it (its 429 asks for one slot's wait,
// not for three slots'). Asserts on statuses, bodies, the exit code and the retry-after; the
// guard only stops a broken build from hanging.
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import type { ConfigInput } from '../src/config/schema.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';
import { testConfigInput } from './helpers/test-config.js';
import { REDIS_URL, cleanupPrefix, redisAvailable, uniquePrefix } from './redis/redis-helpers.js';

const KEY = 'mr-sigterm-key-0123456789';
/** Far below the queue's 60 s wait and the 30 s drain. */
const GUARD_MS = 15_000;
const redis = await redisAvailable();

const started: SpawnedServer[] = [];
afterEach(async () => {
  while (started.length) await started.pop()!.stop('SIGKILL');
});

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

function config(state?: ConfigInput['state']): ConfigInput {
  return testConfigInput({
    server: { host: '127.0.0.1', port: 0, logLevel: 'warn', shutdownDrainSeconds: 30 },
    auth: {
      mode: 'keys',
      // 2 RPM: once its two requests are spent, the next slot is 30 s away.
      keys: [{ id: 'k', hash: hashApiKey(KEY), tenant: 't', scopes: ['*'], rateLimit: { rpm: 2 } }],
    },
    rateLimits: { queue: { maxWaitMs: 60_000, maxWaiting: 10 } },
    ...(state ? { state } : {}),
  });
}

async function start(input: ConfigInput): Promise<SpawnedServer> {
  const s = await spawnServer(input);
  started.push(s);
  return s;
}

const headers = {
  authorization: `Bearer ${KEY}`,
  'content-type': 'application/json',
  'x-router-max-wait-ms': '60000',
};
const chat = (s: SpawnedServer, h: Record<string, string> = headers) =>
  fetch(`${s.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({ model: 'model-router', messages: [{ role: 'user', content: 'hi' }] }),
  });
const message = (s: SpawnedServer) =>
  fetch(`${s.baseUrl}/v1/messages`, {
    method: 'POST',
    headers: { ...headers, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({
      model: 'model-router',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });

/** Spends the key's two requests, queues a chat and a Messages request, then sends SIGTERM. */
async function queueThenTerm(s: SpawnedServer) {
  for (let i = 0; i < 2; i++) {
    const r = await chat(s);
    await r.arrayBuffer();
    expect(r.status).toBe(200);
  }
  const waiting = [chat(s), message(s)];
  for (let i = 0; ; i++) {
    const text = await (await fetch(`${s.baseUrl}/metrics`)).text();
    if (/^model_router_rate_limit_queue_waiting\{router="model-router"\} 2$/m.test(text)) break;
    if (i > 500) throw new Error(`the two requests never queued:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const exited = s.stop('SIGTERM');
  const answers = await within(
    Promise.all(waiting.map(async (p) => p.then(async (r) => ({ r, body: await r.json() })))),
  );
  if (answers === 'still waiting') throw new Error('the queued requests were not answered');
  const [openAi, anthropic] = answers;
  expect(openAi!.r.status).toBe(503);
  expect(openAi!.body).toMatchObject({
    error: { type: 'server_error', code: 'router_shutting_down' },
  });
  expect(anthropic!.r.status).toBe(503);
  expect(anthropic!.body).toMatchObject({
    type: 'error',
    error: { type: 'overloaded_error', message: expect.stringMatching(/shutting down/) },
  });
  expect(await within(exited)).toBe(0);
}

describe('SIGTERM with requests waiting in the rate-limit queue (in-memory state)', () => {
  it('answers each waiter with 503 router_shutting_down in its shape and exits 0', async () => {
    await queueThenTerm(await start(config()));
  }, 60_000);
});

describe.skipIf(!redis)('SIGTERM with requests waiting in the rate-limit queue (Redis)', () => {
  it('answers each waiter, exits 0, and leaves no charge for the refused waiters', async () => {
    const prefix = uniquePrefix('sigterm');
    try {
      const state = { kind: 'redis' as const, redisUrl: REDIS_URL, prefix, commandTimeoutMs: 2000 };
      await queueThenTerm(await start(config(state)));
      // A fresh replica on the same Redis: the key has spent its two requests, so the next is
      // refused (no queue header), asking for at most one slot's wait (30 s at 2 RPM). Had the
      // two refused waiters been charged, it would ask for about a minute more.
      const next = await start(config(state));
      const { authorization } = headers;
      const r = await chat(next, { authorization, 'content-type': 'application/json' });
      await r.arrayBuffer();
      expect(r.status).toBe(429);
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(31);
    } finally {
      await cleanupPrefix(prefix);
    }
  }, 60_000);
});
