// `POST /v1/responses` and `/openai/v1/responses`: the Responses API through the chat gateway
// (routing, failover and governance apply as for chat). A deployment whose upstream speaks
// Responses (`capabilities.responsesApi`) gets the request natively and its reply is sent on as it
// came; any other is bridged to Chat Completions. `response.model` is the served model;
// conversations continue with `previous_response_id` from the response store (the router's, so a
// conversation can move between models and replicas), or with `conversation` (the Conversations
// API's, conversation-turn.ts). `GET` / `DELETE /v1/responses/{id}` and
// `GET …/{id}/input_items` read and delete stored responses, the caller's tenant's only.
// `POST …/input_tokens` counts a request (responses-input-tokens.ts); `POST …/compact` shrinks a
// conversation to its user messages and a summary (responses-compact.ts).
// `context_management` and a final `compaction_trigger` item compact a turn first
// (server-compaction.ts).
// `background: true` answers at once and runs on (background-responses.ts), polled with `GET`,
// followed with `GET …?stream=true`, stopped with `POST …/{id}/cancel`. The same on
// `/openai/v1/…` and Azure's dated `/openai/responses?api-version=…`. `GET /v1/responses` upgraded
// to a WebSocket is WebSocket mode (responses-websocket.ts).
import { openAiAttribution } from '../../gateway/attribution.js';
import { checkIncludeQuery } from './includable.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { invalidRequest, notFound, type GatewayError } from '../../core/errors.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import type { ChatCall } from '../../gateway/gateway-types.js';
import { authorizeChatTarget } from '../../gateway/request-target.js';
import type { Authenticator } from '../auth-hook.js';
import { isObject } from '../../core/is-object.js';
import { checkModelField, MODEL_IN_PATH } from '../check-fields.js';
import { checkApiVersion, clientGoneSignal, optionalApiVersion } from '../routes/chat-routes.js';
import type { ConversationObjectStore } from '../../store/conversation-object-store.js';
import type { ResponseStore, StoredResponse } from '../../store/response-store.js';
import { replyHeaders, writeSseStream } from '../sse-writer.js';
import type { BackgroundResponses } from './background-responses.js';
import { inputItemList } from './input-items.js';
import { compactResponse } from './responses-compact.js';
import { countResponseInputTokens } from './responses-input-tokens.js';
import { runResponseTurn } from './server-compaction.js';
import { RUNNING_STATUSES, prepareResponse } from './responses-run.js';
import { registerResponsesWebSocket } from './responses-websocket.js';
import type { RouterFiles } from '../../files/router-files.js';
import { withInputFiles } from './resolve-input-files.js';
import { isPrewarm } from '../prompt-cache-options.js';
import { PREWARM, warmUpResponse, wholeResponseEvents } from './prewarm-response.js';
import {
  responsesCallOptions,
  runForegroundResponse,
  streamErrorData,
  type ResponseCaller,
} from './foreground-response.js';

