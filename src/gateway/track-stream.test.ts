// The answer's tokens a tracked stream estimates when the upstream reports no usage: its output
// characters at ≈4 a token, each text counted once, hidden reasoning included.
import { describe, expect, it } from 'vitest';
import { REASONING_EXCLUDE_FIELD, type ChatChunk } from '../core/wire-types.js';
import type { ChatCall } from './gateway-types.js';
import { trackStream, type StreamEnd } from './track-stream.js';

const chunk = (delta: Record<string, unknown>): ChatChunk =>
  ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: null }],
  }) as ChatChunk;

/** Runs `deltas` through trackStream for `request`; what the client got, and the end report. */
async function track(
  deltas: Record<string, unknown>[],
  request: Record<string, unknown> = {},
): Promise<{ sent: ChatChunk[]; end: StreamEnd }> {
  const chunks = deltas.map(chunk);
  let i = 1;
  const result = {
    kind: 'stream',
    first: chunks[0],
    next: async () =>
      i < chunks.length ? { done: false, value: chunks[i++]! } : { done: true, value: undefined },
    end: () => {},
  } as unknown as Parameters<typeof trackStream>[0];
  const call = {
    request: { model: 'm', messages: [], ...request },
    signal: new AbortController().signal,
  } as unknown as ChatCall;
  let end: StreamEnd | undefined;
  const sent: ChatChunk[] = [];
  for await (const c of trackStream(result, call, { storeText: false, onEnd: (e) => (end = e) }))
    sent.push(c);
  return { sent, end: end! };
}

describe('the answer tokens of a stream without usage', () => {
  it('count reasoning sent in both reasoning_content and reasoning once (vLLM 0.10)', async () => {
    // 40 characters of reasoning, 8 of answer: 12 tokens (before, 22).
    const reasoning = 'r'.repeat(20);
    const { end } = await track([
      { role: 'assistant', reasoning_content: reasoning, reasoning },
      { reasoning_content: reasoning, reasoning },
      { content: 'a'.repeat(8) },
    ]);
    expect(end.usage).toBeUndefined();
    expect(end.estimatedCompletionTokens).toBe(12);
  });

  it('count the reasoning a client excluded: the upstream wrote it, and bills it', async () => {
    const { sent, end } = await track(
      [{ role: 'assistant', reasoning_content: 'r'.repeat(40) }, { content: 'a'.repeat(8) }],
      { [REASONING_EXCLUDE_FIELD]: true },
    );
    expect(JSON.stringify(sent)).not.toContain('rrrr');
    expect(end.estimatedCompletionTokens).toBe(12);
  });

  it("count Claude's thinking and a custom tool call's input", async () => {
    const { end } = await track([
      {
        role: 'assistant',
        reasoning_details: [{ type: 'thinking', index: 0, thinking: 't'.repeat(16) }],
      },
      {
        tool_calls: [
          { index: 0, id: 'c1', type: 'custom', custom: { name: 'sh', input: 'i'.repeat(8) } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: 'x'.repeat(4) } }] },
    ]);
    expect(end.estimatedCompletionTokens).toBe(7);
  });
});
