// Deployments' own spend budgets (deployments[].budget) through the whole router (createRuntime +
// app.inject): once a deployment has spent its day's budget, a pool and a router route around it
// (eligibility rule `budget_exhausted`, in the receipt), a call by its name gets 429
// `budget_exceeded` in the caller's API shape, and the day's reset brings it back.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { createManualClock } from '../src/core/clock.js';
import { createRuntime } from '../src/runtime.js';
import { simDeployment, testConfigInput } from './helpers/test-config.js';

const ask = (model: string) => ({ model, messages: [{ role: 'user', content: 'hello' }] });

describe('deployment budgets through the router', () => {
  it('a deployment past its budget is routed around, refused by name, and back after the reset', async () => {
    const input = testConfigInput();
    const config = parseConfig(
      {
        ...input,
        deployments: [
          // About $0.0007 a call (10 prompt tokens at $10/M, 20 answer tokens at $30/M): two calls.
          simDeployment('big', {
            prices: { inputPer1M: 10, outputPer1M: 30 },
            budget: { dailyUsd: 0.001 },
          }),
          ...input.deployments.slice(1),
        ],
        pools: [
          { name: 'spill', deployments: ['big', 'mid'], strategy: 'priority' },
          { name: 'big-only', deployments: ['big'] },
        ],
      },
      {},
    ).config;
    const clock = createManualClock(Date.UTC(2026, 11, 1, 12));
    const rt = await createRuntime(config, { clock });
    try {
      const send = (payload: object, url = '/v1/chat/completions', headers = {}) =>
        rt.app.inject({ method: 'POST', url, payload, headers });
      const served: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await send(ask('spill'));
        expect(r.statusCode).toBe(200);
        served.push(r.headers['x-router-deployment'] as string);
      }
      // big spends its budget on the first two, then the pool goes to mid.
      expect(served).toEqual(['big', 'big', 'mid']);

      const direct = await send(ask('big'));
      expect(direct.statusCode).toBe(429);
      expect(direct.json().error).toMatchObject({
        type: 'insufficient_quota',
        code: 'budget_exceeded',
      });
      expect(direct.json().error.message).toMatch(
        /^The daily budget of deployment big is used up: \$0\.00\d+ spent of \$0\.001\. It resets at 2026-12-02T00:00:00\.000Z\.$/,
      );
      expect(direct.headers['retry-after']).toBe(String(12 * 3600));
      // Not worth an SDK's retries (they would retry a 429 twice by default).
      expect(direct.headers['x-should-retry']).toBe('false');
      // Nor is a pool with no member within its budget.
      const pooled = await send(ask('big-only'));
      expect(pooled.statusCode).toBe(429);
      expect(pooled.json().error.code).toBe('budget_exceeded');
      expect(pooled.headers['x-should-retry']).toBe('false');
      expect(direct.json().error.budget).toMatchObject({
        scope: 'deployment',
        id: 'big',
        period: 'day',
        limit_usd: 0.001,
      });
      // Anthropic clients get Anthropic's envelope.
      const claude = await send({ ...ask('big'), max_tokens: 50 }, '/v1/messages', {
        'anthropic-version': '2023-06-01',
      });
      expect(claude.statusCode).toBe(429);
      expect(claude.json()).toMatchObject({ type: 'error', error: { type: expect.any(String) } });

      // A router's receipt names the rule that left big out.
      const routed = await send(ask('model-router'), '/v1/chat/completions', {
        'x-router-mode': 'quality',
      });
      expect(routed.statusCode).toBe(200);
      expect(routed.headers['x-router-deployment']).not.toBe('big');
      const receipt = (
        await rt.app.inject({
          method: 'GET',
          url: `/v1/router/decisions/${routed.headers['x-router-decision-id']}`,
        })
      ).json();
      expect(JSON.stringify(receipt)).toContain('budget_exhausted');

      // A new UTC day: big serves again.
      clock.advance(12 * 3_600_000);
      const first = await send(ask('spill'));
      expect(first.headers['x-router-deployment']).toBe('big');
    } finally {
      await rt.close();
    }
  });
});