export function registerResponsesRoutes(
  app: FastifyInstance,
  gateway: ChatGateway,
  store: ResponseStore,
  config: ConfigHolder,
  background: BackgroundResponses,
  conversations: ConversationObjectStore,
  authenticator?: Authenticator,
  /** The router's uploaded files, which input parts may name (resolve-input-files.ts). */
  files?: RouterFiles,
): void {
  const deps = { gateway, store, config };
  // WebSocket mode on the paths the OpenAI and AzureOpenAI (v1) clients build from `baseURL`.
  registerResponsesWebSocket(
    app,
    {
      ...deps,
      conversations,
      ...(authenticator ? { authenticator } : {}),
      ...(files ? { files } : {}),
    },
    ['/v1', '/openai/v1'],
  );
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = await withInputFiles(request.body as Json | null, request.auth.tenant, files);
    const p = await prepareResponse(body, request.auth.tenant, store, conversations);
    // A turn of a conversation holds its lock until it is finished here, or by the background run.
    let handedOver = false;
    try {
      // `prompt_cache_options.prewarm`: answered here, with no upstream call (prewarm-response.ts).
      if (isPrewarm(p.body)) {
        const response = await warmUpResponse(deps, p, request, PREWARM);
        if (p.body.stream !== true) return reply.send(response);
        reply.hijack();
        return await writeSseStream(
          reply.raw,
          wholeResponseEvents(response),
          sseOptions(reply, {}, () => 3),
        );
      }
      if (p.body.background === true && request.batchLine)
        throw invalidRequest(
          "'background: true' is not supported in a batch line: the batch already runs in the background; leave it out.",
          'background',
          'unsupported_parameter',
        );
      if (p.body.background === true) {
        // A model the key may not use is refused now, as in the foreground, not answered
        // `queued` and failed a moment later.
        authorizeChatTarget(config.current, { request: p.chat, auth: request.auth } as ChatCall);
        // Runs on after this request has been answered; cancelled by its own signal, not by the
        // client going away.
        const queued = await background.begin(
          p,
          (signal) =>
            runResponseTurn(gateway, config.current, request, reply, p, {
              ...responsesCallOptions(p, request.headers),
              signal,
            }),
          !config.current.config.contentFilter.enabled,
          request.id,
          { keyId: request.auth.keyId, ...openAiAttribution(p.body, request.headers) },
        );
        handedOver = true;
        if (p.body.stream !== true) return reply.send(queued);
        return followSse(background, reply, p.ctx.id, p.owner, -1, true);
      }
      const outcome = await runForegroundResponse(
        deps,
        { ...httpCaller(request), signal: clientGoneSignal(reply) },
        p,
      );
      if (outcome.kind === 'json') return reply.headers(outcome.headers).send(outcome.response);
      reply.hijack();
      await writeSseStream(reply.raw, outcome.events, {
        headers: replyHeaders(reply, outcome.headers),
        errorEvents: outcome.failedEvents,
        client: outcome.timing,
      });
    } finally {
      // Failed, cancelled by the client going away, or refused: the conversation is as it was.
      if (!handedOver)
        await p.conversation?.release().catch((err: unknown) => {
          request.log.warn({ err, response: p.ctx.id }, 'could not release the conversation');
        });
    }
  };
  const notFoundError = (id: string) =>
    notFound(
      `No response "${id}": it was created with store: false, deleted, past the request log's retention, or by another tenant.`,
      'response_not_found',
      null,
    );
  type ById = FastifyRequest<{ Params: { id: string }; Querystring: Json }>;
  const find = async (request: ById) => {
    const stored = await store.get(request.params.id, request.auth.tenant);
    if (!stored?.response) throw notFoundError(request.params.id);
    return stored;
  };
  // Azure's dated `/openai/responses?api-version=…` (AIFoundryOpenAI.json), where the AzureOpenAI
  // client sends Responses calls: the deployment is the body's `model`, as on `/openai/v1`. The
  // Vercel AI SDK's Azure provider calls it without `api-version` (a gateway `baseURL` ending in
  // `/openai`), or as `/openai/deployments/{name}/responses` (`useDeploymentBasedUrls`).
  app.post<{ Params: { deployment: string }; Querystring: { 'api-version'?: string } }>(
    '/openai/deployments/:deployment/responses',
    (request, reply) => {
      checkApiVersion(request.query['api-version']);
      // The path names the deployment, as on Azure's chat path (a body `model`, if sent, must
      // still be a string).
      if (isObject(request.body)) {
        checkModelField(request.body, MODEL_IN_PATH, true);
        request.body.model = request.params.deployment;
      }
      return handler(request, reply);
    },
  );
  for (const prefix of ['/v1', '/openai/v1', '/openai']) {
    const opts = prefix === '/openai' ? optionalApiVersion : {};
    app.post(`${prefix}/responses`, opts, handler);
    app.post(`${prefix}/responses/input_tokens`, opts, (request, reply) =>
      countResponseInputTokens(
        gateway,
        config.current,
        store,
        conversations,
        request,
        reply,
        files,
      ),
    );
    app.post(`${prefix}/responses/compact`, opts, (request, reply) =>
      compactResponse(gateway, store, conversations, request, reply),
    );
    // Retrieve (the caller's tenant's only; 404 otherwise); `stream=true` replays a streamed
    // background response's events after `starting_after`, then follows it to its end.
    app.get(`${prefix}/responses/:id`, opts, async (request: ById, reply) => {
      checkIncludeQuery(request.query);
      const stored = await find(request);
      reply.headers(backgroundHeaders(stored));
      if (!queryFlag(request.query.stream, 'stream')) return stored.response;
      if (!stored.streamed)
        throw invalidRequest(
          `Response "${stored.id}" has no events to stream: only a response created with background: true and stream: true keeps them. Retrieve it without stream.`,
          'stream',
        );
      return followSse(
        background,
        reply,
        stored.id,
        request.auth.tenant,
        startingAfter(request.query.starting_after),
      );
    });
    // Cancel a background response (openapi.yaml `cancelResponse`): a running one ends
    // `cancelled` and its upstream call is aborted; cancelling it again answers it as it is; a
    // finished one, or one that never ran in the background, is a 400.
    app.post(`${prefix}/responses/:id/cancel`, opts, async (request: ById) => {
      let stored = await find(request);
      // A run that ends while being cancelled is answered as it ended (read again, twice at most).
      for (let attempt = 0; ; attempt++) {
        const status = stored.response!.status;
        if (stored.response!.background !== true)
          throw invalidRequest('Cannot cancel a synchronous response.', null, 'invalid_request');
        if (status === 'cancelled') return stored.response;
        if (!RUNNING_STATUSES.includes(status))
          throw invalidRequest(
            `Cannot cancel a ${String(status)} response.`,
            null,
            'invalid_request',
          );
        const cancelled = attempt < 2 ? await background.cancel(stored) : stored.response;
        if (cancelled) return cancelled;
        stored = await find(request);
      }
    });
    app.get(`${prefix}/responses/:id/input_items`, opts, async (request: ById) => {
      checkIncludeQuery(request.query);
      return inputItemList(await find(request), request.query);
    });
    app.delete(`${prefix}/responses/:id`, opts, async (request: ById) => {
      if (!(await store.delete(request.params.id, request.auth.tenant)))
        throw notFoundError(request.params.id);
      return { id: request.params.id, object: 'response', deleted: true };
    });
  }
}

