// buildApp(deps): the Fastify instance with hooks in order and routes mounted; no logic here.
import fastifyWebsocket from '@fastify/websocket';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ConfigHolder } from './config/runtime-config.js';
import { BATCH_CALLER_HEADER, type BatchCallers } from './batch/batch-caller.js';
import { GatewayError } from './core/errors.js';
import { newId } from './core/ids.js';
import type { ChatGateway } from './gateway/chat-gateway.js';
import { adoptSubprotocolKey, pickSubprotocol, type Authenticator } from './http/auth-hook.js';
import { anthropicErrorBody } from './http/anthropic/anthropic-error-body.js';
import { registerCors } from './http/cors.js';
import { errorHandler, sendError } from './http/error-handler.js';
import { clientErrorHandler, expectationFailed } from './http/client-errors.js';
import { frameworkErrors, isAnthropicClient } from './http/framework-errors.js';
import { useJsonBodyParser } from './http/json-body-parser.js';
import { refuseTextBodies } from './http/refuse-text-bodies.js';
import { refuseWhileClosing } from './http/refuse-while-closing.js';
import { refuseRepeatedQueryParams } from './http/single-query-values.js';
import { trackRefusals, type RefusedRequest } from './http/record-refusals.js';
import { checkApiVersion, registerChatRoutes } from './http/routes/chat-routes.js';
import type { RouterFiles } from './files/router-files.js';
import { registerCompletionsRoutes } from './http/completions/completions-routes.js';
import { registerDecisionsRoutes } from './http/decisions/decisions-routes.js';
import { registerHealthRoutes, type ReadinessReport } from './http/routes/health-routes.js';
import { registerModelsRoutes } from './http/routes/models-routes.js';
import { trustProxyOption } from './http/trust-proxy.js';
import { closeForShutdown } from './http/websocket-shutdown.js';
import { lazySchemaCompilers } from './http/lazy-schema-compilers.js';
import {
  describeMissedRoute,
  hasEmptyParam,
  indexRoutes,
  isOwnPathAsId,
} from './http/missed-route.js';
import { registerStoredChatRoutes } from './http/stored-chat/stored-chat-routes.js';
import type { ChatCompletionStore } from './store/chat-completion-store.js';
import { createMemoryChatCompletionStore } from './store/memory/memory-chat-completion-store.js';
import { lazyChildLogger } from './telemetry/lazy-child-logger.js';

