// Shutdown must not wait for a connection on which no request has started. Node's
// closeIdleConnections() (and so Fastify's `forceCloseConnections: 'idle'`) skips such a
// connection: Node counts it as busy from accept until its first request is done, and
// server.close() then waits until the client drops it. Clients do hold spare connections:
// undici (Node's fetch) reconnects at once after an aborted request and keeps the new socket
// for its keep-alive timeout (4 s); load balancers and browsers pre-connect.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface UnusedConnections {
  /** Destroys every open connection that has not sent one byte yet; returns how many. */
  closeUnused(): number;
}

/** Watches a server's connections (one Set entry per open connection, none per request). */
export function trackUnusedConnections(server: Server): UnusedConnections {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    closeUnused() {
      let closed = 0;
      for (const socket of open) {
        // Not one byte read: no request has begun on it, so none is cut short.
        if (socket.bytesRead === 0 && !socket.destroyed) {
          socket.destroy();
          closed++;
        }
      }
      return closed;
    },
  };
}
