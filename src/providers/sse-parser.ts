// THE one SSE parser (STYLE.md principle 3): upstream bytes → events, per the WHATWG
// server-sent-events rules (LF, CR or CRLF line ends, multi-line data, comments, a leading BOM),
// robust to bytes split anywhere, including inside a multi-byte character.
import { GatewayError } from '../core/errors.js';
import type { ChatChunk } from '../core/wire-types.js';

export interface SseMessage {
  event?: string;
  data: string;
  id?: string;
}

export interface SseOptions {
  /**
   * The message that ends the stream (chat: `data: [DONE]`). It is not yielded; the iteration ends
   * there, and the rest of the body is read to its end (at most `graceMs`) so that the upstream
   * connection is reused and no abort is needed. Stopping a body before its end costs a new
   * connection and an abort error with a formatted stack trace per stream (≈4–6% of a streaming
   * request's CPU, profiled).
   */
  endAt?: (m: SseMessage) => boolean;
  /** How long to wait for the body's end after `endAt`, then destroy it (default 1 s). */
  graceMs?: number;
}

/** With `signal`, parsing stops (throwing its reason) as soon as the request is aborted, even
 * when more events are already buffered. */
export async function* parseSse(
  bytes: AsyncIterable<Uint8Array | string>,
  signal?: AbortSignal,
  opts: SseOptions = {},
): AsyncGenerator<SseMessage> {
  const endAt = opts.endAt;
  let reachedEnd = false;
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let first = true;
  let event: string | undefined;
  let data: string[] = [];
  let id: string | undefined;

  const takeLine = (line: string): SseMessage | undefined => {
    if (line === '') {
      if (data.length === 0) {
        event = undefined;
        return undefined;
      }
      const msg: SseMessage = { data: data.join('\n') };
      if (event !== undefined) msg.event = event;
      if (id !== undefined) msg.id = id;
      event = undefined;
      data = [];
      return msg;
    }
    if (line.charCodeAt(0) === 58 /* : */) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
    return undefined;
  };

  function* drain(final: boolean): Generator<SseMessage> {
    let start = 0;
    for (;;) {
      let i = start;
      const n = buffer.length;
      while (i < n) {
        const c = buffer.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= n) break;
      // A CR at the very end may be the first half of CRLF: wait for more bytes.
      if (buffer.charCodeAt(i) === 13 && i === n - 1 && !final) break;
      const line = buffer.slice(start, i);
      start = buffer.charCodeAt(i) === 13 && buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
      const msg = takeLine(line);
      if (msg) {
        if (signal?.aborted) throw abortError(signal);
        if (endAt?.(msg)) {
          reachedEnd = true;
          break;
        }
        yield msg;
      }
    }
    buffer = buffer.slice(start);
  }

  // Iterated by hand, not with for-await: leaving a for-await closes the body's iterator before any
  // finally of ours could run.
  const iterator = bytes[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const chunk = next.value;
      buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      yield* drain(false);
      if (reachedEnd) break;
    }
    if (reachedEnd) {
      await readToEnd(iterator, bytes, opts.graceMs ?? 1000);
      return;
    }
    ended = true;
  } finally {
    // Stopped before the body's end (the consumer left early): destroy the body ourselves, so
    // that the stream iterator's own clean-up does not also build an AbortError.
    if (!ended && !reachedEnd) {
      (bytes as { destroy?: () => void }).destroy?.();
      await iterator.return?.();
    }
  }
  buffer += decoder.decode();
  yield* drain(true);
  if (buffer.length > 0) {
    const msg = takeLine(buffer);
    buffer = '';
    if (msg) yield msg;
  }
  // End of stream without a trailing blank line: the spec discards an incomplete event.
}

/** Reads and discards what is left of a body; destroys it if it has not ended within `graceMs`. */
async function readToEnd(
  iterator: AsyncIterator<unknown>,
  bytes: unknown,
  graceMs: number,
): Promise<void> {
  const destroy = (bytes as { destroy?: () => void }).destroy?.bind(bytes);
  const guard = destroy ? setTimeout(destroy, graceMs) : undefined;
  try {
    for (;;) if ((await iterator.next()).done) return;
  } catch {
    // Destroyed by the guard, or the connection dropped after the end message: nothing is lost.
  } finally {
    clearTimeout(guard);
    if (!destroy) await iterator.return?.();
  }
}

/** `data: [DONE]`, the end of a Chat Completions stream. */
export const isDoneMessage = (m: SseMessage): boolean => m.data === '[DONE]';

/**
 * Chat Completions chunks from SSE messages: `[DONE]` ends the stream; an `{"error":…}` payload or
 * an `event: error` becomes a GatewayError thrown mid-stream; malformed JSON is an error too.
 * With `defaultModel`, chunks are also normalised in the same pass (one async generator fewer per
 * chunk): a missing `choices` becomes `[]`, a missing `model` the deployment's, and Azure's first
 * chunk `{"id":"","choices":[],"prompt_filter_results":[…]}` (CONTRACTS.md §1.5) is merged into the
 * next real chunk instead of being forwarded with an empty id.
 */
export async function* parseChatChunks(
  messages: AsyncIterable<SseMessage>,
  opts: { defaultModel?: string } = {},
): AsyncGenerator<ChatChunk> {
  const normalise = opts.defaultModel !== undefined;
  let pendingFilter: unknown[] | undefined;
  for await (const m of messages) {
    if (m.data === '[DONE]') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(m.data);
    } catch {
      throw new GatewayError({
        status: 502,
        type: 'upstream_error',
        code: 'upstream_malformed_chunk',
        message: `The upstream sent a malformed stream chunk: ${m.data.slice(0, 200)}`,
        retryable: true,
      });
    }
    const err = (parsed as { error?: unknown }).error;
    if (m.event === 'error' || (err !== undefined && err !== null))
      throw streamError(err ?? parsed);
    const chunk = parsed as ChatChunk;
    if (normalise) {
      if (!Array.isArray(chunk.choices)) (chunk as { choices: unknown[] }).choices = [];
      if (!chunk.id && chunk.choices.length === 0 && chunk.prompt_filter_results && !chunk.usage) {
        pendingFilter = chunk.prompt_filter_results;
        continue;
      }
      if (!chunk.model) chunk.model = opts.defaultModel!;
      if (pendingFilter) {
        chunk.prompt_filter_results = pendingFilter;
        pendingFilter = undefined;
      }
    }
    yield chunk;
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function streamError(err: unknown): GatewayError {
  const e = (typeof err === 'object' && err ? err : { message: String(err) }) as {
    message?: unknown;
    code?: unknown;
    type?: unknown;
  };
  return new GatewayError({
    status: 502,
    type: typeof e.type === 'string' ? e.type : 'upstream_error',
    code: e.code === undefined || e.code === null ? 'upstream_stream_error' : String(e.code),
    message: `The upstream failed mid-stream: ${typeof e.message === 'string' ? e.message : JSON.stringify(err).slice(0, 300)}`,
    retryable: true,
  });
}
