// Anthropic prompt caching through the router: `cache_control` breakpoints an Anthropic client (or
// an OpenAI-format client, on content parts and tools) sets reach an Anthropic deployment where
// they were set, never reach an OpenAI-format upstream, and cache writes come back in the usage.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { answerUsageCounts, costUsd, usageCounts } from '../../gateway/cost.js';
import { messagesToChat } from '../../http/anthropic/messages-convert.js';
import { chatToMessage } from '../../http/anthropic/messages-reply.js';
import { sentByOpenAiAdapter } from '../../../test/helpers/fake-http.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';
import { anthropicToChatResponse, mapUsage } from './anthropic-reply.js';

const EPHEMERAL = { type: 'ephemeral' };
const claude = deploymentSchema.parse({
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, cachedInputPer1M: 0.3, cacheWriteInputPer1M: 3.75, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
});

/** A Claude Code-style request: the system prompt, the tools and the last turn marked. */
const claudeCodeRequest = {
  model: 'model-router',
  max_tokens: 1024,
  system: [
    { type: 'text', text: 'You are a coding agent.' },
    { type: 'text', text: 'Project instructions…', cache_control: EPHEMERAL },
  ],
  tools: [
    { name: 'read', input_schema: { type: 'object' } },
    { name: 'edit', input_schema: { type: 'object' }, cache_control: EPHEMERAL },
  ],
  messages: [
    { role: 'user', content: 'Fix the bug.' },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'tu_1', name: 'read', input: { path: 'a.ts' } }],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'tu_1',
          content: 'file text',
          cache_control: EPHEMERAL,
        },
        { type: 'text', text: 'Go on.', cache_control: EPHEMERAL },
      ],
    },
  ],
};

