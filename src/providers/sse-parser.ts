// THE one SSE parser (STYLE.md principle 3): upstream bytes → events, per the WHATWG
// server-sent-events rules (LF, CR or CRLF line ends, multi-line data, comments, a leading BOM),
// robust to bytes split anywhere, including inside a multi-byte character. Chat chunks are read
// from its messages by chat-chunk-reader.ts.
import { GatewayError } from '../core/errors.js';
import { Utf8Reads } from './utf8-reads.js';

export interface SseMessage {
  event?: string;
  data: string;
  id?: string;
}

export interface SseOptions<T = SseMessage> {
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
  /**
   * Called when the body ends before the `endAt` message (an upstream that closed its stream
   * early); a throw ends the stream with that error, after the messages before it.
   */
  endedEarly?: () => void;
  /**
   * Turns each message into what is yielded, in the same pass (no async generator layer of its
   * own per message); `undefined` skips the message, a throw ends the stream with that error.
   */
  map?: (m: SseMessage) => T | undefined;
  /**
   * The most characters one line or one event may hold (default MAX_EVENT_CHARS); past it the
   * stream fails with 502 `upstream_event_too_large`, as a non-streamed reply past maxReplyBytes.
   */
  maxEventChars?: number;
}

/**
 * The largest SSE line or event read by default: 32 Mi characters, far above any real chunk (a
 * whole image as base64 is a few MB). Bounds what one stream holds in memory.
 */
export const MAX_EVENT_CHARS = 32 * 1024 * 1024;

/** With `signal`, parsing stops (throwing its reason) as soon as the request is aborted, even
 * when more events are already buffered. */
