// What an Anthropic client gets from an OpenAI-format upstream, block by block (messages-audit,
// 2026-12-06): parallel tool calls whose argument chunks interleave (F8: the earlier call's
// later chunks went to a block already stopped, which the AI SDK's Anthropic provider cut off
// there), a refusal (F4: an empty message that ended its turn), a stream without usage (F5).
import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatResponse } from '../../core/wire-types.js';
import { chatToMessage } from './messages-reply.js';
import { chatChunksToMessageEvents } from './messages-stream.js';

type Json = Record<string, unknown>;

const chunk = (delta: Json, finish?: string): ChatChunk =>
  ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-x',
    choices: [{ index: 0, delta, ...(finish ? { finish_reason: finish } : {}) }],
  }) as ChatChunk;

const call = (index: number, args: string, id?: string) => ({
  tool_calls: [
    {
      index,
      ...(id ? { id, type: 'function', function: { name: 'get_weather', arguments: args } } : {}),
      ...(id ? {} : { function: { arguments: args } }),
    },
  ],
});

async function events(chunks: ChatChunk[]): Promise<Json[]> {
  async function* from() {
    for (const c of chunks) yield c;
  }
  const out: Json[] = [];
  for await (const e of chatChunksToMessageEvents(from(), 'gpt-x')) out.push(JSON.parse(e.data));
  return out;
}

/** Each block as the Anthropic SDK's accumulator builds it, checking the order of events. */
function blocks(evs: Json[]): Json[] {
  const built: Json[] = [];
  let open = -1;
  for (const e of evs) {
    if (e.type === 'content_block_start') {
      expect(open).toBe(-1);
      open = e.index as number;
      expect(open).toBe(built.length);
      built.push({ ...(e.content_block as Json), json: '' });
    } else if (e.type === 'content_block_delta') {
      // Never a delta for a block that is not the open one.
      expect(e.index).toBe(open);
      const d = e.delta as Json;
      const b = built[open]!;
      if (d.type === 'input_json_delta') b.json = (b.json as string) + (d.partial_json as string);
      if (d.type === 'text_delta') b.text = (b.text as string) + (d.text as string);
    } else if (e.type === 'content_block_stop') {
      expect(e.index).toBe(open);
      open = -1;
    }
  }
  expect(open).toBe(-1);
  return built.map((b) =>
    b.type === 'tool_use' ? { id: b.id, input: JSON.parse(b.json as string) } : { text: b.text },
  );
}

describe('an OpenAI-format stream to an Anthropic client', () => {
  it('interleaved parallel tool calls: each a block of its own, whole, never a delta after its stop', async () => {
    const evs = await events([
      chunk({ role: 'assistant', content: 'Checking.' }),
      chunk(call(0, '{"ci', 'call_A')),
      chunk(call(1, '{"city":', 'call_B')),
      chunk(call(0, 'ty":"Oslo"}')),
      chunk(call(1, '"Paris"}')),
      chunk({}, 'tool_calls'),
    ]);
    expect(blocks(evs)).toEqual([
      { text: 'Checking.' },
      { id: 'call_A', input: { city: 'Oslo' } },
      { id: 'call_B', input: { city: 'Paris' } },
    ]);
    expect(evs.find((e) => e.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'tool_use' },
    });
  });

  it('calls one after another still stream as they come (the next opens once the last is whole)', async () => {
    const evs = await events([
      chunk(call(0, '', 'call_A')),
      chunk(call(0, '{"city":"Oslo"}')),
      chunk(call(1, '{"city":', 'call_B')),
      chunk(call(1, '"Paris"}')),
      chunk({}, 'tool_calls'),
    ]);
    expect(blocks(evs)).toEqual([
      { id: 'call_A', input: { city: 'Oslo' } },
      { id: 'call_B', input: { city: 'Paris' } },
    ]);
    // call_B's block opened with its first chunk, not at the end: its second is a delta of its own.
    const deltas = evs.filter((e) => e.type === 'content_block_delta' && e.index === 1);
    expect(deltas.map((e) => (e.delta as Json).partial_json)).toEqual(['{"city":', '"Paris"}']);
  });

  it('text that comes while a call is open waits for its arguments to be whole', async () => {
    const evs = await events([
      chunk(call(0, '{"ci', 'call_A')),
      chunk({ content: 'and more' }),
      chunk(call(0, 'ty":"Oslo"}')),
      chunk({}, 'tool_calls'),
    ]);
    expect(blocks(evs)).toEqual([{ id: 'call_A', input: { city: 'Oslo' } }, { text: 'and more' }]);
  });

  it('a call whose arguments never become whole still ends, with what it has, and the held one after it', async () => {
    const evs = await events([
      chunk(call(0, '{"ci', 'call_A')),
      chunk(call(1, '{"city":"Paris"}', 'call_B')),
      chunk({}, 'tool_calls'),
    ]);
    const starts = evs.filter((e) => e.type === 'content_block_start');
    expect(starts.map((e) => (e.content_block as Json).id)).toEqual(['call_A', 'call_B']);
    expect(evs.filter((e) => e.type === 'content_block_stop')).toHaveLength(2);
  });

  // F5: an upstream that sends no usage (vLLM or Ollama without include_usage) zeroed the count
  // message_start gave, and the SDK's finalMessage().usage was all zeros.
  it('without usage, message_delta keeps the prompt count message_start gave and estimates the answer', async () => {
    async function* from() {
      yield chunk({ role: 'assistant', content: 'Twelve characters, then ' });
      yield chunk({ content: 'sixteen more.' }, 'stop');
    }
    const evs: Json[] = [];
    for await (const e of chatChunksToMessageEvents(from(), 'gpt-x', 42))
      evs.push(JSON.parse(e.data) as Json);
    const start = evs.find((e) => e.type === 'message_start')!.message as Json;
    expect((start.usage as Json).input_tokens).toBe(42);
    // 37 characters at about four a token, as the router accounts a stream without usage.
    expect(evs.find((e) => e.type === 'message_delta')!.usage).toEqual({
      input_tokens: 42,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: 10,
      service_tier: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      speed: null,
    });
    // An upstream's own usage is still what message_delta says.
    const withUsage = await events([
      chunk({ content: 'hi' }, 'stop'),
      {
        ...chunk({}),
        choices: [],
        usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 },
      } as ChatChunk,
    ]);
    expect(withUsage.find((e) => e.type === 'message_delta')!.usage).toMatchObject({
      input_tokens: 7,
      output_tokens: 1,
    });
  });

  it('a refusal streams as text and ends the turn as a refusal', async () => {
    const evs = await events([
      chunk({ role: 'assistant', content: null, refusal: "I can't" }),
      chunk({ refusal: ' help with that.' }),
      chunk({}, 'stop'),
    ]);
    expect(blocks(evs)).toEqual([{ text: "I can't help with that." }]);
    expect(evs.find((e) => e.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'refusal', stop_sequence: null },
    });
  });
});

describe('an OpenAI-format reply to an Anthropic client', () => {
  it('a refusal is its text with stop_reason refusal', () => {
    const message = chatToMessage({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-x',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          logprobs: null,
          message: {
            role: 'assistant',
            content: null,
            refusal: "I'm sorry, I can't help with that.",
          },
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    } as unknown as ChatResponse);
    expect(message).toMatchObject({
      content: [{ type: 'text', text: "I'm sorry, I can't help with that." }],
      stop_reason: 'refusal',
      stop_sequence: null,
    });
  });
});
