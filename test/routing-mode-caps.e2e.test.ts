// A routing mode lowered by the caller's key (`maxRoutingMode`) or by a budget near its limit is
// never lowered silently (STYLE.md principle 8): x-router-warnings says so, and so does the
// decision receipt's reason. Through the whole router (createRuntime + app.inject).
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key.js';
import { parseConfig } from '../src/config/load-config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { testConfigInput } from './helpers/test-config.js';

const KEY = 'mr-team-a-key-0123456789';
const chat = (model = 'model-router') => ({ model, messages: [{ role: 'user', content: 'hi' }] });

async function receiptOf(rt: Runtime, id: unknown) {
  const res = await rt.app.inject({
    method: 'GET',
    url: `/v1/router/decisions/${String(id)}`,
    headers: { authorization: `Bearer ${KEY}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as { mode: string; reason: string; summary: string };
}

describe('routing mode caps', () => {
  it("a key's maxRoutingMode: the lowered mode is warned of and in the receipt", async () => {
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          auth: {
            mode: 'keys',
            keys: [
              {
                id: 'team-a',
                hash: hashApiKey(KEY),
                tenant: 'team-a',
                scopes: ['model-router', 'quality-router'],
                maxRoutingMode: 'balanced',
              },
            ],
          },
          cache: { enabled: true, ttlSeconds: 600 },
          routers: [
            { name: 'model-router', modelSubset: ['big', 'mid', 'small'] },
            { name: 'quality-router', modelSubset: ['big', 'mid'], routingMode: 'quality' },
          ],
        }),
        {},
      ).config,
    );
    try {
      const send = (model: string, mode?: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${KEY}`, ...(mode ? { 'x-router-mode': mode } : {}) },
          payload: chat(model),
        });
      const asked = await send('model-router', 'quality');
      expect(asked.statusCode).toBe(200);
      expect(asked.headers['x-router-mode']).toBe('balanced');
      expect(asked.headers['x-router-warnings']).toBe(
        "routing mode quality (asked in x-router-mode) capped at balanced: this API key's maxRoutingMode is balanced",
      );
      const receipt = await receiptOf(rt, asked.headers['x-router-decision-id']);
      expect(receipt.mode).toBe('balanced');
      expect(receipt.reason).toContain(
        "; routing mode quality (asked in x-router-mode) capped at balanced: this API key's maxRoutingMode is balanced",
      );
      expect(receipt.summary).toContain('routing mode quality (asked in x-router-mode) capped');

      // Answered again from the answer cache: the cap is said there too.
      const again = await send('model-router', 'quality');
      expect(again.headers['x-router-cache']).toBe('hit');
      expect(again.headers['x-router-warnings']).toBe(asked.headers['x-router-warnings']);

      // A router whose own default is above the key's ceiling: capped the same way, said so.
      const byDefault = await send('quality-router');
      expect(byDefault.headers['x-router-mode']).toBe('balanced');
      expect(byDefault.headers['x-router-warnings']).toBe(
        `routing mode quality (router "quality-router"'s default) capped at balanced: this API key's maxRoutingMode is balanced`,
      );
      expect((await receiptOf(rt, byDefault.headers['x-router-decision-id'])).reason).toContain(
        `routing mode quality (router "quality-router"'s default) capped at balanced`,
      );

      // Within the ceiling: nothing to say.
      const within = await send('model-router', 'cost');
      expect(within.headers['x-router-mode']).toBe('cost');
      expect(within.headers['x-router-warnings']).toBeUndefined();
      expect((await receiptOf(rt, within.headers['x-router-decision-id'])).reason).not.toContain(
        'capped',
      );
    } finally {
      await rt.close();
    }
  });

  it('a budget past shiftToCostAt: the shift to cost is in the receipt as well as the warning', async () => {
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          // An answer of `big` costs about $0.00043: the first request takes this budget past 80%.
          budgets: { shiftToCostAt: 0.8, tenants: { default: { dailyUsd: 0.0005 } } },
        }),
        {},
      ).config,
    );
    try {
      const first = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: chat('big'),
      });
      expect(first.statusCode).toBe(200);
      const shifted = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'x-router-mode': 'quality' },
        payload: chat(),
      });
      expect(shifted.statusCode).toBe(200);
      expect(shifted.headers['x-router-mode']).toBe('cost');
      expect(shifted.headers['x-router-warnings']).toMatch(
        /^budget \d+% used: routing in cost mode$/,
      );
      const receipt = await receiptOf(rt, shifted.headers['x-router-decision-id']);
      expect(receipt.reason).toContain(
        '; routing mode quality shifted to cost: a budget is nearly spent (budgets.shiftToCostAt)',
      );
    } finally {
      await rt.close();
    }
  });
});
