// Binds a test's loopback server to the first free port of a range (a suite's own ports, so runs
// of other suites on the machine never meet it): `listen` is tried on each port in turn until one
// is not in use.
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
