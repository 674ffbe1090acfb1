// A request no route serves, answered with what to fix: a path served for other methods is a 405
// naming them (`Allow`, RFC 9110 §15.5.6), a trailing slash the path is served without is named,
// and a path with an empty id (`/v1/models/`) is not handed to the route whose id it lacks. The
// routes are indexed as they are added, by find-my-way (Fastify's own router), to ask which methods
// a concrete path has. OpenAI answers a wrong method as an unknown path (404 "Invalid URL"); the
// 405 says the same with the methods to use, and the SDKs treat both alike (no retry).
import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';
import { GatewayError } from '../core/errors.js';

type HTTPMethod = FindMyWay.HTTPMethod;

const METHODS: readonly HTTPMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The app's routes by method, for paths no route (or only an empty id) matched. */
export interface RouteIndex {
  /** The methods a path is served for as an HTTP request (WebSocket-only GETs aside). */
  methodsFor(path: string): HTTPMethod[];
  /** Whether the path is served for WebSocket upgrades only. */
  webSocketOnly(path: string): boolean;
  /**
   * Whether a route with an id matched a path that is another method's own path (`GET
   * /v1/responses/compact` reaching `GET /v1/responses/:id`): the id is that path's name, no id.
   */
  isOwnPath(path: string): boolean;
}

/** Indexes every route added to `app` from now on (call before the routes are registered). */
export function indexRoutes(app: FastifyInstance): RouteIndex {
  const router = FindMyWay({ maxParamLength: 100 });
  const ownPaths = new Set<string>();
  app.addHook('onRoute', (route) => {
    if (!route.url.includes(':') && !route.url.includes('*')) ownPaths.add(route.url);
    const webSocket = (route.config as { webSocket?: boolean } | undefined)?.webSocket === true;
    for (const method of [route.method].flat())
      if (METHODS.includes(method as HTTPMethod))
        try {
          router.on(method as HTTPMethod, route.url, () => {}, { webSocket });
        } catch {
          // The same method and path twice (a route with constraints): one entry is enough.
        }
  });
  /**
   * The route `method path` reaches with a non-empty value for each of its parameters; none for a
   * route with an id where the path is another route's own.
   */
  const find = (method: HTTPMethod, path: string) => {
    const found = router.find(method, path);
    const params = found ? Object.values(found.params) : [];
    if (params.includes('') || (params.length > 0 && ownPaths.has(path))) return null;
    return found;
  };
  const store = (found: { store: unknown }) => found.store as { webSocket: boolean };
  return {
    methodsFor: (path) =>
      METHODS.filter((m) => {
        const found = find(m, path);
        return found !== null && !store(found).webSocket;
      }),
    webSocketOnly: (path) => {
      const found = find('GET', path);
      return found !== null && store(found).webSocket;
    },
    isOwnPath: (path) => ownPaths.has(path),
  };
}

/** Whether a matched route got an empty path parameter (`/v1/models/` for `/v1/models/:id`). */
export function hasEmptyParam(params: unknown): boolean {
  return (
    typeof params === 'object' &&
    params !== null &&
    Object.values(params as Record<string, unknown>).includes('')
  );
}

/** Whether a route with an id was reached by another route's own path (RouteIndex.isOwnPath). */
export function isOwnPathAsId(
  routes: RouteIndex,
  request: { params: unknown; routeOptions: { url?: string }; url: string },
): boolean {
  const pattern = request.routeOptions.url;
  if (pattern === undefined || !pattern.includes(':')) return false;
  return routes.isOwnPath(request.url.split('?', 1)[0] ?? '');
}

/**
 * The error for `method path` that no route serves: a 405 with `Allow` where the path is served
 * for other methods, else a 404 that names the fix it can see (a trailing slash to drop, the
 * upgrade a WebSocket path needs).
 */
export function describeMissedRoute(
  routes: RouteIndex,
  method: string,
  path: string,
): GatewayError {
  const trimmed = path.replace(/\/+$/, '');
  if (
    trimmed !== path &&
    trimmed !== '' &&
    routes.methodsFor(trimmed).includes(method as HTTPMethod)
  )
    return notFound(
      `No route for ${method} ${path}: drop the trailing slash (${method} ${trimmed}).`,
    );
  const allowed = routes.methodsFor(path);
  // A plain GET of a WebSocket path keeps its 404 (the path serves no HTTP GET), saying how to use it.
  if (method === 'GET' && routes.webSocketOnly(path))
    return notFound(
      `GET ${path} opens a WebSocket only: send Upgrade: websocket${allowed.length > 0 ? ` (or ${orList(allowed)} ${path} over HTTP)` : ''}.`,
    );
  // A route that found nothing for this request itself (a static file that is not there) says so.
  if (allowed.includes(method as HTTPMethod)) return notFound(`No route for ${method} ${path}`);
  if (allowed.length > 0)
    return new GatewayError({
      status: 405,
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      headers: { allow: allowed.join(', ') },
      message: `${path} takes ${orList(allowed)}, not ${method}.`,
    });
  return notFound(`No route for ${method} ${path}`);
}

function notFound(message: string): GatewayError {
  return new GatewayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'not_found',
    message,
  });
}

function orList(items: readonly string[]): string {
  return items.length < 2
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
