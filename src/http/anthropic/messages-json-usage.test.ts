// An upstream whose JSON reply has no `usage` (vLLM, Ollama, an Anthropic-compatible server that
// leaves it out): the Anthropic client's Message states the router's figures, as the router
// accounts the request and as a stream's message_delta gives them (c53eb72), not zeros
// (Anthropic audit F5, its JSON half: @anthropic-ai/sdk's `message.usage` was all zeros).
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { recordingHttp } from '../../../test/helpers/fake-http.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import type { ConfigInput } from '../../config/schema.js';
import { createAnthropicAdapter } from '../../providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';

type Json = Record<string, unknown>;
type DeploymentInput = ConfigInput['deployments'][number];

const vllm: DeploymentInput = {
  name: 'vllm',
  provider: 'openai',
  model: 'qwen3',
  prices: { inputPer1M: 0.1, outputPer1M: 0.4 },
  contextWindow: 32000,
  maxOutputTokens: 4096,
};
const claudeLike: DeploymentInput = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
};
/** 40 characters of answer, 8 of tool arguments: about 12 tokens as the router estimates them. */
const ANSWER = 'The capital of France is Paris, I think.';
const ARGS = '{"x": 1}';
const noUsageChat = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'qwen3',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: ANSWER,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: ARGS } }],
      },
      finish_reason: 'tool_calls',
    },
  ],
};
const noUsageMessage = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: ANSWER }],
  stop_reason: 'end_turn',
};
const ask = (model: string) => ({
  model,
  max_tokens: 100,
  tools: [{ name: 'f', input_schema: { type: 'object' } }],
  messages: [{ role: 'user', content: 'What is the capital of France? Answer in one sentence.' }],
});

async function post(app: Awaited<ReturnType<typeof buildTestApp>>['app'], url: string, body: Json) {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { 'anthropic-version': '2023-06-01' },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Json;
}

describe('a JSON reply without usage, to an Anthropic client', () => {
  it("states the router's prompt count and its estimate of the answer", async () => {
    const config = testConfig({ deployments: [vllm, claudeLike], routers: [] });
    const d = (name: string) => config.deployments.find((x) => x.name === name)!;
    const { app, records } = await buildTestApp(config, {
      vllm: createOpenAiAdapter(d('vllm'), recordingHttp(JSON.stringify(noUsageChat)).http, {}),
      claude: createAnthropicAdapter(
        d('claude'),
        recordingHttp(JSON.stringify(noUsageMessage)).http,
        {},
      ),
    });
    const fromVllm = await post(app, '/v1/messages', ask('vllm'));
    // The router's count of the prompt, as it accounted the request.
    const counted = records.at(-1)!.promptTokens;
    expect(counted).toBeGreaterThan(10);
    expect(fromVllm.usage).toEqual({
      input_tokens: counted,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      // (40 + 8) characters at about four a token.
      output_tokens: 12,
      service_tier: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      speed: null,
    });

    const fromClaude = await post(app, '/v1/messages', ask('claude'));
    expect((fromClaude.usage as Json).input_tokens).toBe(records.at(-1)!.promptTokens);
    expect((fromClaude.usage as Json).output_tokens).toBe(10);
    await app.close();
  });
});
