// The Realtime API's WebSocket (`GET /v1/realtime?model=…` upgraded, as the `openai` SDK's
// `OpenAIRealtimeWS` opens it; `/openai/v1/realtime?model=…` and Azure's dated
// `/openai/realtime?api-version=…&deployment=…`). The app's auth hook has run on the upgrade; the
// upstream session is opened before the upgrade is accepted, so a bad name (400/403/404), a spent
// budget (429) or no deployment able to open (429/502/503) is refused with its HTTP status in
// OpenAI's envelope, as OpenAI refuses an upgrade. A plain GET keeps its 404. When the router
// shuts down, a session still opening is refused 503 `router_shutting_down` without waiting for its
// upstream (open ones are told through websocket-shutdown.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest } from '../../core/errors.js';
import { checkApiVersion } from '../routes/chat-routes.js';
import { RealtimeConnection } from './realtime-connection.js';
import type { RealtimeDeps } from './realtime-relay.js';
import { serverShutdownError } from './session-end.js';

type Query = { model?: unknown; deployment?: unknown; 'api-version'?: unknown };

/** The model the upgrade names: `?model=`, or on Azure's dated path `?deployment=`. */
function namedModel(request: FastifyRequest, azureDated: boolean): string {
  const q = request.query as Query;
  if (azureDated) {
    checkApiVersion(typeof q['api-version'] === 'string' ? q['api-version'] : undefined);
    if (typeof q.deployment !== 'string' || !q.deployment)
      throw invalidRequest(
        'Name the realtime deployment: /openai/realtime?api-version=…&deployment=<deployment or pool>.',
        'deployment',
        'missing_required_parameter',
      );
    return q.deployment;
  }
  if (typeof q.model !== 'string' || !q.model)
    throw invalidRequest(
      'Name the realtime model in the URL: /v1/realtime?model=<deployment or pool> (kind: realtime).',
      'model',
      'missing_required_parameter',
    );
  return q.model;
}

/** Mounts the realtime WebSocket paths. */
export function registerRealtimeRoutes(app: FastifyInstance, deps: RealtimeDeps): void {
  const connections = new WeakMap<FastifyRequest, RealtimeConnection>();
  /** Sessions whose client's socket is not yet accepted: not among the server's WebSockets. */
  const opening = new Set<RealtimeConnection>();
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    for (const connection of opening) connection.closeForShutdown();
    done();
  });
  const paths: [string, boolean][] = [
    ['/v1/realtime', false],
    ['/openai/v1/realtime', false],
    ['/realtime', false],
    ['/openai/realtime', true],
  ];
  for (const [url, azureDated] of paths)
    app.route({
      method: 'GET',
      url,
      // The app refuses an upgrade to any route without this (app.ts).
      config: { webSocket: true },
      // Before the upgrade is accepted: a refusal is still an HTTP reply.
      preHandler: async (request) => {
        if (!request.ws) return;
        const model = namedModel(request, azureDated);
        if (closing) throw serverShutdownError();
        const connection = new RealtimeConnection(request, deps);
        // Until its socket is accepted, or the upgrade's connection ends (refused, or the client gone).
        opening.add(connection);
        request.raw.socket.once('close', () => opening.delete(connection));
        await connection.connect(model, azureDated);
        connections.set(request, connection);
      },
      handler: (_request, reply) => reply.callNotFound(),
      wsHandler: (socket, request) => {
        const connection = connections.get(request);
        if (connection) {
          opening.delete(connection);
          connection.attach(socket);
        } else socket.close(1011, 'no upstream session');
      },
    });
}
