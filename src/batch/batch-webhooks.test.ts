// Batch webhook delivery with a recording sender: the event in OpenAI's shape, signed so that the
// official `openai` SDK's `webhooks.unwrap` verifies it (and a wrong secret does not); retries
// with the same webhook-id, re-signed each time, after doubling waits, up to the attempts allowed;
// the event and tenant filters; a missing secret, a stopping replica, and headers a webhook may
// not replace.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { BatchWebhookConfig } from '../config/batch-schema.js';
import { createManualClock } from '../core/clock.js';
import { BatchWebhooks, batchWebhookPayload, type WebhookOutcome } from './batch-webhooks.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const ENV = { HOOK_SECRET: SECRET };
const ENDED = 1_700_000_000_000;
const openai = new OpenAI({ apiKey: 'unused' });

interface Call {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

function hook(over: Partial<BatchWebhookConfig> = {}): BatchWebhookConfig {
  return {
    url: 'https://hooks.example.com/batches?token=t0p',
    secretEnv: 'HOOK_SECRET',
    events: ['batch.completed', 'batch.failed', 'batch.cancelled', 'batch.expired'],
    ...over,
  };
}

/** A BatchWebhooks whose POSTs answer `answers` in turn (a number: that status; an Error: thrown). */
function setup(
  hooks: BatchWebhookConfig[],
  answers: (number | Error)[] = [],
  over: { attempts?: number; env?: NodeJS.ProcessEnv; realWait?: boolean } = {},
) {
  // The SDK checks the signature's timestamp against the real time: start the clock there.
  const clock = createManualClock(Date.now());
  const calls: Call[] = [];
  const waits: number[] = [];
  const outcomes: [string, WebhookOutcome][] = [];
  const warnings: string[] = [];
  const webhooks = new BatchWebhooks({
    settings: () => ({
      webhooks: hooks,
      webhookTimeoutMs: 1_234,
      webhookAttempts: over.attempts ?? 8,
    }),
    clock,
    log: { warn: (m) => warnings.push(m), info: () => {} },
    env: over.env ?? ENV,
    post: async (url, body, headers, timeoutMs) => {
      calls.push({ url, body, headers, timeoutMs });
      const answer = answers.shift() ?? 200;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    ...(over.realWait
      ? {}
      : {
          wait: async (ms: number) => {
            waits.push(ms);
            clock.advance(ms);
          },
        }),
    onResult: (event, outcome) => outcomes.push([event, outcome]),
  });
  return { webhooks, clock, calls, waits, outcomes, warnings };
}

describe('BatchWebhooks', () => {
  it("sends OpenAI's batch event, which the openai SDK's webhooks.unwrap verifies", async () => {
    const { webhooks, clock, calls, outcomes } = setup([
      hook({ headers: { authorization: 'Bearer abc' } }),
    ]);
    const endedAt = clock.now() - 5_000; // the batch's completed_at, before the delivery
    webhooks.notify({ id: 'batch_1', owner: 'acme' }, 'completed', endedAt);
    await webhooks.idle();
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe('https://hooks.example.com/batches?token=t0p');
    expect(call!.timeoutMs).toBe(1_234);
    expect(call!.headers).toMatchObject({
      authorization: 'Bearer abc',
      'content-type': 'application/json',
      'webhook-timestamp': String(Math.floor(clock.now() / 1000)),
    });
    const event = await openai.webhooks.unwrap(call!.body, call!.headers, SECRET);
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
      object: 'event',
      type: 'batch.completed',
      created_at: Math.floor(endedAt / 1000),
      data: { id: 'batch_1' },
    });
    expect(call!.headers['webhook-id']).toBe(event.id);
    await expect(openai.webhooks.unwrap(call!.body, call!.headers, OTHER_SECRET)).rejects.toThrow(
      /signature/,
    );
    const tampered = call!.body.replace('batch_1', 'batch_2');
    await expect(openai.webhooks.unwrap(tampered, call!.headers, SECRET)).rejects.toThrow(
      /signature/,
    );
    expect(outcomes).toEqual([['batch.completed', 'delivered']]);
  });

  it('each ending is its own event, with an id from the batch and status', () => {
    const a = batchWebhookPayload('msgbatch_1', 'expired', 1_700_000_000_999);
    expect(a).toMatchObject({ type: 'batch.expired', created_at: 1_700_000_000 });
    expect(a.data).toEqual({ id: 'msgbatch_1' });
    expect(batchWebhookPayload('msgbatch_1', 'expired', 5).id).toBe(a.id);
    expect(batchWebhookPayload('msgbatch_1', 'cancelled', 5).id).not.toBe(a.id);
    expect(batchWebhookPayload('msgbatch_2', 'expired', 5).id).not.toBe(a.id);
  });

  it('tries again after a non-2xx answer or a network error, with the same webhook-id, re-signed', async () => {
    const { webhooks, calls, waits, outcomes, warnings } = setup(
      [hook()],
      [503, new Error('connect ECONNREFUSED 127.0.0.1:9'), 500, 204],
    );
    webhooks.notify({ id: 'batch_7', owner: 'acme' }, 'failed', ENDED);
    await webhooks.idle();
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    expect(calls.map((c) => Number(c.headers['webhook-timestamp']))).toEqual(
      [0, 1, 3, 7].map((s) => Number(calls[0]!.headers['webhook-timestamp']) + s),
    );
    // Each attempt is signed for its own timestamp: every one of them verifies.
    for (const c of calls)
      expect(await openai.webhooks.unwrap(c.body, c.headers, SECRET, 60)).toMatchObject({
        type: 'batch.failed',
        data: { id: 'batch_7' },
      });
    expect(waits).toEqual([1_000, 2_000, 4_000]);
    expect(outcomes.map(([, o]) => o)).toEqual(['retried', 'retried', 'retried', 'delivered']);
    expect(warnings).toEqual([]);
  });

  it('gives up after webhookAttempts, logging the host (not the URL) and why', async () => {
    const { webhooks, calls, waits, outcomes, warnings } = setup([hook()], [500, 500, 502, 200], {
      attempts: 3,
    });
    webhooks.notify({ id: 'batch_8', owner: 'acme' }, 'cancelled', ENDED);
    await webhooks.idle();
    expect(calls).toHaveLength(3);
    expect(waits).toEqual([1_000, 2_000]);
    expect(outcomes).toEqual([
      ['batch.cancelled', 'retried'],
      ['batch.cancelled', 'retried'],
      ['batch.cancelled', 'failed'],
    ]);
    expect(warnings).toEqual([
      'batches: webhook batch.cancelled for batch_8 to hooks.example.com not delivered: HTTP 502 on each of 3 attempts',
    ]);
  });

  it("sends only to webhooks that asked for the event and the batch's tenant", async () => {
    const hooks = [
      hook({ url: 'https://all.example.com/' }),
      hook({ url: 'https://failures.example.com/', events: ['batch.failed', 'batch.expired'] }),
      hook({ url: 'https://acme.example.com/', tenants: ['acme', 'globex'] }),
      hook({ url: 'https://beta.example.com/', tenants: ['beta'] }),
    ];
    const { webhooks, calls } = setup(hooks);
    webhooks.notify({ id: 'batch_a', owner: 'acme' }, 'completed', ENDED);
    webhooks.notify({ id: 'batch_b', owner: 'beta' }, 'expired', ENDED);
    await webhooks.idle();
    const sent = calls.map(
      (c) => `${(JSON.parse(c.body) as { data: { id: string } }).data.id} → ${c.url}`,
    );
    expect(sent.sort()).toEqual([
      'batch_a → https://acme.example.com/',
      'batch_a → https://all.example.com/',
      'batch_b → https://all.example.com/',
      'batch_b → https://beta.example.com/',
      'batch_b → https://failures.example.com/',
    ]);
  });

  it('no webhook configured: nothing is sent', async () => {
    const { webhooks, calls, outcomes } = setup([]);
    webhooks.notify({ id: 'batch_1', owner: 'acme' }, 'completed', ENDED);
    await webhooks.idle();
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([]);
  });

  it('a secret gone from the environment is logged and counted, never sent unsigned', async () => {
    const { webhooks, calls, outcomes, warnings } = setup([hook()], [], { env: {} });
    webhooks.notify({ id: 'batch_1', owner: 'acme' }, 'completed', ENDED);
    await webhooks.idle();
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([['batch.completed', 'failed']]);
    expect(warnings[0]).toMatch(/HOOK_SECRET is not set/);
  });

  it("a webhook's own headers cannot replace the signature or the content type", async () => {
    const { webhooks, calls } = setup([
      hook({
        headers: {
          'Webhook-Signature': 'v1,forged',
          'webhook-id': 'mine',
          'Content-Type': 'text/plain',
          'x-team': 'data',
        },
      }),
    ]);
    webhooks.notify({ id: 'batch_1', owner: 'acme' }, 'completed', ENDED);
    await webhooks.idle();
    const headers = calls[0]!.headers;
    expect(Object.keys(headers).sort()).toEqual([
      'content-type',
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
      'x-team',
    ]);
    expect(headers['content-type']).toBe('application/json');
    await expect(openai.webhooks.unwrap(calls[0]!.body, headers, SECRET)).resolves.toBeDefined();
  });

  it('stop() gives up a delivery waiting to try again', async () => {
    const { webhooks, calls, outcomes, warnings } = setup([hook()], [500], { realWait: true });
    webhooks.notify({ id: 'batch_1', owner: 'acme' }, 'completed', ENDED);
    await webhooks.stop(0);
    expect(calls).toHaveLength(1);
    expect(outcomes).toEqual([
      ['batch.completed', 'retried'],
      ['batch.completed', 'failed'],
    ]);
    expect(warnings[0]).toMatch(/stopped before trying again/);
  });
});
