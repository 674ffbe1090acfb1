// A streamed custom tool call is kept whole by the answer cache and replayed as one.
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../core/wire-types.js';
import { ChunkCollector, replayChunks } from './answer-chunks.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  ({
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  }) as ChatChunk;

describe('custom tool calls in the answer cache', () => {
  it('are collected from their custom deltas and replayed as custom calls', () => {
    const collector = new ChunkCollector();
    collector.add(chunk({ role: 'assistant', content: null }));
    collector.add(
      chunk({
        tool_calls: [
          { index: 0, id: 'c1', type: 'custom', custom: { name: 'apply_patch', input: '*** ' } },
        ],
      }),
    );
    collector.add(chunk({ tool_calls: [{ index: 0, custom: { input: 'Begin Patch' } }] }));
    collector.add(chunk({}, 'tool_calls'));
    const response = collector.response()!;
    const call = {
      id: 'c1',
      type: 'custom',
      custom: { name: 'apply_patch', input: '*** Begin Patch' },
    };
    expect(response.choices[0]?.message.tool_calls).toEqual([call]);
    const replayed = replayChunks(response, false);
    expect(replayed[0]?.choices[0]?.delta.tool_calls).toEqual([{ index: 0, ...call }]);
  });
});
