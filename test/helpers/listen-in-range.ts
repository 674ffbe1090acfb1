// Binds a test's loopback server to the first free port of a range (a suite's own ports, so runs
// of other suites on the machine never meet it): `listen` is tried on each port in turn until one
// is not in use.
import type { Server } from 'node:net';

export async function listenInRange(
  listen: (port: number) => Promise<unknown>,
  from: number,
  to: number,
): Promise<number> {
  for (let port = from; ; port++) {
    try {
      await listen(port);
      return port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port >= to) throw err;
    }
  }
}

/** `server` listening on 127.0.0.1 at the first free port of the range (listenInRange). */
export function listenServerInRange(server: Server, from: number, to: number): Promise<number> {
  return listenInRange(
    (port) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
    from,
    to,
  );
}
