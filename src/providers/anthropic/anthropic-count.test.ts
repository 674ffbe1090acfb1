// Anthropic's own token count (`/v1/messages/count_tokens`), asked with the request as it would be
// sent, and the gateway's choice between the provider's count and the router's.
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { countPromptTokens } from '../../core/prompt-text.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { ANONYMOUS } from '../../gateway/gateway-types.js';
import { createHttpClient } from '../http-client.js';
import { createAnthropicAdapter } from './anthropic-adapter.js';

const claude = deploymentSchema.parse({
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  apiKeyEnv: 'UPSTREAM_KEY',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
});
const request = {
  model: 'claude',
  max_tokens: 500,
  temperature: 0.5,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Oslo?' },
  ],
  tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
  tool_choice: 'auto',
} as ChatRequest;

let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

describe("Anthropic's own token count", () => {
  it('asks count_tokens with what counting takes of the request as it would be sent', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    const adapter = createAnthropicAdapter(claude, createHttpClient({ dispatcher: agent }), {
      UPSTREAM_KEY: 'sk-test',
    });
    let sent: { headers: Record<string, string>; body: Record<string, unknown> } | undefined;
    const pool = agent.get('https://api.anthropic.com');
    pool.intercept({ path: '/v1/messages/count_tokens', method: 'POST' }).reply((opts) => {
      sent = {
        headers: opts.headers as Record<string, string>,
        body: JSON.parse(String(opts.body)) as Record<string, unknown>,
      };
      return { statusCode: 200, data: JSON.stringify({ input_tokens: 321 }) };
    });
    const signal = new AbortController().signal;
    expect(await adapter.countTokens!({ deployment: claude, body: request, signal })).toBe(321);
    expect(sent!.headers['x-api-key']).toBe('sk-test');
    expect(sent!.headers['anthropic-version']).toBe('2023-06-01');
    expect(Object.keys(sent!.body).sort()).toEqual([
      'messages',
      'model',
      'system',
      'tool_choice',
      'tools',
    ]);
    expect(sent!.body).toMatchObject({ model: 'claude-sonnet-4-5', system: 'Be brief.' });
    pool
      .intercept({ path: '/v1/messages/count_tokens', method: 'POST' })
      .reply(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    await expect(
      adapter.countTokens!({ deployment: claude, body: request, signal }),
    ).rejects.toMatchObject({ status: 529 });
  });

  it('the gateway asks a deployment that counts, else counts itself and says why', async () => {
    const reply = [{ reply: 'ok' }];
    const asked: ChatRequest[] = [];
    const t = await buildTestApp(testConfig(), {
      big: {
        ...fakeAdapter('big', reply),
        countTokens: async (req) => (asked.push(req.body), 4242),
      },
      mid: fakeAdapter('mid', reply),
      small: {
        ...fakeAdapter('small', reply),
        countTokens: async () => {
          throw new Error('connection refused\nretry later');
        },
      },
    });
    const count = (model: string) =>
      t.gateway.countTokens({ request: { ...request, model }, auth: ANONYMOUS });
    const own = await countPromptTokens(request);
    expect(await count('big')).toEqual({ inputTokens: 4242, countedBy: 'big' });
    expect(asked[0]!.model).toBe(t.config.current.deployments.get('big')!.model);
    expect(await count('mid')).toEqual({ inputTokens: own, countedBy: 'router' });
    // A router's pick is not known before routing: the router counts.
    expect(await count('model-router')).toEqual({ inputTokens: own, countedBy: 'router' });
    expect(await count('small')).toEqual({
      inputTokens: own,
      countedBy: 'router',
      warning:
        "small could not count (connection refused retry later); this is the router's own count",
    });
  });

  it('custom tools are counted as the function tools Claude gets for them', async () => {
    const asked: ChatRequest[] = [];
    const config = testConfig({
      deployments: [
        simDeployment('big'),
        {
          ...simDeployment('claude'),
          provider: 'anthropic',
          model: 'claude-x',
          simulation: undefined,
        },
      ],
      routers: [{ name: 'model-router', modelSubset: ['big'] }],
    });
    const t = await buildTestApp(config, {
      big: fakeAdapter('big', [{ reply: 'ok' }]),
      claude: {
        ...fakeAdapter('claude', [{ reply: 'ok' }]),
        countTokens: async (req) => (asked.push(req.body), 7),
      },
    });
    const custom = {
      model: 'claude',
      messages: [
        { role: 'user', content: 'patch' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'apply_patch', input: 'P' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'Done!' },
      ],
      tools: [{ type: 'custom', custom: { name: 'apply_patch' } }],
    } as ChatRequest;
    expect(await t.gateway.countTokens({ request: custom, auth: ANONYMOUS })).toEqual({
      inputTokens: 7,
      countedBy: 'claude',
    });
    expect(asked[0]!.tools?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'apply_patch' },
    });
    expect(asked[0]!.messages[1]).toMatchObject({
      tool_calls: [{ type: 'function', function: { arguments: '{"input":"P"}' } }],
    });
  });
});
