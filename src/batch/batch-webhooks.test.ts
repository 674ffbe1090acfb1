// Batch webhook delivery from the outbox with a recording sender and a manual clock: the event in
// OpenAI's shape, signed so that the official `openai` SDK's `webhooks.unwrap` verifies it (and a
// wrong secret does not); retries with the same webhook-id, re-signed each time, due after
// doubling waits or the receiver's Retry-After (seconds or an HTTP date, capped) on 429/503, up to
// the attempts allowed, then given up and kept as such; the event and tenant filters; a missing
// secret or a webhook gone from the config; headers a webhook may not replace; an attempt under
// way that another deliverer on the same outbox leaves alone; a stop that gives nothing up.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { BatchWebhookConfig } from '../config/batch-schema.js';
import { createManualClock } from '../core/clock.js';
import { createMemoryWebhookOutbox } from '../store/memory/memory-webhook-outbox.js';
import type { WebhookOutbox } from '../store/webhook-outbox.js';
import { BatchWebhooks, batchWebhookPayload, type WebhookOutcome } from './batch-webhooks.js';
import { RETRY_AFTER_CAP_MS, type WebhookAnswer } from './webhook-event.js';
import { waitFor } from '../../test/helpers/wait-for.js';

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

type Answer = number | Error | WebhookAnswer | (() => Promise<number | WebhookAnswer>);

function hook(over: Partial<BatchWebhookConfig> = {}): BatchWebhookConfig {
  return {
    url: 'https://hooks.example.com/batches?token=t0p',
    secretEnv: 'HOOK_SECRET',
    events: ['batch.completed', 'batch.failed', 'batch.cancelled', 'batch.expired'],
    ...over,
  };
}

/**
 * A BatchWebhooks on an in-memory outbox whose POSTs answer `answers` in turn (a number: that
 * status; an Error: thrown; a function: awaited).
 */
function setup(
  hooks: BatchWebhookConfig[],
  answers: Answer[] = [],
  over: { attempts?: number; env?: NodeJS.ProcessEnv; store?: WebhookOutbox } = {},
) {
  // The SDK checks the signature's timestamp against the real time: start the clock there.
  const clock = createManualClock(Date.now());
  const store = over.store ?? createMemoryWebhookOutbox();
  const calls: Call[] = [];
  const outcomes: [string, WebhookOutcome][] = [];
  const warnings: string[] = [];
  const settings = {
    webhooks: hooks,
    webhookTimeoutMs: 1_234,
    webhookAttempts: over.attempts ?? 8,
    pollIntervalMs: 1_000,
  };
  const make = () =>
    new BatchWebhooks({
      store,
      settings: () => settings,
      clock,
      log: { warn: (m) => warnings.push(m), info: () => {} },
      env: over.env ?? ENV,
      post: async (url, body, headers, timeoutMs) => {
        calls.push({ url, body, headers, timeoutMs });
        const answer = answers.shift() ?? 200;
        if (answer instanceof Error) throw answer;
        const given = typeof answer === 'function' ? await answer() : answer;
        return typeof given === 'number' ? { status: given, headers: {} } : given;
      },
      onResult: (event, outcome) => outcomes.push([event, outcome]),
    });
  const webhooks = make();
  /** Records `id` ending as the runner does (its deliveries with its final status). */
  const end = (
    id: string,
    status: 'completed' | 'failed' | 'cancelled' | 'expired',
    owner = 'acme',
    at = ENDED,
  ) => store.addWebhookDeliveries(webhooks.deliveriesFor({ id, owner }, status, at));
  const rows = () => store.listWebhookDeliveries({ limit: 100 });
  return { webhooks, make, store, settings, clock, calls, outcomes, warnings, end, rows };
}

