// How the router's WebSockets learn that it is shutting down (app.ts, on close): a connection
// with more to say before it goes (the Realtime relay: an `error` event, the session's record)
// listens for `ROUTER_SHUTDOWN` on its socket and closes it itself; any other is closed "going
// away" (1001, RFC 6455 §7.4.1), which clients treat as a reason to reconnect elsewhere.
import type { WebSocket } from 'ws';

/** The event a socket is sent when the router shuts down. */
export const ROUTER_SHUTDOWN = 'router-shutdown';

/** Tells the socket's connection the router is going, or closes the socket 1001 itself. */
export function closeForShutdown(socket: WebSocket): void {
  if (!socket.emit(ROUTER_SHUTDOWN)) socket.close(1001, 'the router is shutting down');
}
