// Claude's thinking tokens reach chat and Responses clients (CONTRACTS.md §5.2: chat's
// `completion_tokens_details.reasoning_tokens` from Claude's `usage.output_tokens_details`, the
// SDK 1.13 `OutputTokensDetails.thinking_tokens`, part of `output_tokens`): in a JSON reply, in a
// stream's usage chunk, and as the Responses API's `output_tokens_details.reasoning_tokens`.
// Before, chat said 0 whatever Claude reported. The cost stays that of `output_tokens` (thinking
// tokens are inside it); a Claude that reports no breakdown still says 0. Through the real routes,
// over sockets, to a loopback Anthropic API.
import type OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startClaudeLoopback, type ClaudeLoopback } from '../../../test/helpers/claude-loopback.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { createResponseStore } from '../../store/response-store.js';

const PORTS = { from: 47100, to: 47149 };

/** Claude's answer after thinking (SDK 1.13 `Message`, `Usage.output_tokens_details`). */
const thought = (details: unknown) => ({
  id: 'msg_t1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'thinking', thinking: 'Two and two.', signature: 'sig-1' },
    { type: 'text', text: 'Four.' },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 20,
    output_tokens: 300,
    ...(details === undefined ? {} : { output_tokens_details: details }),
  },
});

/** 20 prompt tokens at $3 and 300 answer tokens (the thinking among them) at $15 per 1M. */
const COST = (20 * 3 + 300 * 15) / 1e6;

let running: ClaudeLoopback | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function clientsOf(details: unknown) {
  running = await startClaudeLoopback(thought(details), PORTS, {
    app: { responses: createResponseStore(100) },
  });
  return { openai: running.openai, loopback: running };
}

const ask = { model: 'claude', messages: [{ role: 'user' as const, content: '2+2?' }] };

describe("Claude's thinking tokens, to chat and Responses clients", () => {
  it('are the reasoning tokens of a JSON chat reply, costed once within the answer tokens', async () => {
    const { openai, loopback } = await clientsOf({ thinking_tokens: 250 });
    const reply = await openai.chat.completions.create(ask);
    expect(reply.usage).toMatchObject({
      prompt_tokens: 20,
      completion_tokens: 300,
      total_tokens: 320,
      completion_tokens_details: { reasoning_tokens: 250 },
    });
    const record = await waitFor(() => {
      expect(loopback.records).toHaveLength(1);
      return loopback.records[0]!;
    });
    expect(record.completionTokens).toBe(300);
    expect(record.reasoningTokens).toBe(250);
    expect(record.costUsd).toBeCloseTo(COST, 12);
  });

  it("are in a stream's usage chunk (stream_options.include_usage)", async () => {
    const { openai, loopback } = await clientsOf({ thinking_tokens: 250 });
    const stream = await openai.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Four.');
    expect(usage).toMatchObject({
      completion_tokens: 300,
      completion_tokens_details: { reasoning_tokens: 250 },
    });
    const record = await waitFor(() => {
      expect(loopback.records).toHaveLength(1);
      return loopback.records[0]!;
    });
    expect(record.reasoningTokens).toBe(250);
    expect(record.costUsd).toBeCloseTo(COST, 12);
  });

  it("are a Response's reasoning tokens, JSON and streamed", async () => {
    const { openai } = await clientsOf({ thinking_tokens: 250 });
    const response = await openai.responses.create({ model: 'claude', input: '2+2?' });
    expect(response.usage).toMatchObject({
      output_tokens: 300,
      output_tokens_details: { reasoning_tokens: 250 },
    });
    const stream = await openai.responses.create({ model: 'claude', input: '2+2?', stream: true });
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream)
      if (event.type === 'response.completed') completed = event.response;
    expect(completed?.usage).toMatchObject({
      output_tokens: 300,
      output_tokens_details: { reasoning_tokens: 250 },
    });
  });

  it('are as many as Claude reported, else 0 (no breakdown, or a null one), JSON and streamed', async () => {
    for (const [details, reasoning] of [
      [{ thinking_tokens: 120 }, 120],
      [undefined, 0],
      [null, 0],
    ] as const) {
      const { openai } = await clientsOf(details);
      const reply = await openai.chat.completions.create(ask);
      expect(reply.usage?.completion_tokens_details).toEqual({ reasoning_tokens: reasoning });
      const stream = await openai.chat.completions.create({
        ...ask,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) usage = chunk.usage ?? usage;
      expect(usage?.completion_tokens).toBe(300);
      expect(usage?.completion_tokens_details).toEqual({ reasoning_tokens: reasoning });
      await running?.close();
      running = undefined;
    }
  });
});
