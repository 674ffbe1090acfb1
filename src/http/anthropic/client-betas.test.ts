// An Anthropic client's `anthropic-beta` header reaches Anthropic deployments (merged with the
// deployment's own betas, each once, as `forwardClientBetas` allows) and no other provider.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { recordingHttp, type SentRequest } from '../../../test/helpers/fake-http.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { parseConfig } from '../../config/load-config.js';
import type { ConfigInput } from '../../config/schema.js';
import { createAnthropicAdapter } from '../../providers/anthropic/anthropic-adapter.js';
import { anthropicHeaders } from '../../providers/anthropic/anthropic-http.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { claudeDeployment } from '../../../test/helpers/test-config.js';

const CLAUDE_CODE_BETAS =
  'claude-code-20250219,interleaved-thinking-2025-05-14, context-management-2025-06-27';

type DeploymentInput = ConfigInput['deployments'][number];
const claudeInput = (over: Partial<DeploymentInput> = {}): DeploymentInput => ({
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
  ...over,
});
const gptInput: DeploymentInput = {
  name: 'gpt',
  provider: 'openai',
  model: 'gpt-4.1',
  prices: { inputPer1M: 2, outputPer1M: 8 },
  contextWindow: 1_000_000,
  maxOutputTokens: 8192,
};

const claudeReply = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'hi' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 2 },
};
const gptReply = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
};

async function appWith(claude: DeploymentInput) {
  const config = testConfig({ deployments: [claude, gptInput], routers: [] });
  const toClaude = recordingHttp(JSON.stringify(claudeReply));
  const toGpt = recordingHttp(JSON.stringify(gptReply));
  const deployment = (name: string) => config.deployments.find((d) => d.name === name)!;
  const { app } = await buildTestApp(config, {
    claude: createAnthropicAdapter(deployment('claude'), toClaude.http, {}),
    gpt: createOpenAiAdapter(deployment('gpt'), toGpt.http, {}),
  });
  return { app, toClaude: toClaude.sent, toGpt: toGpt.sent };
}

const ask = (model: string) => ({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Say hello' }],
});
const betaOf = (sent: SentRequest[]) =>
  sent.map((s) =>
    Object.entries(s.headers)
      .filter(([k]) => k.toLowerCase() === 'anthropic-beta')
      .map(([, v]) => v),
  );

