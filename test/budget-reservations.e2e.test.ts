// Budget reservations through the whole router (createRuntime, the simulated fleet): requests
// running at once are admitted against the spend and each other's expected cost, and every way a
// request ends (served, failed upstream, stream cut by the client) swaps its reservation for its
// real cost, so the counter ends at exactly what the request log says was spent.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  PROMPT,
  ask,
  budgetedRouter,
  dayBudget,
  eventually,
  loggedNano,
  spendToRefusal,
} from './helpers/budget-reservations.js';
import { settle, submitBatch } from './helpers/batch-client.js';
import { listenInRange } from './helpers/listen-in-range.js';
import { simDeployment } from './helpers/test-config.js';

describe('budget reservations', () => {
  it('20 concurrent requests on a fresh $0.002 budget: served only while spend and reservations fit, and the counter ends at the log total', async () => {
    // Answers take 1.5 s: all 20 are admitted while the first are in flight, on a loaded machine.
    const { rt, records } = await budgetedRouter(0.002, { ttftMs: 1_500 });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => ask(rt)));
      const served = answers.filter((a) => a.statusCode === 200);
      const refused = answers.filter((a) => a.statusCode === 429);
      expect(served.length + refused.length).toBe(20);
      // Refused while nothing was spent yet, for what the others hold: to retry in a second (a
      // request admitted late, on a slow machine, may meet a budget already spent instead).
      for (const r of refused) expect(r.json().error.code).toBe('budget_exceeded');
      const forNow = refused.filter((r) => r.headers['retry-after'] === '1');
      expect(forNow.length).toBeGreaterThan(0);
      for (const r of forNow) expect(r.headers['x-should-retry']).toBeUndefined();
      const costs = records.filter((r) => r.status === 200).map((r) => r.costUsd);
      expect(costs).toHaveLength(served.length);
      const spent = costs.reduce((a, b) => a + b, 0);
      // Each answer costs about $0.0007 here: without reservations all 20 were served ($0.014).
      expect(served.length).toBeGreaterThanOrEqual(1);
      expect(spent).toBeLessThanOrEqual(0.002 + Math.max(...costs) + 1e-12);
      expect(served.length).toBeLessThan(20);
      // Once they all ended no reservation is left, and the spend is exactly what was logged.
      const after = await dayBudget(rt);
      expect(after.reserved_usd).toBe(0);
      expect(after.spent_usd).toBeCloseTo(spent, 8);
      const last = await spendToRefusal(rt);
      expect(last.reserved).toBeUndefined();
      expect(last.spentNano).toBe(loggedNano(records));
    } finally {
      await rt.close();
    }
  }, 30_000);

  it('a request in flight holds its expected cost; a failed upstream gives it back', async () => {
    // Each call times out at the upstream after 2 s (a 504): nothing is answered. The reservation
    // is read while it waits, so that wait is kept well above a loaded machine's stalls.
    const { rt, records } = await budgetedRouter(0.01, {
      failure: { kind: 'timeout', delayMs: 2_000, rate: 1, retryAfterSeconds: 1 },
    });
    try {
      const pending = ask(rt);
      const during = await eventually(
        () => dayBudget(rt),
        (b) => (b.reserved_usd ?? 0) > 0,
      );
      // 40 answer tokens (max_tokens) at $30/1M and the prompt at $10/1M: $0.0012 and a little.
      expect(during.reserved_usd).toBeGreaterThan(0.0012);
      expect(during.reserved_usd).toBeLessThan(0.0015);
      const res = await pending;
      expect(res.statusCode).toBeGreaterThanOrEqual(500);
      const after = await eventually(
        () => dayBudget(rt),
        (b) => b.reserved_usd === 0,
      );
      expect(after.reserved_usd).toBe(0);
      expect(after.spent_usd).toBeCloseTo(loggedNano(records) / 1e9, 9);
    } finally {
      await rt.close();
    }
  }, 30_000);

  it("once routing picks a cheaper deployment, the reservation is narrowed to its expected cost; the counter still ends at the log's total", async () => {
    // The narrowed reservation is read before the first token: 2 s away, well above a stall.
    const sim = { ttftMs: 2_000, tokensPerSecond: 1_000_000, answerTokens: 20 };
    const { rt, records } = await budgetedRouter(
      0.01,
      {},
      {
        deployments: [
          simDeployment('dear', { prices: { inputPer1M: 10, outputPer1M: 30 }, simulation: sim }),
          simDeployment('cheap', {
            prices: { inputPer1M: 0.1, outputPer1M: 0.3 },
            simulation: sim,
          }),
        ],
        routers: [{ name: 'model-router', modelSubset: ['dear', 'cheap'], routingMode: 'cost' }],
      },
    );
    try {
      const pending = ask(rt);
      // Admission reserves at the dearest ($0.0012 and a little, as above); the pick is cheap's
      // hundredth of that, 40 answer tokens at $0.3/1M and the prompt at $0.1/1M.
      const during = await eventually(
        () => dayBudget(rt),
        (b) => (b.reserved_usd ?? 0) > 0 && (b.reserved_usd ?? 1) < 0.0001,
      );
      expect(during.reserved_usd).toBeGreaterThan(0.000012);
      expect(during.reserved_usd).toBeLessThan(0.000015);
      const res = await pending;
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-router-deployment']).toBe('cheap');
      const after = await eventually(
        () => dayBudget(rt),
        (b) => b.reserved_usd === undefined || b.reserved_usd === 0,
      );
      expect(after.reserved_usd ?? 0).toBe(0);
      expect(after.spent_usd).toBeCloseTo(loggedNano(records) / 1e9, 9);
    } finally {
      await rt.close();
    }
  }, 30_000);

  it('a stream the client drops gives its reservation back and is charged what it cost', async () => {
    // A slow stream (2 tokens a second: 10 s for its 20), dropped by the client after its first
    // bytes, long before its end however slowly the machine runs.
    const { rt, records } = await budgetedRouter(0.01, { ttftMs: 0, tokensPerSecond: 2 });
    try {
      await listenInRange((port) => rt.app.listen({ host: '127.0.0.1', port }), 47_160, 47_179);
      const port = (rt.app.server.address() as AddressInfo).port;
      const body = JSON.stringify({ ...PROMPT, stream: true });
      const firstBytes = await new Promise<() => void>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/chat/completions',
            headers: { 'content-type': 'application/json' },
          },
          (res) => res.once('data', () => resolve(() => req.destroy())),
        );
        req.on('error', () => {});
        req.once('error', reject);
        req.end(body);
      });
      const during = await dayBudget(rt);
      expect(during.reserved_usd).toBeGreaterThan(0.0012);
      firstBytes();
      const ended = await eventually(
        async () => records.length,
        (n) => n > 0,
      );
      expect(ended).toBe(1);
      expect(records[0]!.status).toBe(499);
      const after = await eventually(
        () => dayBudget(rt),
        (b) => b.reserved_usd === 0,
      );
      expect(after.reserved_usd).toBe(0);
      expect(after.spent_usd).toBeCloseTo(loggedNano(records) / 1e9, 9);
      expect(after.spent_usd).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  }, 30_000);

  it('an answer from the cache gives its reservation back, JSON and streamed', async () => {
    const { rt, records } = await budgetedRouter(
      1,
      { ttftMs: 0 },
      { cache: { enabled: true, ttlSeconds: 60 } },
    );
    try {
      const direct = { model: 'slow' }; // a deployment by name: its answers are kept
      expect((await ask(rt, direct)).headers['x-router-cache']).toBe('miss');
      const hit = await ask(rt, direct);
      expect(hit.headers['x-router-cache']).toBe('hit');
      const streamed = await ask(rt, { ...direct, stream: true });
      expect(streamed.headers['x-router-cache']).toBe('hit');
      const after = await dayBudget(rt);
      expect(after.reserved_usd).toBe(0);
      expect(after.spent_usd).toBeCloseTo(loggedNano(records) / 1e9, 9);
      expect(after.spent_usd).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  }, 30_000);

  it('a batch line held for a Batch API gives back what its admission reserved', async () => {
    // Its cost is settled when the Batch API answers, as another request's: the live request that
    // offered it must give its reservation back, or the budget stays held until the reset.
    const { rt, records } = await budgetedRouter(
      1,
      {},
      {
        batches: { pollIntervalMs: 50, forwardPollMs: 50 },
        deployments: [
          simDeployment('cheap', {
            prices: { inputPer1M: 2, outputPer1M: 8 },
            batchApi: { completesAfterMs: 0 },
          }),
        ],
        routers: [],
      },
    );
    try {
      await listenInRange((port) => rt.app.listen({ host: '127.0.0.1', port }), 47_160, 47_179);
      const port = (rt.app.server.address() as AddressInfo).port;
      const c = new OpenAI({
        baseURL: `http://127.0.0.1:${port}/v1`,
        apiKey: 'none',
        maxRetries: 0,
      });
      const line = (id: string) => ({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { ...PROMPT, model: 'cheap' },
      });
      const created = await submitBatch(c, [line('a'), line('b')], {
        'x-router-batch-forward': 'when-available',
      });
      const batch = await settle(c, created.id);
      expect(batch.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
      const forwarded = records.filter((r) => r.tags?.includes(`batch:${batch.id}`));
      expect(forwarded).toHaveLength(2);
      const after = await eventually(
        () => dayBudget(rt),
        (b) => b.reserved_usd === 0,
      );
      expect(after.reserved_usd).toBe(0);
      expect(after.spent_usd).toBeCloseTo(loggedNano(records) / 1e9, 9);
      expect(after.spent_usd).toBeGreaterThan(0);
    } finally {
      await rt.close();
    }
  }, 30_000);
});
