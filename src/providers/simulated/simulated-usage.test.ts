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

/** A simulated deployment and its adapter. */
const sim = { adapter, deployment };

async function json(body: ChatRequest, on = sim) {
  const { response } = await on.adapter.chat({
    deployment: on.deployment,
    body,
    signal,
    requestId: 'r',
  });
  return response as ChatResponse;
}

async function streamed(body: ChatRequest, on = sim) {
  const { chunks } = await on.adapter.chatStream({
    deployment: on.deployment,
    body: { ...body, stream: true, stream_options: { include_usage: true } },
    signal,
    requestId: 'r',
  });
  const all: ChatChunk[] = [];
  for await (const c of chunks) all.push(c);
  return all;
}

const streamedUsage = async (body: ChatRequest) => (await streamed(body)).at(-1)!.usage!;

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

describe('simulated reasoning within the output limit', () => {
  // Like OpenAI's max_completion_tokens, the limit bounds reasoning and visible output together:
  // before, a reasoning model asked for 50 tokens reported 306 (256 of them reasoning).
  const o4 = testConfig({
    deployments: [
      simDeployment('o4', {
        simulation: { answerTokens: 100, reasoningTokens: 256 },
        capabilities: { reasoning: true },
      }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['o4'] }],
  }).deployments[0]!;
  const on = { adapter: createSimulatedAdapter(o4, { sleep: async () => {} }), deployment: o4 };
  const capped = (max: number): ChatRequest =>
    ({ ...ask(), model: 'o4', max_completion_tokens: max }) as ChatRequest;

  it('reasoning that fills the limit leaves no text, ended by the limit, JSON and streamed', async () => {
    const r = await json(capped(50), on);
    expect(r.usage).toMatchObject({
      completion_tokens: 50,
      completion_tokens_details: { reasoning_tokens: 50 },
    });
    expect(r.choices[0]).toMatchObject({ finish_reason: 'length' });
    expect(r.choices[0]!.message.content ?? '').toBe('');
    const all = await streamed(capped(50), on);
    expect(all.at(-1)!.usage).toEqual(r.usage);
    expect(all.some((c) => c.choices[0]?.finish_reason === 'length')).toBe(true);
  });

  it('what reasoning leaves is the text’s, and without a limit both are whole', async () => {
    const u = (await json(capped(300), on)).usage!;
    expect(u.completion_tokens_details?.reasoning_tokens).toBe(256);
    expect(u.completion_tokens).toBeLessThanOrEqual(300);
    expect(u.completion_tokens).toBeGreaterThan(256);
    expect((await json(ask(), on)).usage!.completion_tokens_details).toMatchObject({
      reasoning_tokens: 256,
    });
  });
});
