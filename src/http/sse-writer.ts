// The one SSE writer (STYLE.md principle 3): serialises events to the client socket with
// backpressure, ends successful chat streams with `data: [DONE]`, and turns a failure after the
// first byte into an in-band error event before closing.
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';

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

/**
 * Writes are corked until the current burst of work is done (a `nextTick` runs once the promise
 * jobs queued now have run): the events parsed from one upstream read leave in one `writev`
 * instead of one syscall and packet each, and nothing waits longer than that burst.
 */
const corked = new WeakSet<ServerResponse>();
function uncork(res: ServerResponse): void {
  corked.delete(res);
  res.uncork();
}

function write(res: ServerResponse, text: string): Promise<void> | undefined {
  if (!corked.has(res)) {
    corked.add(res);
    res.cork();
    process.nextTick(uncork, res);
  }
  if (res.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function format(e: SseEvent): string {
  return (e.event ? `event: ${e.event}\n` : '') + `data: ${e.data}\n\n`;
}

export interface SseStreamOptions<T = SseEvent> {
  headers: Record<string, string>;
  /**
   * How one item becomes SSE text (default: the item is an `SseEvent`). Chat chunks are encoded
   * here rather than mapped to events by another async generator: one fewer promise and object per
   * chunk on the hottest path.
   */
  encode?: (item: T) => string;
  /** Turn an error thrown mid-stream into the final event(s) to send. */
  errorEvents(err: GatewayError): SseEvent[];
  /** Sent after the last event of a successful stream (chat: `data: [DONE]`). */
  trailer?: SseEvent[];
}

/** Streams events; resolves when the response has ended. Stops early if the client goes away. */
export async function writeSseStream<T = SseEvent>(
  res: ServerResponse,
  events: AsyncIterable<T>,
  opts: SseStreamOptions<T>,
): Promise<void> {
  res.writeHead(200, { ...SSE_HEADERS, ...opts.headers });
  const encode = opts.encode ?? (format as unknown as (item: T) => string);
  const iterator = events[Symbol.asyncIterator]();
  try {
    while (!res.destroyed) {
      const r = await iterator.next();
      if (r.done) {
        for (const e of opts.trailer ?? []) await write(res, format(e));
        break;
      }
      const pending = write(res, encode(r.value));
      if (pending) await pending;
    }
  } catch (err) {
    const e = asGatewayError(err);
    if (!res.destroyed) for (const ev of opts.errorEvents(e)) await write(res, format(ev));
  } finally {
    if (res.destroyed) await iterator.return?.(undefined);
    res.end();
  }
}

function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError({
    status: 500,
    type: 'server_error',
    code: 'stream_error',
    message: `The stream failed: ${(err as Error)?.message ?? String(err)}`,
  });
}

/** Chat Completions streams: `data: {chunk}` events, `data: [DONE]`, and `data: {"error":…}`. */
export function chatSseOptions<T>(headers: Record<string, string>): SseStreamOptions<T> {
  return {
    headers,
    encode: (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
    errorEvents: (e) => [{ data: JSON.stringify(e.toEnvelope()) }],
    trailer: [{ data: '[DONE]' }],
  };
}
