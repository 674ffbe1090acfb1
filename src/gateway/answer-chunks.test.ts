// A streamed custom tool call is kept whole by the answer cache and replayed as one; so are web
// citations (`annotations`) and Azure's On Your Data `context`, which a stored chat completion keeps.
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

describe('web citations', () => {
  it('are gathered from the deltas that carry them (a stored chat completion keeps them) and replayed', () => {
    const cite = (url: string, start: number, end: number) => ({
      type: 'url_citation',
      url_citation: { start_index: start, end_index: end, url, title: url },
    });
    const collector = new ChunkCollector(true);
    collector.add(chunk({ role: 'assistant', content: 'One. ' }));
    collector.add(chunk({ annotations: [cite('https://a.example/', 0, 5)] }));
    collector.add(chunk({ content: 'Two.' }));
    collector.add(chunk({ annotations: [cite('https://b.example/', 5, 9)] }));
    collector.add(chunk({}, 'stop'));
    const response = collector.response()!;
    const annotations = [cite('https://a.example/', 0, 5), cite('https://b.example/', 5, 9)];
    expect(response.choices[0]?.message).toMatchObject({ content: 'One. Two.', annotations });
    expect(replayChunks(response, false)[0]?.choices[0]?.delta).toMatchObject({ annotations });
  });
});

describe("Azure's On Your Data context", () => {
  it('is kept from the delta that carries it (lists appended if it comes in parts) and replayed', () => {
    const cite = (title: string) => ({ content: `${title} says so.`, title });
    const collector = new ChunkCollector(true);
    collector.add(chunk({ role: 'assistant', context: { citations: [cite('A')], intent: 'x' } }));
    collector.add(chunk({ content: 'Yes [doc1][doc2].' }));
    collector.add(chunk({ context: { citations: [cite('B')] } }));
    collector.add(chunk({}, 'stop'));
    const response = collector.response()!;
    const context = { citations: [cite('A'), cite('B')], intent: 'x' };
    expect(response.choices[0]?.message).toMatchObject({ content: 'Yes [doc1][doc2].', context });
    expect(replayChunks(response, false)[0]?.choices[0]?.delta).toMatchObject({ context });
  });
});
