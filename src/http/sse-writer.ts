// The one SSE writer (STYLE.md principle 3): serialises events to the client socket with
// backpressure, ends successful chat streams with `data: [DONE]`, and turns a failure after the
// first byte into an in-band error event before closing.
import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { RAW_JSON, type PassThroughChunk } from '../core/wire-types.js';
import { headerSafe } from '../core/header-text.js';

export interface SseEvent {
  event?: string;
  data: string;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

function format(e: SseEvent): string {
  return (e.event ? `event: ${e.event}\n` : '') + `data: ${e.data}\n\n`;
}

/**
 * The headers set on `reply` so far (request id, CORS) with `extra`: a stream is written past
 * Fastify's reply (`hijack`), so they would otherwise be lost.
 */
export function replyHeaders(
  reply: FastifyReply,
  extra: Record<string, string> = {},
): OutgoingHttpHeaders {
  return mergeHeaders(reply.getHeaders() as OutgoingHttpHeaders, extra);
}

/**
 * A new object with the headers of `a` and `b`, `b`'s value winning. Not `{ ...a, ...b }`:
 * on Node 20, once optimised, an object literal that spreads one object and then gets more
 * properties (a second spread, or `k: v`) makes a new hidden class each time, about 1 µs a property
 * added, against 0.2–0.5 µs for the whole of `Object.assign({}, a, b)` with a stream's dozen
 * headers: the two merges took 10–20 µs of a stream's way to its first byte (docs/benchmarks.md,
 * 2026-12-07). Header names are the router's own, never `__proto__`.
 */
function mergeHeaders(a: OutgoingHttpHeaders, b: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.assign({}, a, b);
}

export interface SseStreamOptions<T = SseEvent> {
  /** Response headers besides the SSE ones (`replyHeaders`: those set on the reply, and more). */
  headers: OutgoingHttpHeaders;
  /**
   * How one item becomes SSE text (default: the item is an `SseEvent`). Chat chunks are encoded
   * here rather than mapped to events by another async generator: one fewer promise and object per
   * chunk on the hottest path.
   */
  encode?: (item: T) => string;
  /** Turn an error thrown mid-stream into the final event(s) to send. */
  errorEvents(err: GatewayError): SseEvent[] | Promise<SseEvent[]>;
  /** Sent after the last event of a successful stream (chat: `data: [DONE]`). */
  trailer?: SseEvent[];
  /**
   * Awaits each wait for the client's socket to drain (a chat stream's RequestTiming: that wait
   * is the client's, not the router's overhead, gateway/request-timing.ts).
   */
  client?: { awaitClient(drained: Promise<void>): Promise<void> };
}

/**
 * Streams events; resolves when the response has ended. Stops early if the client goes away.
 *
 * The text of the events produced in one burst of work (the events parsed from the upstream reads
 * of one turn of the event loop) is gathered and leaves in one `write` once that burst is done
 * (`setImmediate` runs after the turn's I/O callbacks, ticks and promise jobs): one syscall and one
 * chunk of the chunked body per burst instead of one per event, and no per-event buffering inside
 * the socket stream. A stream whose last events and end come in one read ends in that same
 * write (with a `nextTick`, the burst left before the body's end was seen, and the end took a
 * second write and syscall a stream). Nothing waits longer than the turn. Backpressure: when the
 * socket's buffer is full, the next event waits for `drain`.
 */
export async function writeSseStream<T = SseEvent>(
  res: ServerResponse,
  events: AsyncIterable<T>,
  opts: SseStreamOptions<T>,
): Promise<void> {
  const headers = mergeHeaders(SSE_HEADERS, opts.headers);
  try {
    res.writeHead(200, headers);
  } catch {
    // A header Node refuses (core/header-text.ts says why): the stream still starts, and its
    // upstream is still read to the end and released, not left open with the client waiting.
    res.writeHead(200, headerSafe(headers));
  }
  const encode = opts.encode ?? (format as unknown as (item: T) => string);
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '' || res.destroyed) return;
    const text = pending;
    pending = '';
    res.write(text);
  };
  const send = (text: string): Promise<void> | undefined => {
    pending += text;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return needsDrain(res) ? drained(res) : undefined;
  };
  const iterator = events[Symbol.asyncIterator]();
  try {
    while (!res.destroyed) {
      const r = await iterator.next();
      if (r.done) {
        for (const e of opts.trailer ?? []) await send(format(e));
        break;
      }
      const wait = send(encode(r.value));
      if (wait) await (opts.client ? opts.client.awaitClient(wait) : wait);
    }
  } catch (err) {
    const e = asGatewayError(err);
    if (!res.destroyed) for (const ev of await opts.errorEvents(e)) await send(format(ev));
  } finally {
    if (res.destroyed) await iterator.return?.(undefined);
    const rest = pending;
    pending = '';
    if (rest !== '' && !res.destroyed) res.end(rest);
    else res.end();
  }
}

/**
 * Whether the client's socket is full, asked of the socket itself when the response has one.
 * Node's server relays its sockets' `drain` to their responses; Fastify's `inject` gives a
 * response an in-memory socket that nothing relays, so the response stayed full for good and the
 * stream never ended. (A response not yet on its socket, behind a pipelined one, answers itself.)
 */
function needsDrain(res: ServerResponse): boolean {
  return res.socket ? res.socket.writableNeedDrain : res.writableNeedDrain;
}

function drained(res: ServerResponse): Promise<void> {
  const full = res.socket ?? res;
  return new Promise((resolve) => {
    const done = () => {
      full.off('drain', done);
      res.off('close', done);
      resolve();
    };
    full.on('drain', done);
    res.on('close', done);
  });
}

/** A failure mid-stream as the GatewayError its in-band error event reports. */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError({
    status: 500,
    type: 'server_error',
    code: 'stream_error',
    message: `The stream failed: ${(err as Error)?.message ?? String(err)}`,
  });
}

/**
 * Chat Completions streams: `data: {chunk}` events, `data: [DONE]`, and `data: {"error":…}`. With
 * `includeUsage` (the client's `stream_options.include_usage`), every chunk but the usage chunk
 * says `"usage": null`, as OpenAI's do (openapi.yaml `ChatCompletionStreamOptions`: "All other
 * chunks will also include a `usage` field, but with a null value"); the caller then asks for no
 * pass-through chunks, whose text is written as it came.
 */
export function chatSseOptions<T>(
  headers: OutgoingHttpHeaders,
  includeUsage = false,
  client?: SseStreamOptions['client'],
): SseStreamOptions<T> {
  return {
    headers,
    client,
    // A pass-through chunk is written as the upstream sent it; any other is encoded.
    encode: (chunk) => {
      const raw = (chunk as Partial<PassThroughChunk>)[RAW_JSON];
      if (raw !== undefined) return `data: ${raw}\n\n`;
      const usage = (chunk as { usage?: unknown }).usage;
      return `data: ${JSON.stringify(includeUsage && usage === undefined ? { ...chunk, usage: null } : chunk)}\n\n`;
    },
    errorEvents: (e) => [{ data: JSON.stringify(e.toEnvelope()) }],
    trailer: [{ data: '[DONE]' }],
  };
}
