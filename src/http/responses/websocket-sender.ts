// The WebSocket sink of a Responses event stream (the SSE writer is the other): each event's JSON
// is one text message, with the request's `stream_id` lane echoed in it, under backpressure. A
// failure mid-stream is returned for the caller to send as an in-band `error` event.
import type { WebSocket } from 'ws';
import type { GatewayError } from '../../core/errors.js';
import { asGatewayError, type SseStreamOptions } from '../sse-writer.js';
import type { ResponsesEvent } from './responses-stream.js';

/** Bytes buffered on the socket beyond which the next event waits for them to be written. */
const HIGH_WATER_BYTES = 1 << 20;
const OPEN = 1; // WebSocket.OPEN

/** `data` (a JSON object's text) with `"stream_id"` added last, when the turn named a lane. */
function withLane(data: string, streamId: string | undefined): string {
  return streamId === undefined
    ? data
    : `${data.slice(0, -1)},"stream_id":${JSON.stringify(streamId)}}`;
}

/** Sends one message; resolves once it is written when the socket's buffer is full, else at once. */
export function sendWebSocketText(
  socket: WebSocket,
  data: string,
  streamId?: string,
): Promise<void> | undefined {
  if (socket.readyState !== OPEN) return undefined;
  const text = withLane(data, streamId);
  if (socket.bufferedAmount < HIGH_WATER_BYTES) {
    socket.send(text);
    return undefined;
  }
  return new Promise((resolve) => socket.send(text, () => resolve()));
}

/**
 * Sends every event until the stream ends or the socket closes (then the stream is stopped, which
 * aborts its upstream call). Returns the error that ended the stream early, if one did. A wait for
 * the socket's buffer goes through `client` (the turn's timing: the client's wait, not the
 * router's overhead).
 */
export async function sendWebSocketEvents(
  socket: WebSocket,
  events: AsyncIterable<ResponsesEvent>,
  streamId: string | undefined,
  client?: SseStreamOptions['client'],
): Promise<GatewayError | undefined> {
  const iterator = events[Symbol.asyncIterator]();
  try {
    while (socket.readyState === OPEN) {
      const r = await iterator.next();
      if (r.done) return undefined;
      const wait = sendWebSocketText(socket, r.value.data, streamId);
      if (wait) await (client ? client.awaitClient(wait) : wait);
    }
    return undefined;
  } catch (err) {
    return asGatewayError(err);
  } finally {
    if (socket.readyState !== OPEN) await iterator.return?.(undefined);
  }
}
