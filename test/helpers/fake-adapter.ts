// Scriptable adapters for gateway tests: each call takes the next step of a script (reply,
// stream of chunks, or error), and records what it was sent.
import { GatewayError } from '../../src/core/errors.js';
import type { ChatChunk, ChatResponse } from '../../src/core/wire-types.js';
import type { ProviderAdapter, UpstreamRequest } from '../../src/providers/types.js';

/** Claude-like thinking a reply comes with: `reasoning_details`, streamed in two pieces and the signature. */
export interface FakeThinking {
  thinking: string;
  signature: string;
}

export type Step =
  | { reply: string; think?: FakeThinking }
  | {
      chunks: string[];
      /** Throws a retryable 502 after this many chunks. */
      failAfter?: number;
      /** Sends nothing more after this many chunks, until aborted (a stalled upstream). */
      stallAfter?: number;
      /** Leaves out the usage chunk (an upstream that ignores `include_usage`). */
      noUsage?: boolean;
    }
  | {
      error: {
        status: number;
        retryable?: boolean;
        code?: string;
        headers?: Record<string, string>;
      };
    }
  | { hang: true };

export interface FakeAdapter extends ProviderAdapter {
  calls: UpstreamRequest[];
  aborted: number;
}

function response(model: string, text: string, think?: FakeThinking): ChatResponse {
  const reasoning = think && {
    reasoning_details: [{ provider: 'anthropic', type: 'thinking', ...think }],
  };
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content: text, refusal: null, ...reasoning },
      },
    ],
    usage: {
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    },
  } as ChatResponse;
}

function chunk(
  model: string,
  content: string | null,
  finish: string | null = null,
  usage?: boolean,
): ChatChunk {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: usage
      ? []
      : [
          {
            index: 0,
            delta: content === null ? {} : { content },
            finish_reason: finish,
            logprobs: null,
          },
        ],
    ...(usage ? { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } } : {}),
  } as ChatChunk;
}

function upstreamError(s: Extract<Step, { error: unknown }>['error']): GatewayError {
  return new GatewayError({
    status: s.status,
    type: s.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: s.code ?? `upstream_${s.status}`,
    message: `fake upstream ${s.status}`,
    retryable: s.retryable ?? (s.status === 429 || s.status >= 500),
    headers: s.headers,
  });
}

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export function fakeAdapter(model: string, script: Step[]): FakeAdapter {
  let i = 0;
  const next = (): Step => script[Math.min(i++, script.length - 1)] as Step;
  const adapter: FakeAdapter = {
    calls: [],
    aborted: 0,
    async chat(req) {
      adapter.calls.push(req);
      req.signal.addEventListener('abort', () => adapter.aborted++, { once: true });
      const step = next();
      if ('error' in step) throw upstreamError(step.error);
      if ('hang' in step) return waitForAbort(req.signal);
      if ('chunks' in step) return { response: response(model, step.chunks.join('')), headers: {} };
      return { response: response(model, step.reply, step.think), headers: {} };
    },
    async chatStream(req) {
      adapter.calls.push(req);
      req.signal.addEventListener('abort', () => adapter.aborted++, { once: true });
      const step = next();
      if ('error' in step) throw upstreamError(step.error);
      const signal = req.signal;
      async function* gen(): AsyncGenerator<ChatChunk> {
        if ('hang' in step) return yield* [await waitForAbort(signal)];
        const parts = 'chunks' in step ? step.chunks : [(step as { reply: string }).reply];
        const failAfter = 'chunks' in step ? step.failAfter : undefined;
        const stallAfter = 'chunks' in step ? step.stallAfter : undefined;
        const think = 'think' in step ? step.think : undefined;
        if (think) {
          const half = Math.ceil(think.thinking.length / 2);
          for (const piece of [
            { thinking: think.thinking.slice(0, half) },
            { thinking: think.thinking.slice(half) },
            { signature: think.signature },
          ]) {
            const c = chunk(model, null);
            c.choices[0]!.delta = {
              reasoning_details: [{ provider: 'anthropic', type: 'thinking', index: 0, ...piece }],
            } as ChatChunk['choices'][number]['delta'];
            yield c;
          }
        }
        for (let k = 0; k < parts.length; k++) {
          if (failAfter !== undefined && k === failAfter)
            throw upstreamError({ status: 502, code: 'upstream_dropped' });
          if (stallAfter !== undefined && k === stallAfter) await waitForAbort(signal);
          yield chunk(model, parts[k] as string);
        }
        yield chunk(model, null, 'stop');
        if (!('chunks' in step && step.noUsage)) yield chunk(model, null, null, true);
      }
      return { chunks: gen(), headers: {} };
    },
  };
  return adapter;
}