describe('BatchWebhooks', () => {
  it("sends OpenAI's batch event, which the openai SDK's webhooks.unwrap verifies", async () => {
    const { webhooks, clock, calls, outcomes, end, rows } = setup([
      hook({ headers: { authorization: 'Bearer abc' } }),
    ]);
    const endedAt = clock.now() - 5_000; // the batch's completed_at, before the delivery
    await end('batch_1', 'completed', 'acme', endedAt);
    expect(await webhooks.deliverDue()).toBe(1);
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
    // Kept as delivered (the URL is not stored: only its host); never sent again.
    expect(await rows()).toEqual([
      expect.objectContaining({
        eventId: event.id,
        host: 'hooks.example.com',
        status: 'delivered',
        attempts: 1,
        finishedAt: clock.now(),
      }),
    ]);
    expect(JSON.stringify(await rows())).not.toContain('t0p');
    clock.advance(3_600_000);
    expect(await webhooks.deliverDue()).toBe(0);
  });

  it('each ending is its own event, with an id from the batch and status', () => {
    const a = batchWebhookPayload('msgbatch_1', 'expired', 1_700_000_000_999);
    expect(a).toMatchObject({ type: 'batch.expired', created_at: 1_700_000_000 });
    expect(a.data).toEqual({ id: 'msgbatch_1' });
    expect(batchWebhookPayload('msgbatch_1', 'expired', 5).id).toBe(a.id);
    expect(batchWebhookPayload('msgbatch_1', 'cancelled', 5).id).not.toBe(a.id);
    expect(batchWebhookPayload('msgbatch_2', 'expired', 5).id).not.toBe(a.id);
  });

  it('tries again, when due, after a non-2xx answer or a network error: same webhook-id, re-signed', async () => {
    const { webhooks, clock, calls, outcomes, warnings, end, rows } = setup(
      [hook()],
      [503, new Error('connect ECONNREFUSED 127.0.0.1:9'), 500, 204],
    );
    await end('batch_7', 'failed');
    const t0 = clock.now();
    // Each attempt is due 1 s, 2 s, 4 s after the one before; not a moment sooner.
    for (const waitMs of [0, 1_000, 2_000, 4_000]) {
      clock.advance(waitMs - 1);
      if (waitMs > 0) expect(await webhooks.deliverDue()).toBe(0);
      clock.advance(1);
      expect(await webhooks.deliverDue()).toBe(1);
    }
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    expect(calls.map((c) => Number(c.headers['webhook-timestamp']))).toEqual(
      [0, 1, 3, 7].map((s) => Math.floor(t0 / 1000) + s),
    );
    // Each attempt is signed for its own timestamp: every one of them verifies.
    for (const c of calls)
      expect(await openai.webhooks.unwrap(c.body, c.headers, SECRET, 60)).toMatchObject({
        type: 'batch.failed',
        data: { id: 'batch_7' },
      });
    expect(outcomes.map(([, o]) => o)).toEqual(['retried', 'retried', 'retried', 'delivered']);
    expect(warnings).toEqual([]);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 4 })]);
  });

  it('honours Retry-After on 429 and 503 (seconds or an HTTP date, capped), not on other errors', async () => {
    let dateAsked = 0;
    const { webhooks, clock, end, rows } = setup(
      [hook()],
      [
        { status: 429, headers: { 'retry-after': '120' } },
        async () => {
          // 10 minutes from the attempt, in whole seconds as HTTP dates are.
          dateAsked = Math.ceil((clock.now() + 600_000) / 1000) * 1000;
          return { status: 503, headers: { 'retry-after': new Date(dateAsked).toUTCString() } };
        },
        { status: 500, headers: { 'retry-after': '3600' } },
        { status: 429, headers: { 'retry-after': '86400' } },
        { status: 429, headers: { 'retry-after': '1' } },
        204,
      ],
      { attempts: 10 },
    );
    const due = async () => (await rows())[0]!.nextAttemptAt! - clock.now();
    await end('batch_9', 'completed');
    expect(await webhooks.deliverDue()).toBe(1);
    expect(await due()).toBe(120_000); // not the first backoff's 1 s
    clock.advance(119_999);
    expect(await webhooks.deliverDue()).toBe(0);
    clock.advance(1);
    expect(await webhooks.deliverDue()).toBe(1);
    expect(await due()).toBe(dateAsked - clock.now());
    expect(dateAsked - clock.now()).toBeGreaterThan(599_000);
    clock.advance(dateAsked - clock.now());
    expect(await webhooks.deliverDue()).toBe(1); // the 500: its retry-after is not read
    expect(await due()).toBe(4_000);
    clock.advance(4_000);
    expect(await webhooks.deliverDue()).toBe(1); // a day asked: capped
    expect(await due()).toBe(RETRY_AFTER_CAP_MS);
    clock.advance(RETRY_AFTER_CAP_MS);
    expect(await webhooks.deliverDue()).toBe(1); // 1 s asked: the backoff (16 s) is longer
    expect(await due()).toBe(16_000);
    clock.advance(16_000);
    expect(await webhooks.deliverDue()).toBe(1);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 6 })]);
  });

  it('gives up after webhookAttempts, counted across attempts, logging the host (not the URL)', async () => {
    const { webhooks, clock, calls, outcomes, warnings, end, rows } = setup(
      [hook()],
      [500, 500, 502, 200],
      { attempts: 3 },
    );
    await end('batch_8', 'cancelled');
    for (let i = 0; i < 3; i++) {
      expect(await webhooks.deliverDue()).toBe(1);
      clock.advance(60_000);
    }
    expect(await webhooks.deliverDue()).toBe(0);
    expect(calls).toHaveLength(3);
    expect(outcomes).toEqual([
      ['batch.cancelled', 'retried'],
      ['batch.cancelled', 'retried'],
      ['batch.cancelled', 'failed'],
    ]);
    expect(warnings).toEqual([
      'batches: webhook batch.cancelled for batch_8 to hooks.example.com not delivered: HTTP 502 on each of 3 attempts',
    ]);
    expect(await rows()).toEqual([
      expect.objectContaining({
        status: 'failed',
        attempts: 3,
        lastError: 'HTTP 502 on each of 3 attempts',
      }),
    ]);
  });

  it("records deliveries only for webhooks that asked for the event and the batch's tenant", async () => {
    const hooks = [
      hook({ url: 'https://all.example.com/' }),
      hook({ url: 'https://failures.example.com/', events: ['batch.failed', 'batch.expired'] }),
      hook({ url: 'https://acme.example.com/', tenants: ['acme', 'globex'] }),
      hook({ url: 'https://beta.example.com/', tenants: ['beta'] }),
    ];
    const { webhooks, calls, end } = setup(hooks);
    await end('batch_a', 'completed', 'acme');
    await end('batch_b', 'expired', 'beta');
    // Recorded twice (a finish run again after a crash): still one delivery each.
    await end('batch_b', 'expired', 'beta');
    expect(await webhooks.deliverDue()).toBe(5);
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

  it('no webhook configured: nothing is recorded or sent', async () => {
    const { webhooks, calls, outcomes, end, rows } = setup([]);
    await end('batch_1', 'completed');
    expect(await rows()).toEqual([]);
    expect(await webhooks.deliverDue()).toBe(0);
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([]);
  });

  it('a secret gone from the environment is logged and counted, never sent unsigned', async () => {
    const { webhooks, calls, outcomes, warnings, end, rows } = setup([hook()], [], { env: {} });
    await end('batch_1', 'completed');
    await webhooks.deliverDue();
    expect(calls).toEqual([]);
    expect(outcomes).toEqual([['batch.completed', 'failed']]);
    expect(warnings[0]).toMatch(/HOOK_SECRET is not set/);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'failed', attempts: 0 })]);
  });

  it('a delivery whose webhook left the config is given up, not sent elsewhere', async () => {
    const { webhooks, settings, calls, warnings, end, rows } = setup([hook()]);
    await end('batch_1', 'completed');
    settings.webhooks = [hook({ url: 'https://moved.example.com/' })];
    await webhooks.deliverDue();
    expect(calls).toEqual([]);
    expect(warnings[0]).toMatch(/no longer in batches.webhooks/);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'failed' })]);
  });

  it("a webhook's own headers cannot replace the signature or the content type", async () => {
    const { webhooks, calls, end } = setup([
      hook({
        headers: {
          'Webhook-Signature': 'v1,forged',
          'webhook-id': 'mine',
          'Content-Type': 'text/plain',
          'x-team': 'data',
        },
      }),
    ]);
    await end('batch_1', 'completed');
    await webhooks.deliverDue();
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

  it('an attempt under way is not made again by another deliverer on the same outbox', async () => {
    let answer = (_: number) => {};
    const slow = () => new Promise<number>((resolve) => (answer = resolve));
    const { webhooks, make, calls, end, rows } = setup([hook()], [slow]);
    await end('batch_1', 'completed');
    const first = webhooks.deliverDue();
    await waitFor(() => expect(calls).toHaveLength(1));
    const other = make();
    expect(await other.deliverDue()).toBe(0);
    answer(200);
    expect(await first).toBe(1);
    expect(await other.deliverDue()).toBe(0);
    expect(calls).toHaveLength(1);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  });

  it('stop() gives nothing up: the next deliverer sends what is left, same webhook-id', async () => {
    const { webhooks, make, clock, calls, outcomes, warnings, end } = setup([hook()], [500]);
    await end('batch_1', 'completed');
    await webhooks.deliverDue();
    await webhooks.stop(0);
    clock.advance(1_000);
    expect(await webhooks.deliverDue()).toBe(0); // stopped: looks for nothing
    expect(await make().deliverDue()).toBe(1);
    expect(calls.map((c) => c.headers['webhook-id'])).toEqual([
      calls[0]!.headers['webhook-id'],
      calls[0]!.headers['webhook-id'],
    ]);
    expect(outcomes.map(([, o]) => o)).toEqual(['retried', 'delivered']);
    expect(warnings).toEqual([]);
  });

  it('an outbox that is down is said once a minute while it stays down, and again when it is back', async () => {
    const store = createMemoryWebhookOutbox();
    let down = true;
    const failing: WebhookOutbox = Object.assign(Object.create(store) as WebhookOutbox, {
      claimWebhookDelivery: (...args: Parameters<WebhookOutbox['claimWebhookDelivery']>) =>
        down
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
          : store.claimWebhookDelivery(...args),
    });
    const { webhooks, clock, warnings } = setup([hook()], [], { store: failing });
    // A pass a second for two minutes (at 0 s … 120 s): three lines, not 121.
    for (let i = 0; i <= 120; i++) {
      await webhooks.deliverDue();
      clock.advance(1_000);
    }
    expect(warnings).toEqual([
      'batches: could not claim a webhook delivery: connect ECONNREFUSED 127.0.0.1:5432',
      'batches: could not claim a webhook delivery: connect ECONNREFUSED 127.0.0.1:5432 (60 times in the last 60 s)',
      'batches: could not claim a webhook delivery: connect ECONNREFUSED 127.0.0.1:5432 (60 times in the last 60 s)',
    ]);
    down = false;
    await webhooks.deliverDue();
    await webhooks.deliverDue();
    expect(warnings.slice(3)).toEqual([
      'batches: could not claim a webhook delivery: working again',
    ]);
  });
});
