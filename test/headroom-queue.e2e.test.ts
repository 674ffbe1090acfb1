// Waiting for a deployment with headroom (rateLimits.queue, x-router-max-wait-ms) through the whole
// router (createRuntime + app.inject) on the real clock: pools of two deployments at 60 RPM each
// free a slot a second per member once their burst is spent, so of requests sent together just
// after a 429 that may wait 3 s, at least one waits for a member and all are served; chat,
// Anthropic Messages (the same gateway) and embeddings. Asserts on statuses and headers, never on
// elapsed time (a slow machine changes which request waits, not whether one does).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { createRuntime } from '../src/runtime.js';
import { simDeployment, simEmbeddingDeployment, testConfigInput } from './helpers/test-config.js';

const RPM = 60;

async function runtime(maxWaitMs: number) {
  const input = testConfigInput({
    pools: [
      { name: 'gpt-pool', deployments: ['pa', 'pb'], strategy: 'priority' },
      { name: 'embed-pool', deployments: ['ea', 'eb'], strategy: 'priority' },
    ],
    rateLimits: { queue: { maxWaitMs, maxWaiting: 10 } },
  });
  input.deployments.push(
    simDeployment('pa', { model: 'gpt-4.1', rateLimit: { rpm: RPM } }),
    simDeployment('pb', { model: 'gpt-4.1', rateLimit: { rpm: RPM } }),
    simEmbeddingDeployment('ea', { rateLimit: { rpm: RPM }, simulation: { dimensions: 8 } }),
    simEmbeddingDeployment('eb', { rateLimit: { rpm: RPM }, simulation: { dimensions: 8 } }),
  );
  return createRuntime(parseConfig(input, {}).config);
}

type Runtime = Awaited<ReturnType<typeof runtime>>;

const waitFor = (ms?: string) => (ms !== undefined ? { 'x-router-max-wait-ms': ms } : {});

const chat = (rt: Runtime, maxWait?: string) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: waitFor(maxWait),
    payload: { model: 'gpt-pool', messages: [{ role: 'user', content: 'hi' }] },
  });

const message = (rt: Runtime, maxWait?: string) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01', ...waitFor(maxWait) },
    payload: { model: 'gpt-pool', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] },
  });

const embed = (rt: Runtime, maxWait?: string) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/embeddings',
    headers: waitFor(maxWait),
    payload: { model: 'embed-pool', input: ['hello'] },
  });

/** Sends until one is refused (slots refill while we send); the refusal, which came at once. */
async function spend(send: () => ReturnType<typeof chat>) {
  for (let i = 0; i < RPM * 4; i++) {
    const r = await send();
    if (r.statusCode === 429) return r;
    expect(r.statusCode).toBe(200);
  }
  throw new Error('never refused');
}

/** Of served replies, those that say they waited (1 ms to the 3 s they might). */
const waited = (replies: { headers: Record<string, unknown> }[]) =>
  replies.map((r) => Number(r.headers['x-router-queued-ms'])).filter((ms) => ms >= 1 && ms <= 3000);

describe('waiting for a pool member with headroom, through the router', () => {
  it('chat and Messages: served once a member frees up, instead of the 429', async () => {
    const rt = await runtime(5000);
    try {
      const refused = await spend(() => chat(rt));
      expect(refused.json().error.code).toBe('rate_limit_exceeded');
      expect(refused.json().error.message).toMatch(/^No deployment of "gpt-pool" has rate-limit/);
      expect(refused.headers['x-router-queued-ms']).toBeUndefined();

      // Two slots free a second at most; three requests that may wait 3 s, sent together.
      const replies = await Promise.all([chat(rt, '3000'), chat(rt, '3000'), message(rt, '3000')]);
      expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(waited(replies).length).toBeGreaterThanOrEqual(1);
      expect(replies[2]!.json().type).toBe('message');
      for (const r of replies) expect(['pa', 'pb']).toContain(r.headers['x-router-deployment']);

      const metrics = (await rt.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(
        /^model_router_rate_limit_queue_wait_seconds_count\{router="gpt-pool"\} [1-9]/m,
      );
      expect(metrics).toMatch(/^model_router_rate_limit_queue_waiting\{router="gpt-pool"\} 0$/m);
    } finally {
      await rt.close();
    }
  });

  it('embeddings: served once a member frees up, instead of the 429', async () => {
    const rt = await runtime(5000);
    try {
      const refused = await spend(() => embed(rt));
      expect(refused.json().error.code).toBe('deployment_rate_limited');
      expect(refused.headers['x-router-queued-ms']).toBeUndefined();

      const replies = await Promise.all([embed(rt, '3000'), embed(rt, '3000'), embed(rt, '3000')]);
      expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(waited(replies).length).toBeGreaterThanOrEqual(1);
      expect(replies[0]!.json().data[0].embedding).toHaveLength(8);
    } finally {
      await rt.close();
    }
  });

  it('with the queue off the header changes nothing: the 429 at once', async () => {
    const rt = await runtime(0);
    try {
      const refused = await spend(() => chat(rt, '5000'));
      expect(refused.json().error.code).toBe('rate_limit_exceeded');
      expect(refused.headers['x-router-queued-ms']).toBeUndefined();
      const embedRefused = await spend(() => embed(rt, '5000'));
      expect(embedRefused.json().error.code).toBe('deployment_rate_limited');
    } finally {
      await rt.close();
    }
  });
});
