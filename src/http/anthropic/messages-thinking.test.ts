// Claude's extended thinking through the router: signed thinking blocks an Anthropic client sends
// back reach an Anthropic deployment (its tool loops need them), and thinking that Claude sent —
// as one Message or streamed — reaches the client as Claude's blocks; Anthropic's own server
// tools are refused rather than sent on as tools that do nothing.
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import type { GatewayError } from '../../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../../core/wire-types.js';
import { chatToAnthropicRequest } from '../../providers/anthropic/anthropic-convert.js';
import { anthropicEventsToChunks } from '../../providers/anthropic/anthropic-stream.js';
import type { SseMessage } from '../../providers/sse-parser.js';
import { messagesToChat } from './messages-convert.js';
import { chatToMessage } from './messages-reply.js';
import { chatChunksToMessageEvents } from './messages-stream.js';

const claude = claudeDeployment({ capabilities: { reasoning: true } });

const toolLoop = {
  model: 'model-router',
  max_tokens: 4096,
  thinking: { type: 'enabled', budget_tokens: 2048 },
  tools: [{ name: 'read', input_schema: { type: 'object' } }],
  messages: [
    { role: 'user', content: 'Fix the bug.' },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Read the file first.', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'thinking', thinking: 'Unsigned: not Claude’s.' },
        { type: 'tool_use', id: 'tu_1', name: 'read', input: { path: 'a.ts' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'text' }] },
  ],
};

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('thinking blocks a client sends back', () => {
  it('reach an Anthropic deployment as they came, first in the assistant turn; unsigned ones do not', () => {
    const chat = messagesToChat(toolLoop);
    const sent = chatToAnthropicRequest(chat, claude) as {
      messages: { role: string; content: Record<string, unknown>[] }[];
      thinking?: unknown;
    };
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 }); // as the client asked
    expect(sent.messages[1]!.content).toEqual([
      { type: 'thinking', thinking: 'Read the file first.', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'tool_use', id: 'tu_1', name: 'read', input: { path: 'a.ts' } },
    ]);
  });
});

describe("Anthropic's server tools", () => {
  it('are refused with what to send instead; client tools (typed custom or not) pass', () => {
    const ask = (tools: unknown[]) => () =>
      messagesToChat({
        model: 'model-router',
        max_tokens: 10,
        tools,
        messages: [{ role: 'user', content: 'hi' }],
      });
    let err: GatewayError | undefined;
    try {
      ask([
        { name: 'read', input_schema: { type: 'object' } },
        { type: 'code_execution_20250522', name: 'code_execution' },
      ])();
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.status).toBe(400);
    expect(err?.param).toBe('tools.1.type');
    expect(err?.message).toMatch(/code_execution_20250522 tool is not supported.*client tool/);
    expect(ask([{ type: 'custom', name: 'read', input_schema: { type: 'object' } }])).not.toThrow();
    // A token count runs nothing: it counts what it is given.
    expect(() =>
      messagesToChat(
        {
          model: 'model-router',
          tools: [{ type: 'web_search_20250305', name: 'web_search' }],
          messages: [{ role: 'user', content: 'hi' }],
        },
        true,
      ),
    ).not.toThrow();
  });
});

describe("thinking that Claude sent reaches an Anthropic client as Claude's blocks", () => {
  it('in one Message: thinking first, then text and tool calls', () => {
    const reply = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'claude-sonnet-4-5',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          logprobs: null,
          message: {
            role: 'assistant',
            content: 'Reading.',
            refusal: null,
            tool_calls: [
              { id: 'tu_1', type: 'function', function: { name: 'read', arguments: '{}' } },
            ],
            reasoning_details: [
              { provider: 'anthropic', type: 'thinking', thinking: 'Plan.', signature: 's' },
              { provider: 'anthropic', type: 'redacted_thinking', data: 'r' },
            ],
          },
        },
      ],
    } as unknown as ChatResponse;
    expect(chatToMessage(reply).content).toEqual([
      { type: 'thinking', thinking: 'Plan.', signature: 's' },
      { type: 'redacted_thinking', data: 'r' },
      { type: 'text', text: 'Reading.', citations: null },
      { type: 'tool_use', id: 'tu_1', name: 'read', input: {}, caller: { type: 'direct' } },
    ]);
  });

  it('streamed: Anthropic events → chat chunks → the same thinking, signature and blocks', async () => {
    const upstream: SseMessage[] = [
      {
        type: 'message_start',
        message: { id: 'msg_1', model: 'claude-sonnet-4-5', usage: { input_tokens: 5 } },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Pl' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'an.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 's' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'redacted_thinking', data: 'r' },
      },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Reading.' } },
      { type: 'content_block_stop', index: 2 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 9 },
      },
      { type: 'message_stop' },
    ].map((data) => ({ event: String(data.type), data: JSON.stringify(data) }) as SseMessage);
    const chunks = await all(anthropicEventsToChunks(from(upstream), claude));
    const details = chunks.flatMap(
      (c) => (c.choices[0]?.delta as { reasoning_details?: unknown[] })?.reasoning_details ?? [],
    );
    expect(details).toEqual([
      { provider: 'anthropic', type: 'thinking', index: 0, thinking: 'Pl' },
      { provider: 'anthropic', type: 'thinking', index: 0, thinking: 'an.' },
      { provider: 'anthropic', type: 'thinking', index: 0, signature: 's' },
      { provider: 'anthropic', type: 'redacted_thinking', index: 1, data: 'r' },
    ]);
    const events = await all(chatChunksToMessageEvents(from(chunks as ChatChunk[]), 'x'));
    const blocks: Record<string, unknown>[] = [];
    for (const e of events) {
      const d = JSON.parse(e.data) as Record<string, Record<string, unknown>> & { index: number };
      if (e.event === 'content_block_start') blocks[d.index] = { ...d.content_block };
      if (e.event === 'content_block_delta') {
        const b = blocks[d.index]!;
        if (d.delta!.type === 'thinking_delta') b.thinking = `${b.thinking}${d.delta!.thinking}`;
        if (d.delta!.type === 'signature_delta') b.signature = d.delta!.signature;
        if (d.delta!.type === 'text_delta') b.text = `${b.text}${d.delta!.text}`;
      }
    }
    expect(blocks).toEqual([
      { type: 'thinking', thinking: 'Plan.', signature: 's' },
      { type: 'redacted_thinking', data: 'r' },
      { type: 'text', text: 'Reading.', citations: null },
    ]);
    expect(events.filter((e) => e.event === 'content_block_stop')).toHaveLength(3);
  });
});

describe('thinking the output filter redacted (unsigned) in an OpenAI-format tool loop', () => {
  it('is not sent to Anthropic, which would refuse a thinking block without its signature', () => {
    const sent = chatToAnthropicRequest(
      {
        model: 'claude',
        messages: [
          { role: 'user', content: 'Fix the bug.' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'tu_1', type: 'function', function: { name: 'read', arguments: '{}' } },
            ],
            reasoning_details: [
              { provider: 'anthropic', type: 'thinking', thinking: 'Mail [redacted:email].' },
              { provider: 'anthropic', type: 'redacted_thinking', data: 'opaque' },
            ],
          },
          { role: 'tool', tool_call_id: 'tu_1', content: 'text' },
        ],
      } as unknown as ChatRequest,
      claude,
    ) as { messages: { content: Record<string, unknown>[] }[] };
    expect(sent.messages[1]!.content).toEqual([
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'tool_use', id: 'tu_1', name: 'read', input: {} },
    ]);
  });
});