describe('prompt caching (cache_control)', () => {
  it('reaches an Anthropic deployment on the blocks and tools the client marked', () => {
    const sent = chatToAnthropicRequest(messagesToChat(claudeCodeRequest), claude);
    expect(sent.system).toEqual([
      { type: 'text', text: 'You are a coding agent.' },
      { type: 'text', text: 'Project instructions…', cache_control: EPHEMERAL },
    ]);
    expect(sent.tools).toEqual([
      { name: 'read', input_schema: { type: 'object' } },
      { name: 'edit', input_schema: { type: 'object' }, cache_control: EPHEMERAL },
    ]);
    const last = (sent.messages as { role: string; content: unknown[] }[]).at(-1)!;
    expect(last).toEqual({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'tu_1',
          content: 'file text',
          cache_control: EPHEMERAL,
        },
        { type: 'text', text: 'Go on.', cache_control: EPHEMERAL },
      ],
    });
  });

  it("keeps a turn's text blocks as Claude cached them once its breakpoint has moved on", () => {
    // Claude Code's first turn marks the prompt's last block; on the next turn the mark moves to
    // the tool result and the first turn goes unmarked. Claude's cache is a prefix of the request
    // as sent: the first turn must reach it as the same blocks, not joined into one text.
    const blocks = [
      { type: 'text', text: '<system-reminder>Today is 2026-12-02.</system-reminder>' },
      { type: 'text', text: 'read notes.txt' },
    ];
    const first = chatToAnthropicRequest(
      messagesToChat({
        model: 'm',
        max_tokens: 10,
        messages: [
          {
            role: 'user',
            content: [blocks[0], { ...blocks[1], cache_control: EPHEMERAL }],
          },
        ],
      }),
      claude,
    );
    const next = chatToAnthropicRequest(
      messagesToChat({
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: blocks },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'tu_1', name: 'Read', input: { path: 'notes.txt' } }],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'tu_1',
                content: 'hello',
                cache_control: EPHEMERAL,
              },
            ],
          },
        ],
      }),
      claude,
    );
    const firstTurn = (r: Record<string, unknown>) =>
      (r.messages as { content: Record<string, unknown>[] }[])[0]!.content.map(
        ({ cache_control: _mark, ...block }) => block,
      );
    expect(firstTurn(first)).toEqual(blocks);
    expect(firstTurn(next)).toEqual(blocks);
  });

  it('sends unmarked requests as before: the system prompt as one string', () => {
    const sent = chatToAnthropicRequest(
      messagesToChat({
        model: 'm',
        max_tokens: 10,
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
        ],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }],
      }),
      claude,
    );
    expect(sent.system).toBe('A\nB');
    expect(sent.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'q' }] }]);
    expect(JSON.stringify(sent)).not.toContain('cache_control');
  });

  it('takes OpenAI-format marks (content parts, tools) to Claude, and strips them for OpenAI upstreams', async () => {
    const chat = {
      model: 'x',
      messages: [
        {
          role: 'system',
          content: [{ type: 'text', text: 'Long instructions', cache_control: EPHEMERAL }],
        },
        { role: 'user', content: [{ type: 'text', text: 'q', cache_control: EPHEMERAL }] },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'f', parameters: { type: 'object' } },
          cache_control: EPHEMERAL,
        },
      ],
    } as unknown as ChatRequest;
    const toClaude = chatToAnthropicRequest(chat, claude);
    expect(toClaude.system).toEqual([
      { type: 'text', text: 'Long instructions', cache_control: EPHEMERAL },
    ]);
    expect(JSON.stringify(toClaude.messages)).toContain('"cache_control"');
    expect((toClaude.tools as object[])[0]).toMatchObject({ cache_control: EPHEMERAL });

    const sent = await sentByOpenAiAdapter(chat);
    expect(sent).not.toContain('cache_control');
    expect(JSON.parse(sent).messages[1].content).toEqual([{ type: 'text', text: 'q' }]);
    expect(JSON.parse(sent).tools[0]).toEqual({
      type: 'function',
      function: { name: 'f', parameters: { type: 'object' } },
    });
    // The caller's request is left as it was (a fallback to Claude still sees the marks).
    expect(JSON.stringify(chat)).toContain('cache_control');
  });

  it('reports cache writes and reads back to Anthropic clients, and bills each at its price', () => {
    const usage = mapUsage({
      input_tokens: 50,
      cache_creation_input_tokens: 2000,
      cache_read_input_tokens: 8000,
      output_tokens: 100,
    });
    expect(usage).toMatchObject({
      prompt_tokens: 10_050,
      prompt_tokens_details: { cached_tokens: 8000, cache_write_tokens: 2000 },
    });
    const reply = anthropicToChatResponse(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'Done.' }],
        usage: {
          input_tokens: 50,
          cache_creation_input_tokens: 2000,
          cache_read_input_tokens: 8000,
          output_tokens: 100,
        },
      },
      claude,
    );
    expect(chatToMessage(reply).usage).toEqual({
      input_tokens: 50,
      cache_creation_input_tokens: 2000,
      cache_read_input_tokens: 8000,
      cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 },
      output_tokens: 100,
      // The SDK's nullable fields: the fixture's reply names no tier and no geo.
      service_tier: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      speed: null,
    });
    // Without `usage`, none: the gateway estimates the answer's tokens and flags the record.
    const bare = anthropicToChatResponse(
      {
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'Done without usage.' }],
      },
      claude,
    );
    expect(bare.usage).toBeUndefined();
    expect(answerUsageCounts(bare)).toMatchObject({ completionTokens: 5, estimated: true });
    expect(costUsd(claude, usageCounts(usage))).toBeCloseTo(
      (50 * 3 + 2000 * 3.75 + 8000 * 0.3 + 100 * 15) / 1e6,
      12,
    );
  });

  it('1-hour cache writes: reported back split by TTL and billed at their own price', () => {
    // Claude Code read 0 for both TTLs, and a 1-hour write was billed at the 5-minute price.
    const anthropicUsage = {
      input_tokens: 50,
      cache_creation_input_tokens: 3000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
      cache_read_input_tokens: 0,
      output_tokens: 100,
    };
    const usage = mapUsage(anthropicUsage);
    expect(usage?.prompt_tokens_details).toMatchObject({
      cache_write_tokens: 3000,
      cache_write_1h_tokens: 2000,
    });
    const reply = anthropicToChatResponse(
      {
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'Done.' }],
        usage: anthropicUsage,
      },
      claude,
    );
    expect(chatToMessage(reply).usage).toEqual({
      ...anthropicUsage,
      service_tier: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      speed: null,
    });
    const hourly = { ...claude, prices: { ...claude.prices, cacheWrite1hInputPer1M: 6 } };
    expect(costUsd(hourly, usageCounts(usage))).toBeCloseTo(
      (50 * 3 + 1000 * 3.75 + 2000 * 6 + 100 * 15) / 1e6,
      12,
    );
    // Without a 1-hour price, at the cache-write price, as before.
    expect(costUsd(claude, usageCounts(usage))).toBeCloseTo(
      (50 * 3 + 3000 * 3.75 + 100 * 15) / 1e6,
      12,
    );
  });
});
