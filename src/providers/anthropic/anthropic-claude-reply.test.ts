// Claude's reply fields that chat has no place for (CLAUDE_REPLY_FIELD: `stop_details`,
// `container`, usage's tier, region and cache split), kept by the conversion back to chat only
// when asked (for an Anthropic client), from a whole Message and from a stream.
import { describe, expect, it } from 'vitest';
import { CLAUDE_REPLY_FIELD, type ChatChunk } from '../../core/wire-types.js';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import type { SseMessage } from '../sse-parser.js';
import { anthropicToChatResponse } from './anthropic-reply.js';
import { anthropicEventsToChunks } from './anthropic-stream.js';

type Json = Record<string, unknown>;

const deployment = claudeDeployment();
// Shapes from @anthropic-ai/sdk 1.13's `RefusalStopDetails`, `Container` and `Usage`.
const STOP_DETAILS = { type: 'refusal', category: 'frontier_llm', explanation: null };
const CONTAINER = { id: 'container_unit', expires_at: '2026-12-07T19:00:00Z', skills: null };
const USAGE = {
  input_tokens: 5,
  cache_creation_input_tokens: 8,
  cache_creation: { ephemeral_5m_input_tokens: 8, ephemeral_1h_input_tokens: 0 },
  output_tokens: 2,
  service_tier: 'standard',
  inference_geo: 'global',
};
const MESSAGE: Json = {
  id: 'msg_u',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'No.' }],
  stop_reason: 'refusal',
  stop_sequence: null,
  stop_details: STOP_DETAILS,
  container: CONTAINER,
  usage: USAGE,
};
const {
  input_tokens: _i,
  output_tokens: _o,
  cache_creation_input_tokens: _c,
  ...KEPT_USAGE
} = USAGE;

async function* events(): AsyncGenerator<SseMessage> {
  const list: Json[] = [
    {
      type: 'message_start',
      message: { ...MESSAGE, content: [], stop_reason: null, stop_details: null },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'No.' } },
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: 'refusal', stop_sequence: null, stop_details: STOP_DETAILS },
      usage: { output_tokens: 2 },
    },
    { type: 'message_stop' },
  ];
  for (const e of list) yield { event: String(e.type), data: JSON.stringify(e) } as SseMessage;
}

async function chunksOf(claudeReply: boolean): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of anthropicEventsToChunks(events(), deployment, { claudeReply })) out.push(c);
  return out;
}

describe("Claude's reply fields on the way back to chat", () => {
  it('a whole Message keeps them when asked, and only then', () => {
    const kept = anthropicToChatResponse(MESSAGE, deployment, false, false, true);
    expect(kept[CLAUDE_REPLY_FIELD]).toEqual({
      stop_details: STOP_DETAILS,
      container: CONTAINER,
      usage: KEPT_USAGE,
    });
    const chat = anthropicToChatResponse(MESSAGE, deployment);
    expect(chat).not.toHaveProperty(CLAUDE_REPLY_FIELD);
  });

  it("a stream: message_start's on the first chunk, message_delta's on the finishing one", async () => {
    const chunks = await chunksOf(true);
    expect(chunks[0]![CLAUDE_REPLY_FIELD]).toEqual({
      stop_details: null,
      container: CONTAINER,
      usage: KEPT_USAGE,
    });
    const finishing = chunks.find((c) => c.choices[0]?.finish_reason)!;
    expect(finishing[CLAUDE_REPLY_FIELD]).toMatchObject({
      stop_details: STOP_DETAILS,
      usage: KEPT_USAGE,
    });
    expect((await chunksOf(false)).some((c) => CLAUDE_REPLY_FIELD in c)).toBe(false);
  });
});
