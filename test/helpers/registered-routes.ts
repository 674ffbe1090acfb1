// Every route an app registers, read from Fastify's own route tree (`printRoutes`), as
// `METHOD /path/:param` strings: what the route-table tests (who may call each route, the route
// fuzzer, the docs-references check that every documented path is served) go over.
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  /** The path as registered: `:name` for a parameter, `*` for a wildcard. */
  url: string;
}

/** The app's routes, one per method, in the tree's order. */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const routes: RegisteredRoute[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    const url = path.replace(/\/\/+/g, '/');
    for (const method of m[3]!.split(', ')) routes.push({ method, url });
  }
  return routes;
}