describe("an Anthropic client's anthropic-beta header", () => {
  it('reaches an Anthropic deployment from /v1/messages, after its own betas, each once', async () => {
    const { app, toClaude } = await appWith(
      claudeInput({
        headers: { 'Anthropic-Beta': 'context-management-2025-06-27,files-api-2025-04-14' },
      }),
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-beta': CLAUDE_CODE_BETAS },
      payload: ask('claude'),
    });
    expect(res.statusCode).toBe(200);
    expect(betaOf(toClaude)).toEqual([
      [
        'context-management-2025-06-27,files-api-2025-04-14,claude-code-20250219,interleaved-thinking-2025-05-14',
      ],
    ]);
    // Claude gets the router's request id, as OpenAI-format upstreams do (docs audit F3).
    expect(toClaude[0]!.headers['x-request-id']).toBe(res.headers['x-request-id']);
    // The private field is the header's, never part of Claude's body.
    expect(toClaude[0]!.body).not.toContain('x_anthropic_beta');
    expect(toClaude[0]!.body).not.toContain('claude-code-20250219');
    await app.close();
  });

  it('is sent with the count_tokens call to Anthropic too', async () => {
    const { app, toClaude } = await appWith(claudeInput());
    toClaude.length = 0;
    await app.inject({
      method: 'POST',
      url: '/v1/messages/count_tokens',
      headers: { 'anthropic-beta': 'context-management-2025-06-27' },
      payload: { model: 'claude', messages: [{ role: 'user', content: 'Say hello' }] },
    });
    expect(toClaude[0]!.url).toContain('/v1/messages/count_tokens');
    expect(betaOf(toClaude)).toEqual([['context-management-2025-06-27']]);
    await app.close();
  });

  it('never reaches another provider, in its headers or its body', async () => {
    const { app, toGpt } = await appWith(claudeInput());
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-beta': CLAUDE_CODE_BETAS },
      payload: ask('gpt'),
    });
    expect(res.statusCode).toBe(200);
    expect(toGpt).toHaveLength(1);
    expect(betaOf(toGpt)).toEqual([[]]);
    expect(toGpt[0]!.body).not.toContain('x_anthropic_beta');
    expect(toGpt[0]!.body).not.toContain('claude-code-20250219');
    await app.close();
  });

  it("a chat client cannot set the router's private fields in its body", async () => {
    const { app, toClaude } = await appWith(
      claudeInput({ capabilities: { reasoning: true, contextManagement: true } }),
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'claude',
        messages: [{ role: 'user', content: 'Say hello' }],
        x_anthropic_beta: 'files-api-2025-04-14',
        x_thinking_budget_tokens: 20000,
        x_context_management: { edits: [] },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(betaOf(toClaude)).toEqual([[]]);
    expect(toClaude[0]!.body).not.toContain('files-api');
    expect(toClaude[0]!.body).not.toContain('thinking');
    expect(toClaude[0]!.body).not.toContain('context_management');
    await app.close();
  });

  it('is not read on /v1/chat/completions', async () => {
    const { app, toClaude } = await appWith(claudeInput());
    await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'anthropic-beta': CLAUDE_CODE_BETAS },
      payload: { model: 'claude', messages: [{ role: 'user', content: 'Say hello' }] },
    });
    expect(toClaude).toHaveLength(1);
    expect(betaOf(toClaude)).toEqual([[]]);
    await app.close();
  });

  it('forwardClientBetas false sends only the deployment’s betas; a list only those named', async () => {
    const off = await appWith(
      claudeInput({
        forwardClientBetas: false,
        headers: { 'anthropic-beta': 'files-api-2025-04-14' },
      }),
    );
    await off.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-beta': CLAUDE_CODE_BETAS },
      payload: ask('claude'),
    });
    expect(betaOf(off.toClaude)).toEqual([['files-api-2025-04-14']]);
    await off.app.close();
    const some = await appWith(
      claudeInput({ forwardClientBetas: ['context-management-2025-06-27', 'other-beta'] }),
    );
    await some.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-beta': CLAUDE_CODE_BETAS },
      payload: ask('claude'),
    });
    expect(betaOf(some.toClaude)).toEqual([['context-management-2025-06-27']]);
    await some.app.close();
  });
});

describe('anthropicHeaders', () => {
  it('keeps the other configured headers and sends no anthropic-beta when there is none', () => {
    const d = claudeDeployment({ headers: { 'x-team': 'a' } });
    expect(anthropicHeaders(d, 'k')).toEqual({
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-team': 'a',
      'x-api-key': 'k',
    });
    expect(anthropicHeaders(d, 'k', ['b1', 'b1', 'b2'])['anthropic-beta']).toBe('b1,b2');
  });
});

describe('forwardClientBetas in the config', () => {
  it('is true by default; a list must name betas; elsewhere than anthropic it warns', () => {
    expect(claudeDeployment().forwardClientBetas).toBe(true);
    expect(() => claudeDeployment({ forwardClientBetas: [] })).toThrow();
    const { warnings } = parseConfig(
      { deployments: [claudeInput(), { ...gptInput, forwardClientBetas: false }] },
      {},
    );
    // (The environment's own warnings, an unset key or auth.mode none, are not this test's.)
    expect(warnings.filter((w) => w.includes('forwardClientBetas'))).toEqual([
      'deployments[1].forwardClientBetas: Anthropic\'s betas are sent to Claude only; provider "openai" never gets them',
    ]);
  });
});
