// Which stop sequence an answer stopped at, to an Anthropic client: known where the upstream
// names it (an Anthropic deployment, vLLM's `stop_reason`, SGLang's `matched_stop`) and it is one
// of the client's stop sequences; OpenAI's bare "stop" cannot say, so it stays end_turn. The
// answer cache keeps it.
import { describe, expect, it } from 'vitest';
import { ChunkCollector, replayChunks } from '../../gateway/answer-chunks.js';
import type { ChatChunk, ChatResponse } from '../../core/wire-types.js';
import { chatToMessage } from './messages-reply.js';
import { chatChunksToMessageEvents } from './messages-stream.js';

type Json = Record<string, unknown>;

const reply = (choiceExtra: Json): ChatResponse =>
  ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'llama',
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content: 'One, two', refusal: null },
        ...choiceExtra,
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  }) as ChatResponse;

const chunks = (finishExtra: Json): ChatChunk[] =>
  [
    { choices: [{ index: 0, delta: { role: 'assistant', content: 'One, two' } }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop', ...finishExtra }] },
  ].map(
    (c) =>
      ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'llama', ...c }) as ChatChunk,
  );

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}

async function streamedStop(finishExtra: Json, stop: unknown): Promise<Json> {
  let delta: Json = {};
  for await (const e of chatChunksToMessageEvents(from(chunks(finishExtra)), 'm', 0, stop))
    if (e.event === 'message_delta') delta = (JSON.parse(e.data) as { delta: Json }).delta;
  return delta;
}

// With the fields the SDK types as there but nullable (`RawMessageDeltaEvent.Delta`).
const NULLS = { stop_details: null, container: null };
const STOPPED = { stop_reason: 'stop_sequence', stop_sequence: '###', ...NULLS };
const ENDED = { stop_reason: 'end_turn', stop_sequence: null, ...NULLS };

describe('stop_sequence to an Anthropic client', () => {
  it("is vLLM's stop_reason or SGLang's matched_stop when it is one of the client's, JSON and streamed", async () => {
    for (const named of [{ stop_reason: '###' }, { matched_stop: '###' }]) {
      expect(chatToMessage(reply(named), ['END', '###'])).toMatchObject(STOPPED);
      expect(await streamedStop(named, ['END', '###'])).toEqual(STOPPED);
    }
    expect(chatToMessage(reply({ matched_stop: '###' }), '###')).toMatchObject(STOPPED);
  });

  it('is end_turn for a stop token id, a sequence the client did not send, or OpenAI’s bare "stop"', async () => {
    const cases: [Json, unknown][] = [
      [{ matched_stop: 128009 }, ['###']], // SGLang: the end-of-turn token's id
      [{ stop_reason: 2 }, ['###']], // vLLM: a stop_token_ids id
      [{ stop_reason: '</s>' }, ['###']], // a server-side stop string, not the client's
      [{ stop_reason: '###' }, undefined], // the client sent no stop sequences
      [{}, ['###']], // OpenAI and Azure: nothing says which, or whether one was hit
    ];
    for (const [named, stop] of cases) {
      expect(chatToMessage(reply(named), stop)).toMatchObject(ENDED);
      expect(await streamedStop(named, stop)).toEqual(ENDED);
    }
  });

  it('survives the answer cache: a streamed answer kept and replayed still names its sequence', async () => {
    for (const named of [{ stop_reason: '###' }, { matched_stop: '###' }]) {
      const collector = new ChunkCollector();
      for (const c of chunks(named)) collector.add(c);
      const kept = collector.response()!;
      expect(chatToMessage(kept, ['###'])).toMatchObject(STOPPED);
      let delta: Json = {};
      for await (const e of chatChunksToMessageEvents(from(replayChunks(kept, false)), 'm', 0, [
        '###',
      ]))
        if (e.event === 'message_delta') delta = (JSON.parse(e.data) as { delta: Json }).delta;
      expect(delta).toEqual(STOPPED);
    }
  });
});