type Json = Record<string, unknown>;

/** An HTTP request as the caller of a foreground response (its signal is added by the route). */
function httpCaller(request: FastifyRequest): Omit<ResponseCaller, 'signal'> {
  return { auth: request.auth, headers: request.headers, id: request.id, log: request.log };
}

/** A Responses stream's SSE: an error after the first byte is an `error` event with the next
 * sequence number (CONTRACTS.md §3.3). */
function sseOptions(reply: FastifyReply, headers: Record<string, string>, next: () => number) {
  return {
    headers: replyHeaders(reply, headers),
    errorEvents: (e: GatewayError) => [{ event: 'error', data: streamErrorData(e, next()) }],
  };
}

/** A background response's events from after `after` as SSE, until its end or the client's
 * (`creating`: the stream of the request that created it). */
async function followSse(
  background: BackgroundResponses,
  reply: FastifyReply,
  id: string,
  owner: string,
  after: number,
  creating = false,
): Promise<void> {
  reply.hijack();
  let sent = after;
  const events = background.follow(
    id,
    owner,
    after,
    clientGoneSignal(reply),
    (seq) => (sent = seq),
    creating,
  );
  await writeSseStream(
    reply.raw,
    events,
    sseOptions(reply, {}, () => sent + 1),
  );
}

/**
 * What a background response's `GET` tells an operator: the creating request's id
 * (`x-router-request-id`, the request log's `request_id`; the POST's own `x-request-id`) and, once
 * it was served, the routing headers its reply would have had (`x-router-deployment`, `-model`…).
 */
function backgroundHeaders(stored: StoredResponse): Record<string, string> {
  return {
    ...(stored.requestId ? { 'x-router-request-id': stored.requestId } : {}),
    ...stored.routerHeaders,
  };
}

/** A boolean query parameter (`true`/`false`; absent is false). */
function queryFlag(value: unknown, name: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw invalidRequest(`Query parameter ${name} must be true or false.`, name);
}

/** `starting_after`: the sequence number of the last event the client has (absent: none). */
function startingAfter(value: unknown): number {
  if (value === undefined || value === '') return -1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw invalidRequest(
      `Query parameter starting_after must be a sequence number (an integer ≥ 0), got "${String(value)}".`,
      'starting_after',
    );
  return n;
}
