// Alerts through a running router (createRuntime, in process) to a loopback webhook over real HTTP:
// a tenant's budget passing its Cost-mode threshold and running out, each once for its period,
// and a deployment's circuit opening after failures, in JSON and Slack formats.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { createRuntime } from '../src/runtime.js';
import { readJsonBody } from './helpers/fake-http.js';
import { simDeployment, testConfigInput } from './helpers/test-config.js';

const received: { path: string; body: Record<string, unknown> }[] = [];
let hook: Server;
let base: string;

beforeAll(async () => {
  hook = createServer(async (req, res) => {
    received.push({ path: req.url ?? '', body: await readJsonBody(req) });
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => hook.close(resolve)));

const chat = (model = 'model-router') => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
});

describe('alerts to webhooks', () => {
  it('a budget past its threshold, then used up: one alert each for the period', async () => {
    received.length = 0;
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          // An answer of `big` costs about $0.00043: the first request takes this budget past
          // 80%, the second past 100%.
          budgets: { shiftToCostAt: 0.8, tenants: { default: { dailyUsd: 0.0005 } } },
          alerts: { webhooks: [{ url: `${base}/ops` }] },
        }),
        {},
      ).config,
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: chat('big'),
        });
        statuses.push(r.statusCode);
      }
      expect(statuses).toContain(429);
      await rt.close(); // waits for alerts in flight
      const events = received.map((r) => r.body.event);
      expect(events.filter((e) => e === 'budget_exhausted')).toHaveLength(1);
      const exhausted = received.find((r) => r.body.event === 'budget_exhausted')!;
      expect(exhausted.path).toBe('/ops');
      expect(exhausted.body.message).toMatch(
        /^The daily budget of tenant default is used up \(\$0\.000\d+ of \$0\.00050\): its requests are refused until \d{4}-\d\d-\d\dT00:00:00\.000Z\.$/,
      );
      expect(exhausted.body.details).toMatchObject({
        scope: 'tenant',
        id: 'default',
        period: 'day',
        limit_usd: 0.0005,
      });
      const threshold = received.filter((r) => r.body.event === 'budget_threshold');
      expect(threshold).toHaveLength(1);
      expect(threshold[0]!.body.message).toMatch(
        /^The daily budget of tenant default is \d+% used \(\$0\.000\d+ of \$0\.00050\): its requests are routed in Cost mode until /,
      );
    } finally {
      await rt.close().catch(() => {});
    }
  });

  it("a deployment's circuit opening, in Slack's format", async () => {
    received.length = 0;
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          deployments: [
            simDeployment('flaky', { simulation: { failure: { kind: '500' } } }),
            simDeployment('steady'),
          ],
          routers: [{ name: 'model-router', modelSubset: ['flaky', 'steady'] }],
          alerts: {
            webhooks: [{ url: `${base}/slack`, format: 'slack', events: ['circuit_open'] }],
          },
        }),
        {},
      ).config,
    );
    try {
      for (let i = 0; i < 7; i++)
        await rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: chat('flaky'),
        });
      await rt.close();
      expect(received).toEqual([
        {
          path: '/slack',
          body: {
            text: '[model-router] Deployment flaky failed 5 times within 30 s: its circuit is open, routers and pools skip it, and it is probed again after 15 s.',
          },
        },
      ]);
    } finally {
      await rt.close().catch(() => {});
    }
  });

  it("a deployment's own budget: one warning past the threshold, one alert when it is routed around", async () => {
    received.length = 0;
    const input = testConfigInput({
      alerts: { webhooks: [{ url: `${base}/ops` }] },
      // The first call (about $0.0007) takes big past half its budget, the second past all of it.
      budgets: { shiftToCostAt: 0.5 },
    });
    const rt = await createRuntime(
      parseConfig(
        {
          ...input,
          deployments: [
            simDeployment('big', {
              prices: { inputPer1M: 10, outputPer1M: 30 },
              budget: { dailyUsd: 0.001 },
            }),
            ...input.deployments.slice(1),
          ],
          pools: [{ name: 'spill', deployments: ['big', 'mid'], strategy: 'priority' }],
        },
        {},
      ).config,
    );
    try {
      for (let i = 0; i < 5; i++)
        expect(
          (
            await rt.app.inject({
              method: 'POST',
              url: '/v1/chat/completions',
              payload: chat('spill'),
            })
          ).statusCode,
        ).toBe(200);
    } finally {
      await rt.close(); // waits for alerts in flight
    }
    const alerts = received.filter((r) => r.body.event === 'budget_exhausted');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.body.message).toMatch(
      /^The daily budget of deployment big is used up \(\$0\.00\d+ of \$0\.0010\): routers and pools route around it/,
    );
    expect(alerts[0]!.body.details).toMatchObject({ scope: 'deployment', id: 'big' });
    const warnings = received.filter((r) => r.body.event === 'budget_threshold');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.body.message).toMatch(
      /^The daily budget of deployment big is \d+% used .*: once it is used up, routers and pools route around it/,
    );
  });
});
