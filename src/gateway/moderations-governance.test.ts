// Moderations governed as the other endpoints in the running router (createRuntime): keys and
// scopes, rate limits, prices and budgets; and the content filter's moderation plug-in on the
// router's own moderation model.
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig, type ConfigError } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createRuntime } from '../runtime.js';
import type { RequestRecord } from '../store/request-record.js';
import { simModerationDeployment, testConfigInput } from '../../test/helpers/test-config.js';

describe('moderations governed as the other endpoints (createRuntime)', () => {
  const KEY = 'mr-moderation-key-0123456789';
  const CHAT_KEY = 'mr-chat-only-key-0123456789';

  it('keys and scopes, the deployment’s and the key’s rate limits, a price and the key’s budget', async () => {
    const input = testConfigInput({
      auth: {
        mode: 'keys',
        keys: [
          {
            id: 'team-m',
            hash: hashApiKey(KEY),
            tenant: 'team-m',
            scopes: ['omni-moderation-latest', 'paid-mod'],
            rateLimit: { rpm: 4 },
          },
          { id: 'chat', hash: hashApiKey(CHAT_KEY), tenant: 'team-c', scopes: ['model-router'] },
          {
            id: 'thrifty',
            hash: hashApiKey(`${KEY}-thrifty`),
            tenant: 'team-t',
            scopes: ['paid-mod'],
            budget: { dailyUsd: 0.05 },
          },
        ],
      },
    });
    input.deployments.push(
      simModerationDeployment('omni-moderation-latest', { rateLimit: { rpm: 2 } }),
      simModerationDeployment('paid-mod', { prices: { inputPer1M: 1_000, outputPer1M: 0 } }),
    );
    const rt = await createRuntime(parseConfig(input, {}).config);
    try {
      const moderate = (key: string, payload: Record<string, unknown>) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/moderations',
          headers: { authorization: `Bearer ${key}` },
          payload,
        });
      expect((await moderate('', { input: 'x' })).statusCode).toBe(401);
      const chatOnly = await moderate(CHAT_KEY, { input: 'x' });
      expect(chatOnly.statusCode).toBe(403);
      expect(chatOnly.json().error.message).toContain('omni-moderation-latest');
      expect((await moderate(KEY, { input: 'one' })).statusCode).toBe(200);
      expect((await moderate(KEY, { input: 'two' })).statusCode).toBe(200);
      // The deployment's 2 requests a minute are used; the key still has 2 of its 4.
      const deploymentLimited = await moderate(KEY, { input: 'three' });
      expect(deploymentLimited.statusCode).toBe(429);
      expect(deploymentLimited.json().error.message).toContain('deployment omni-moderation-latest');
      // A priced moderation model costs what its prices say (100 tokens by the estimate).
      const paid = await moderate(KEY, { model: 'paid-mod', input: 'a'.repeat(400) });
      expect(paid.statusCode).toBe(200);
      const keyLimited = await moderate(KEY, { model: 'paid-mod', input: 'b' });
      expect(keyLimited.statusCode).toBe(429);
      expect(keyLimited.json().error.message).toContain('API key team-m');
      expect(keyLimited.headers['retry-after']).toBeDefined();
      // A key's budget: 0.1 USD spent of 0.05, the next request is refused.
      const thrifty = `${KEY}-thrifty`;
      expect(
        (await moderate(thrifty, { model: 'paid-mod', input: 'a'.repeat(400) })).statusCode,
      ).toBe(200);
      const broke = await moderate(thrifty, { model: 'paid-mod', input: 'c' });
      expect(broke.statusCode).toBe(429);
      expect(broke.json().error.code).toBe('budget_exceeded');
    } finally {
      await rt.close();
    }
  });
});

describe('the content filter’s moderation plug-in on the router’s own moderation model', () => {
  it('blocks a prompt the model flags, passes others, and lets a failing model not block', async () => {
    const input = testConfigInput({
      contentFilter: { enabled: true, moderationDeployment: 'mods' },
      pools: [{ name: 'mods', deployments: ['omni-moderation-latest'], strategy: 'priority' }],
    });
    input.deployments.push(simModerationDeployment('omni-moderation-latest'));
    const records: RequestRecord[] = [];
    const rt = await createRuntime(parseConfig(input, {}).config, {
      recorder: { record: (r) => records.push(r) },
    });
    try {
      const chat = (content: string) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'model-router', messages: [{ role: 'user', content }] },
        });
      const blocked = await chat('I want to kill them.');
      expect(blocked.statusCode).toBe(400);
      const error = blocked.json().error;
      expect(error.code).toBe('content_filter');
      expect(error.message).toContain('violence');
      expect(error.innererror.content_filter_result.violence).toMatchObject({ filtered: true });
      const fine = await chat('What is the capital of France?');
      expect(fine.statusCode).toBe(200);
      // The filter's own calls are the router's: no request-log record of their own.
      expect(records.map((r) => [r.endpoint, r.status])).toEqual([
        ['chat', 400],
        ['chat', 200],
      ]);
      const failing = testConfigInput({
        contentFilter: { enabled: true, moderationDeployment: 'omni-moderation-latest' },
      });
      failing.deployments.push(
        simModerationDeployment('omni-moderation-latest', {
          simulation: { failure: { kind: '500', rate: 1 } },
        }),
      );
      const rt2 = await createRuntime(parseConfig(failing, {}).config);
      try {
        const r = await rt2.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { model: 'model-router', messages: [{ role: 'user', content: 'kill' }] },
        });
        expect(r.statusCode).toBe(200);
      } finally {
        await rt2.close();
      }
    } finally {
      await rt.close();
    }
  });

  it('refuses a moderationDeployment that is not a moderation model, or set beside moderationUrl', () => {
    const issues = (contentFilter: ConfigInput['contentFilter']) => {
      try {
        parseConfig(testConfigInput({ contentFilter }), {});
        return '';
      } catch (err) {
        return (err as ConfigError).issues.join('\n');
      }
    };
    expect(issues({ enabled: true, moderationDeployment: 'big' })).toMatch(
      /contentFilter\.moderationDeployment: "big" is not a moderation deployment/,
    );
    expect(
      issues({ enabled: true, moderationDeployment: 'x', moderationUrl: 'http://127.0.0.1:1/m' }),
    ).toMatch(/contentFilter\.moderationDeployment: set it or moderationUrl, not both/);
  });
});
