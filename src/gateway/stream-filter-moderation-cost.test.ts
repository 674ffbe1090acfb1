// A streamed answer's content checks at a priced moderation deployment that end after the
// upstream does are still part of the request's cost: the final check of a stream whose upstream
// ended without a finish chunk, and a mid-stream check (every 1,000 characters) still running when
// the finish's own check is done. Listed in its record (`lookup: 'content_filter'`), settled with
// it (budgets) and counted at `mod` in the usage summary. Before 2026-12-06 both came after the
// request was settled and recorded, and counted nowhere.
import { describe, expect, it } from 'vitest';
import {
  filterCalls,
  moderationCost,
  pricedModerationApp,
  promptText,
  summaryAt,
} from '../../test/helpers/priced-moderation-filter.js';
import type { ChatChunk } from '../core/wire-types.js';
import type { ProviderAdapter } from '../providers/types.js';
import { waitFor } from '../../test/helpers/wait-for.js';

/** A chat upstream that streams `pieces` and then, with `finish`, a finish chunk; no usage. */
function streamingAdapter(pieces: string[], finish: boolean): ProviderAdapter {
  const chunk = (content: string | null, finishReason: string | null = null): ChatChunk =>
    ({
      id: 'chatcmpl-stream',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'streamer',
      choices: [
        {
          index: 0,
          delta: content === null ? {} : { content },
          finish_reason: finishReason,
          logprobs: null,
        },
      ],
    }) as ChatChunk;
  return {
    async chat() {
      throw new Error('streams only');
    },
    async chatStream() {
      async function* gen(): AsyncGenerator<ChatChunk> {
        for (const p of pieces) yield chunk(p);
        if (finish) yield chunk(null, 'stop');
      }
      return { chunks: gen(), headers: {} };
    },
  } as ProviderAdapter;
}

const chat = (content: string) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: { model: 'small', messages: [{ role: 'user', content }], stream: true },
});

/** The answer's text as the client got it. */
const streamedText = (body: string) =>
  body
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as ChatChunk)
    .map((c) => (c.choices[0]?.delta as { content?: string } | undefined)?.content ?? '')
    .join('');

describe("a stream's last content checks count in its request", () => {
  it('an upstream that ends without a finish chunk: the final check of the whole text, at mod', async () => {
    const pieces = ['The Nile, ', 'the Amazon ', 'and the Yangtze are the longest rivers.'];
    const app = await pricedModerationApp({
      adapters: (sim) => ({ ...sim, small: streamingAdapter(pieces, false) }),
    });
    const content = 'Name the three longest rivers.';
    const res = await app.t.app.inject(chat(content));
    expect(res.statusCode).toBe(200);
    expect(streamedText(res.body)).toBe(pieces.join(''));
    await waitFor(() => expect(app.t.records).toHaveLength(1));
    const record = app.t.records[0]!;
    const calls = filterCalls(record);
    // The prompt's check, then the final one over the whole answer.
    expect(calls.map((a) => [a.deployment, a.outcome, a.costUsd])).toEqual([
      ['mod', 'ok', moderationCost(promptText(content))],
      ['mod', 'ok', moderationCost(pieces.join(''))],
    ]);
    const expected = moderationCost(promptText(content), pieces.join(''));
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
    expect(record.costUsd).toBeGreaterThan(expected);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await app.spent()).at).toBeCloseTo(expected, 12);
  });

  it("a mid-stream check still running when the finish's check is done: waited for, counted at mod", async () => {
    // 1,200 characters: a check at 1,000 (held until the request settles, or 100 ms after the
    // finish's check began), then the finish's over all 1,200 (at once).
    const pieces = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, '0')}`.repeat(50));
    const texts: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const app = await pricedModerationApp({
      onSettle: () => release(),
      adapters: (sim) => ({
        ...sim,
        small: streamingAdapter(pieces, true),
        mod: {
          ...sim.mod!,
          async moderate(req) {
            const text = String(req.body.input);
            texts.push(text);
            if (texts.length === 2) await held; // the first check of the answer
            if (texts.length === 3) setTimeout(release, 100);
            return sim.mod!.moderate!(req);
          },
        },
      }),
    });
    const content = 'Count to eleven, slowly.';
    const res = await app.t.app.inject(chat(content));
    expect(res.statusCode).toBe(200);
    const answer = pieces.join('');
    expect(streamedText(res.body)).toBe(answer);
    await waitFor(() => expect(app.t.records).toHaveLength(1));
    const record = app.t.records[0]!;
    expect(texts.map((t) => t.length)).toEqual([promptText(content).length, 1000, 1200]);
    const calls = filterCalls(record);
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'ok'],
      ['mod', 'ok'],
      ['mod', 'ok'],
    ]);
    const expected = moderationCost(promptText(content), answer.slice(0, 1000), answer);
    expect(calls.reduce((n, a) => n + a.costUsd!, 0)).toBeCloseTo(expected, 15);
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await app.spent()).at).toBeCloseTo(expected, 12);
  });
});
