// Waiting for a deployment with headroom (rateLimits.queue, x-router-max-wait-ms) through the whole
// router (createRuntime + app.inject) on the real clock: pools of two deployments at 60 RPM each
// free a slot a second per member once their burst is spent, so of requests sent together just
// after a 429 that may wait 3 s, at least one waits for a member and all are served; chat,
// Anthropic Messages (the same gateway) and embeddings. Then a loopback upstream that answers
// 429 (retry-after-ms) once and serves after: every round's attempts in the request log's record,
// the receipt, `x-router-attempts` and the metrics. Asserts on statuses, headers and records,
// never on elapsed time (a slow machine changes which request waits, not whether one does).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { roundMs } from '../src/core/round-figures.js';
import { createRuntime } from '../src/runtime.js';
import type { AttemptRecord, RequestRecord } from '../src/store/request-record.js';
import { readJsonBody } from './helpers/fake-http.js';
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

/**
 * A loopback OpenAI-compatible upstream: a chat model (`/chat/v1`) and an embedding model
 * (`/embed/v1`) that answer 429 with `retry-after-ms` to the next call after `refuseNext()`.
 */
async function onceRefusingUpstream() {
  let refuse = false;
  const server: Server = createServer(async (req, res) => {
    await readJsonBody(req);
    if (refuse) {
      refuse = false;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '100' });
      return res.end(JSON.stringify({ error: { message: 'busy', type: 'rate_limit_error' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.endsWith('/embeddings'))
      return res.end(
        JSON.stringify({
          object: 'list',
          model: 'text-embedding-3-small',
          data: [{ object: 'embedding', index: 0, embedding: [0.6, 0.8] }],
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    res.end(
      JSON.stringify({
        id: 'chatcmpl-up',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4.1',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    refuseNext: () => (refuse = true),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('every round of a wait in the record, the receipt and the metrics', () => {
  it('refused by an upstream 429 in round 1, served in round 2: chat, Messages, Responses, embeddings', async () => {
    const upstream = await onceRefusingUpstream();
    const records: RequestRecord[] = [];
    const input = testConfigInput({
      deployments: [
        {
          name: 'up',
          provider: 'openai',
          model: 'gpt-4.1',
          baseUrl: `${upstream.base}/chat/v1`,
          prices: { inputPer1M: 2, outputPer1M: 8 },
          contextWindow: 1_000_000,
          maxOutputTokens: 32_768,
        },
        {
          name: 'eu',
          kind: 'embeddings',
          provider: 'openai',
          model: 'text-embedding-3-small',
          baseUrl: `${upstream.base}/embed/v1`,
          prices: { inputPer1M: 0.02, outputPer1M: 0 },
          contextWindow: 8191,
        },
      ],
      routers: [{ name: 'rr', modelSubset: ['up'] }],
      pools: [{ name: 'embed-up', deployments: ['eu'], strategy: 'priority' }],
      rateLimits: { queue: { maxWaitMs: 5000, maxWaiting: 10 } },
    });
    const rt = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => void records.push(r) },
    });
    try {
      const sends = {
        chat: () =>
          rt.app.inject({
            method: 'POST',
            url: '/v1/chat/completions',
            headers: waitFor('3000'),
            payload: { model: 'rr', messages: [{ role: 'user', content: 'hi' }] },
          }),
        messages: () =>
          rt.app.inject({
            method: 'POST',
            url: '/v1/messages',
            headers: { 'anthropic-version': '2023-06-01', ...waitFor('3000') },
            payload: { model: 'rr', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] },
          }),
        responses: () =>
          rt.app.inject({
            method: 'POST',
            url: '/v1/responses',
            headers: waitFor('3000'),
            payload: { model: 'rr', input: 'hi', store: false },
          }),
        embeddings: () =>
          rt.app.inject({
            method: 'POST',
            url: '/v1/embeddings',
            headers: waitFor('3000'),
            payload: { model: 'embed-up', input: ['hello'] },
          }),
      };
      for (const [endpoint, send] of Object.entries(sends)) {
        upstream.refuseNext();
        const reply = await send();
        expect([endpoint, reply.statusCode]).toEqual([endpoint, 200]);
        const record = records.at(-1)!;
        const deployment = endpoint === 'embeddings' ? 'eu' : 'up';
        // Round 1: the upstream's 429; then, after the wait, the call that served.
        expect(record.attempts).toEqual([
          expect.objectContaining({ deployment, outcome: 'error', httpStatus: 429, round: 1 }),
          expect.objectContaining({ deployment, outcome: 'ok', round: 2 }),
        ]);
        expect(reply.headers['x-router-attempts']).toBe('2');
        // How long it waited, as the reply says it: before round 2, and in all.
        expect(record.attempts[1]!.waitedMs).toBeGreaterThan(0);
        expect(record.queuedMs).toBe(Number(reply.headers['x-router-queued-ms']));
        expect(record.queuedMs).toBeGreaterThan(0);
        if (endpoint === 'embeddings') continue;
        const id = reply.headers['x-router-decision-id'];
        expect(record.decisionId).toBe(id);
        const receipt = await rt.app.inject({ method: 'GET', url: `/v1/router/decisions/${id}` });
        const attempts = receipt.json().attempts as AttemptRecord[];
        // The record's attempts, its milliseconds to 0.1 as every receipt shows them.
        expect(attempts).toEqual(
          record.attempts.map((a) => ({
            ...a,
            latencyMs: roundMs(a.latencyMs),
            ...(a.waitedMs !== undefined ? { waitedMs: roundMs(a.waitedMs) } : {}),
          })),
        );
        expect(receipt.json().servedBy).toBe('up');
      }
      // Each upstream 429 counted once, as it happened (three on the router, one in the pool).
      const metrics = (await rt.app.inject({ method: 'GET', url: '/metrics' })).body;
      const failovers = (router: string, deployment: string) =>
        metrics.match(
          new RegExp(
            `^model_router_failovers_total\\{router="${router}",deployment="${deployment}",[^}]*\\} (\\d+)$`,
            'm',
          ),
        )?.[1];
      expect(failovers('rr', 'up')).toBe('3');
      expect(failovers('embed-up', 'eu')).toBe('1');
    } finally {
      await rt.close();
      await upstream.close();
    }
  });
});
