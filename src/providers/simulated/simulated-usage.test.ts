// A simulated answer with `n` choices reports every choice's completion tokens, as OpenAI bills
// them (the prompt once), JSON and streamed alike: before, n = 3 reported one choice's tokens, and
// the request log and budgets charged a third of what the answer held.
import { describe, expect, it } from 'vitest';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../core/wire-types.js';
import { createSimulatedAdapter } from './simulated-adapter.js';

const config = testConfig({
  deployments: [simDeployment('sim', { simulation: { answerTokens: 40, reasoningTokens: 6 } })],
  routers: [{ name: 'model-router', modelSubset: ['sim'] }],
});
const deployment = config.deployments[0]!;
const adapter = createSimulatedAdapter(deployment, { sleep: async () => {} });
const signal = new AbortController().signal;

const ask = (n?: number): ChatRequest =>
  ({
    model: 'sim',
    messages: [{ role: 'user', content: 'Explain the tides.' }],
    ...(n === undefined ? {} : { n }),
  }) as ChatRequest;

async function json(body: ChatRequest) {
  const { response } = await adapter.chat({ deployment, body, signal, requestId: 'r' });
  return response as ChatResponse;
}

async function streamedUsage(body: ChatRequest) {
  const { chunks } = await adapter.chatStream({
    deployment,
    body: { ...body, stream: true, stream_options: { include_usage: true } },
    signal,
    requestId: 'r',
  });
  const all: ChatChunk[] = [];
  for await (const c of chunks) all.push(c);
  return all.at(-1)!.usage!;
}

describe('simulated usage with n choices', () => {
  it('counts every choice’s completion and reasoning tokens, the prompt once', async () => {
    const one = (await json(ask())).usage!;
    expect(one.completion_tokens).toBeGreaterThan(0);
    const three = await json(ask(3));
    expect(three.choices).toHaveLength(3);
    expect(three.usage).toMatchObject({
      prompt_tokens: one.prompt_tokens,
      completion_tokens: one.completion_tokens * 3,
      total_tokens: one.prompt_tokens + one.completion_tokens * 3,
      completion_tokens_details: { reasoning_tokens: 18 },
    });
    expect(await streamedUsage(ask(3))).toEqual(three.usage);
    expect(await streamedUsage(ask(1))).toEqual(one);
  });
});