export interface AppDeps {
  config: ConfigHolder;
  gateway: ChatGateway;
  authenticator: Authenticator;
  readiness(): Promise<ReadinessReport> | ReadinessReport;
  /**
   * `/metrics` in the format an Accept header asks for (Prometheus text, or OpenMetrics) and its
   * content type; omitted = no metrics route.
   */
  metricsExposition?(accept: string | undefined): Promise<{ contentType: string; text: string }>;
  /**
   * Counts a request answered with an error before any request record was opened for it (bad
   * JSON, a missing field, a bad key, an unknown path): records count the others.
   */
  countRefused?(status: number): void;
  /**
   * Records a request the router refused as invalid before any record was opened for it, from an
   * authenticated caller to one of its APIs (record-refusals.ts); it is not counted then.
   */
  recordRefused?(refusal: RefusedRequest): void;
  /** Further route plugins (Responses, Messages, admin, dashboard), mounted after the core routes. */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
  /** Where `store: true` chat completions are kept; in memory (10,000 at most) when omitted. */
  chatCompletions?: ChatCompletionStore;
  /** Batch lines sent in process run as their batch's creator (see batch-caller.ts). */
  batchCallers?: BatchCallers;
  /** Files uploaded to the router that chat requests may name as input (router-files.ts). */
  routerFiles?: RouterFiles;
  logger?: FastifyBaseLogger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// The dashboard shell and its static assets hold no data; its JSON API needs an admin key.
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/dashboard', '/dashboard/']);

/** Whether a request announces a body: a non-zero content-length or a transfer-encoding. */
function carriesBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // A request's child logger (its id bound) is made at its first line, not for every request.
    ...(deps.logger
      ? { loggerInstance: deps.logger, childLoggerFactory: lazyChildLogger }
      : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.current.config.server.bodyLimitBytes,
    // Who the client is (request.ip, which key allowlists check): the socket's address unless the
    // operator says which proxies' X-Forwarded-For to believe.
    trustProxy: trustProxyOption(deps.config.current.config.server.trustProxy),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('req_');
    },
    // Node's own default (fastify's is none): a client dripping its body cannot hold a socket.
    requestTimeout: deps.config.current.config.server.requestTimeoutSeconds * 1000,
    // Requests that come in while closing get the drain's 503 in their API's shape instead
    // (refuse-while-closing.ts).
    return503OnClosing: false,
    // Ajv and fast-json-stringify load only if a route ever declares a schema (none does).
    schemaController: { compilersFactory: lazySchemaCompilers },
    // On close: idle keep-alive connections are closed at once; requests in flight (streams) finish.
    forceCloseConnections: 'idle',
    // A path the router cannot read (bad percent-encoding, an over-long id): OpenAI's envelope.
    frameworkErrors,
    // A request Node's parser cannot read (oversized headers, bad framing): OpenAI's envelope too.
    clientErrorHandler,
  });
  // An Expect the server does not meet: a 417 in OpenAI's envelope, not Node's empty one.
  app.server.on('checkExpectation', expectationFailed);
  app.decorateRequest('auth', null as never);
  app.decorateRequest('batchForward', undefined);
  app.decorateRequest('batchCarriedCalls', undefined);
  app.decorateRequest('batchLine', false);
  app.decorateRequest('refusedUnrecorded', false);
  app.setErrorHandler(errorHandler);
  // First: a router shutting down takes no new work, whatever the request.
  refuseWhileClosing(app);
  app.decorateRequest('refusalCode', undefined);
  if (deps.countRefused || deps.recordRefused)
    trackRefusals(app, { count: deps.countRefused ?? (() => {}), record: deps.recordRefused });
  useJsonBodyParser(app);
  // JSON sent as text/plain gets a 415 saying to send application/json (routes read JSON only).
  refuseTextBodies(app);
  // Before any route: the plugin routes an upgrade through the hooks below (auth first), and only
  // a route with a `wsHandler` (the Responses API's WebSocket mode, the Realtime API) accepts it. A message is at
  // most a request body's size. On close, open connections are told the router is going away
  // (websocket-shutdown.ts).
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: deps.config.current.config.server.bodyLimitBytes,
      // A browser offers its key as a subprotocol (auth-hook.ts): never echoed back.
      handleProtocols: pickSubprotocol,
    },
    preClose(done) {
      for (const socket of app.websocketServer.clients) closeForShutdown(socket);
      done();
    },
    // A client that drops its connection uncleanly is no server error. `ws` has begun the close
    // itself when a frame was bad (1009 for one past maxPayload): that close frame is let out.
    errorHandler(err, socket, request) {
      request.log.debug({ err }, 'websocket error');
      if (socket.readyState === socket.OPEN) socket.close(1011, 'internal error');
    },
  });
  // The 101 that accepts an upgrade is written by `ws`, not by a reply: it names the request too,
  // so a turn's request id (`<upgrade id>.wsN`) can be traced back to the connection.
  const upgradeIds = new WeakMap<IncomingMessage, string>();
  app.websocketServer.on('headers', (headers: string[], req: IncomingMessage) => {
    const id = upgradeIds.get(req);
    if (id) headers.push(`x-request-id: ${id}`);
  });
  // Which methods a path is served for, to tell a wrong method or a stray slash from a wrong path.
  const routes = indexRoutes(app);
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      describeMissedRoute(routes, request.method, request.url.split('?')[0] ?? ''),
      isAnthropicClient(request) ? anthropicErrorBody : undefined,
    ),
  );
  // Before the hook below: a browser's preflight carries no credentials, so it is answered first.
  await registerCors(app, deps.config);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.ws) upgradeIds.set(request.raw, request.id);
    // Anthropic's API names every reply's request in `request-id`, errors too; its SDK reads it
    // there (APIError.requestID).
    if (isAnthropicClient(request)) reply.header('request-id', request.id);
    // Azure names a reply's request in `apim-request-id` (the one header its specs declare) and
    // echoes the client's `x-ms-client-request-id`; Azure tooling and support key on them.
    const azure = request.url.startsWith('/openai/');
    if (azure) {
      reply.header('apim-request-id', request.id);
      const clientId = request.headers['x-ms-client-request-id'];
      if (typeof clientId === 'string' && clientId.length <= 256)
        reply.header('x-ms-client-request-id', clientId);
    }
    // `/v1/models/` reaches `/v1/models/:id` with an empty id, `GET /v1/responses/compact` reaches
    // `GET /v1/responses/:id` with the name of a POST path: answered as the paths they are.
    if (hasEmptyParam(request.params) || isOwnPathAsId(routes, request))
      throw describeMissedRoute(routes, request.method, request.url.split('?', 1)[0] ?? '');
    // A DELETE with no body but a JSON content-type (the openai Python client sends that header on
    // every call) is not a malformed body: nothing to parse.
    if (request.method === 'DELETE' && !carriesBody(request.headers))
      delete request.raw.headers['content-type'];
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity')
      throw new GatewayError({
        status: 415,
        type: 'invalid_request_error',
        code: 'unsupported_content_encoding',
        param: 'content-encoding',
        message: `Request bodies are read uncompressed; send this one without content-encoding "${String(encoding)}".`,
      });
    const path = request.url.split('?', 1)[0] ?? '';
    // An upgrade to a path that takes no WebSocket is refused before it is accepted (the plugin
    // would accept it and close it at once): a 404 in the API's shape, as an unknown path gets.
    if (request.ws && !(request.routeOptions.config as { webSocket?: boolean }).webSocket)
      throw Object.assign(new Error(`${path} takes no WebSocket connections.`), {
        statusCode: 404,
        code: 'not_found',
      });
    if (PUBLIC_PATHS.has(path) || path.startsWith('/dashboard/assets/')) return;
    if (request.ws) adoptSubprotocolKey(request.headers);
    const line = deps.batchCallers?.take(request.headers[BATCH_CALLER_HEADER]);
    request.auth =
      line?.auth ?? (await deps.authenticator.authenticate(request.headers, request.ip));
    if (line) request.batchLine = true;
    else if (request.routeOptions.config.keyRequest)
      await deps.gateway.chargeKeyRequest(request.auth);
    if (line?.forward) request.batchForward = line.forward;
    if (line?.carriedFilterCalls) request.batchCarriedCalls = line.carriedFilterCalls;
    // An `api-version` on any Azure path is checked when given, whether or not the route needs
    // one (the v1 paths take none): `banana` is a client mistake wherever it is sent.
    if (azure) {
      const version = (request.query as Record<string, unknown>)['api-version'];
      if (version !== undefined) checkApiVersion(String(version), true);
    }
  });
  // `?after=a&after=b`: a 400 naming the parameter, not an array handed to a route.
  refuseRepeatedQueryParams(app);

  registerHealthRoutes(app, deps.readiness);
  registerModelsRoutes(app, deps.config, deps.gateway);
  const chatCompletions = deps.chatCompletions ?? createMemoryChatCompletionStore(10_000);
  registerChatRoutes(app, deps.gateway, chatCompletions, deps.routerFiles);
  registerStoredChatRoutes(app, chatCompletions);
  registerCompletionsRoutes(app, deps.gateway);
  registerDecisionsRoutes(app, deps.gateway);
  if (deps.metricsExposition) {
    const exposition = deps.metricsExposition;
    app.get('/metrics', async (request, reply) => {
      const { contentType, text } = await exposition(request.headers.accept);
      return reply.header('content-type', contentType).send(text);
    });
  }
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}
