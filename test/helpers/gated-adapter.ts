// An upstream that holds its answer open until the test releases it (or the call is aborted): a
// background response is caught running, streamed halfway, cancelled or left behind by a
// replica, with no sleeps. A stream sends `before` pieces, waits, then `after` pieces.
import type { ChatChunk, ChatResponse } from '../../src/core/wire-types.js';
import type { ProviderAdapter } from '../../src/providers/types.js';

export interface GatedAdapter extends ProviderAdapter {
  /** Calls made, and calls aborted (a cancel reached the upstream). */
  calls: number;
  aborted: number;
  /** Resolves when the next call has reached the upstream (and, streamed, sent `before`). */
  reached(): Promise<void>;
  /** Lets every held call answer. */
  release(): void;
}

export function gatedAdapter(model: string, before: string[], after: string[]): GatedAdapter {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached: (() => void) | undefined;
  let reachedNext = new Promise<void>((r) => (reached = r));
  const arrive = () => {
    reached?.();
    reachedNext = new Promise<void>((r) => (reached = r));
  };
  const hold = (signal: AbortSignal) =>
    Promise.race([
      gate,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatChunk =>
    ({
      id: 'chatcmpl-gated',
      object: 'chat.completion.chunk',
      created: 1,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    }) as ChatChunk;
  const adapter: GatedAdapter = {
    calls: 0,
    aborted: 0,
    reached: () => reachedNext,
    release: () => release(),
    async chat(req) {
      adapter.calls++;
      req.signal.addEventListener('abort', () => adapter.aborted++, { once: true });
      arrive();
      await hold(req.signal);
      const response = {
        id: 'chatcmpl-gated',
        object: 'chat.completion',
        created: 1,
        model,
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            logprobs: null,
            message: { role: 'assistant', content: [...before, ...after].join(''), refusal: null },
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      } as ChatResponse;
      return { response, headers: {} };
    },
    async chatStream(req) {
      adapter.calls++;
      req.signal.addEventListener('abort', () => adapter.aborted++, { once: true });
      const signal = req.signal;
      async function* chunks(): AsyncGenerator<ChatChunk> {
        for (const piece of before) yield chunk({ content: piece });
        arrive();
        await hold(signal);
        for (const piece of after) yield chunk({ content: piece });
        yield chunk({}, 'stop');
        yield {
          ...chunk({}),
          choices: [],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        } as ChatChunk;
      }
      return { chunks: chunks(), headers: {} };
    },
  };
  return adapter;
}