export async function* parseSse<T = SseMessage>(
  bytes: AsyncIterable<Uint8Array | string>,
  signal?: AbortSignal,
  opts: SseOptions<T> = {},
): AsyncGenerator<T> {
  const endAt = opts.endAt;
  const map = opts.map ?? ((m: SseMessage) => m as unknown as T);
  let reachedEnd = false;
  const decoder = new Utf8Reads();
  const maxChars = opts.maxEventChars ?? MAX_EVENT_CHARS;
  let buffer = '';
  /**
   * Where the scan for the buffer's next line end resumes: what is before it (after the last
   * complete line) holds none. Reads that bring no line end are only collected (`pending`), not
   * appended and scanned again: one line of megabytes used to cost a scan of the whole buffer a
   * read, quadratic in its length (a 64 MB line took a core for 15 s).
   */
  let scanFrom = 0;
  /**
   * A CR has been read: lines may end in CR or CRLF, so the buffer is scanned a character at a
   * time. Until then (most upstreams end lines in LF only) the scan is the native `indexOf('\n')`,
   * several times faster than the loop over a stream's every character.
   */
  let sawCr = false;
  const pending: string[] = [];
  let pendingChars = 0;
  /** Characters of the event being read (its data lines so far). */
  let eventChars = 0;
  let first = true;
  let event: string | undefined;
  let data: string | undefined;
  let id: string | undefined;

  /** One line, `buffer[start, end)`: a field, a comment, or (empty) the end of a message. */
  const takeLine = (start: number, end: number): SseMessage | undefined => {
    if (start === end) {
      eventChars = 0;
      if (data === undefined) {
        event = undefined;
        return undefined;
      }
      const msg: SseMessage = { data };
      if (event !== undefined) msg.event = event;
      if (id !== undefined) msg.id = id;
      event = undefined;
      data = undefined;
      return msg;
    }
    if (buffer.charCodeAt(start) === 58 /* : */) return undefined;
    let colon = buffer.indexOf(':', start);
    if (colon === -1 || colon > end) colon = end;
    let from = colon + 1;
    if (from < end && buffer.charCodeAt(from) === 32) from++;
    const value = from < end ? buffer.slice(from, end) : '';
    const len = colon - start;
    if (len === 4 && buffer.startsWith('data', start)) {
      eventChars += value.length + 1;
      if (eventChars > maxChars) throw eventTooLarge(maxChars);
      data = data === undefined ? value : `${data}\n${value}`;
    } else if (len === 5 && buffer.startsWith('event', start)) event = value;
    else if (len === 2 && buffer.startsWith('id', start)) id = value;
    return undefined;
  };

  /** Messages parsed from the buffer and not yet yielded (reused: no array per upstream read). */
  const ready: T[] = [];
  /** Parses the complete lines in the buffer into `ready`. A plain loop, not a sync generator:
   * `yield*` of a sync generator in an async one costs an extra promise per message. */
  function drain(final: boolean): void {
    let start = 0;
    for (;;) {
      let i = start === 0 ? scanFrom : start;
      const n = buffer.length;
      if (sawCr) {
        while (i < n) {
          const c = buffer.charCodeAt(i);
          if (c === 10 || c === 13) break;
          i++;
        }
      } else {
        i = buffer.indexOf('\n', i);
        if (i === -1) i = n;
      }
      if (i >= n) {
        scanFrom = n - start;
        break;
      }
      // A CR at the very end may be the first half of CRLF: wait for more bytes.
      if (buffer.charCodeAt(i) === 13 && i === n - 1 && !final) {
        scanFrom = i - start;
        break;
      }
      const msg = takeLine(start, i);
      start = buffer.charCodeAt(i) === 13 && buffer.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
      if (msg) {
        if (signal?.aborted) throw abortError(signal);
        if (endAt?.(msg)) {
          reachedEnd = true;
          break;
        }
        let out: T | undefined;
        try {
          out = map(msg);
        } catch (err) {
          // Raised after the messages before it have been yielded, as they came.
          failure = { err };
          break;
        }
        if (out !== undefined) ready.push(out);
      }
    }
    buffer = buffer.slice(start);
    if (buffer.length > maxChars) throw eventTooLarge(maxChars);
  }

  /** Adds a read to the buffer, or, while it brings no line end, collects it for later. */
  function take(text: string): boolean {
    if (!sawCr && text.includes('\r')) sawCr = true;
    const partial = scanFrom === buffer.length && buffer.length + pendingChars > 0;
    if (partial && !/[\r\n]/.test(text)) {
      pending.push(text);
      pendingChars += text.length;
      if (buffer.length + pendingChars > maxChars) throw eventTooLarge(maxChars);
      return false;
    }
    flushPending();
    buffer += text;
    return true;
  }

  /** Appends the reads collected while they brought no line end. */
  function flushPending(): void {
    if (pending.length === 0) return;
    buffer += pending.join('');
    pending.length = 0;
    pendingChars = 0;
  }
  let failure: { err: unknown } | undefined;

  // Iterated by hand, not with for-await: leaving a for-await closes the body's iterator before any
  // finally of ours could run.
  const iterator = bytes[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        take(decoder.end());
        flushPending();
        drain(true);
        // End of stream without a trailing blank line: a complete last field still counts, an
        // incomplete event is discarded (as the spec says).
        if (buffer.length > 0 && !failure) {
          const msg = takeLine(0, buffer.length);
          buffer = '';
          const out = msg ? map(msg) : undefined;
          if (out !== undefined) ready.push(out);
        }
        // An end message cut from its blank line is not dispatched, but it did say the end.
        const last = data === undefined ? undefined : { data, ...(event ? { event } : {}) };
        if (!reachedEnd && !failure && last && endAt?.(last)) reachedEnd = true;
        if (!reachedEnd && !failure && opts.endedEarly) {
          try {
            opts.endedEarly();
          } catch (err) {
            failure = { err };
          }
        }
      } else {
        const chunk = next.value;
        const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk);
        if (take(text)) {
          if (first && buffer.length > 0) {
            if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
            first = false;
          }
          drain(false);
        }
      }
      // Yielded in order; a mapping failure is raised after the messages before it.
      for (let k = 0; k < ready.length; k++) {
        if (k > 0 && signal?.aborted) throw abortError(signal);
        yield ready[k]!;
      }
      ready.length = 0;
      if (failure) throw failure.err;
      if (ended || reachedEnd) break;
    }
    if (reachedEnd && !ended) await readToEnd(iterator, bytes, opts.graceMs ?? 1000);
  } finally {
    // Stopped before the body's end (the consumer left early, or a failure): destroy the body
    // ourselves, so that the stream iterator's own clean-up does not also build an AbortError.
    if (!ended && !reachedEnd) {
      (bytes as { destroy?: () => void }).destroy?.();
      await iterator.return?.();
    }
  }
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

/** A line or event past `maxChars`: an upstream failure, as a reply past maxReplyBytes is. */
function eventTooLarge(maxChars: number): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_event_too_large',
    message: `The upstream sent a stream event larger than ${maxChars} characters; it was not read.`,
    retryable: true,
  });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
