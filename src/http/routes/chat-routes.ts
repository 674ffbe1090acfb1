// Chat Completions on every path clients use: OpenAI `/v1/chat/completions`, Azure v1
// `/openai/v1/chat/completions`, Azure dated `/openai/deployments/{name}/chat/completions` and
// `/openai/v1/deployments/{name}/chat/completions`, where the AzureOpenAI client sends it with a
// `baseURL` ending in `/openai/v1` (AZURE_DEPLOYMENT_PATHS).
import type { NativeRequest } from '../../providers/native-api.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCalendarDate } from '../../core/calendar-date.js';
import { invalidRequest } from '../../core/errors.js';
import { openAiAttribution, type Attribution } from '../../gateway/attribution.js';
import { CallStop, stoppableCall } from '../../gateway/call-stop.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import type { ChatCall, ChatOutcome, Endpoint } from '../../gateway/gateway-types.js';

/** On the 202 of a batch line held for a deployment's Batch API: that deployment. */
export const FORWARDED_HEADER = 'x-router-batch-forwarded';
import type { ChatRequest } from '../../core/wire-types.js';
import { chatFileIds, resolveChatFiles } from '../../files/resolve-chat-files.js';
import type { RouterFiles } from '../../files/router-files.js';
import type { ChatCompletionStore } from '../../store/chat-completion-store.js';
import { parseChatRequest } from '../parse-chat-request.js';
import { registerRetiredExtensionsPath } from './azure-extensions-path.js';
import { chatSseOptions, replyHeaders, writeSseStream } from '../sse-writer.js';
import {
  completionKeeper,
  creationClock,
  withoutStoreFields,
  type ChatCompletionKeeping,
} from '../stored-chat/keep-chat-completion.js';

/** Fires when the client goes away before its reply is written (which aborts the upstream call). */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  return clientGoneStop(reply).signal;
}

/** Stops when the client goes away before its reply is written; its signal made only if read. */
function clientGoneStop(reply: FastifyReply): CallStop {
  const stop = new CallStop();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) stop.stop();
  });
  return stop;
}

/** Who a gateway call runs as: an HTTP request, or one turn of a WebSocket connection. */
export type GatewayCaller = Pick<FastifyRequest, 'auth' | 'headers' | 'id'>;

/**
 * Runs a ChatRequest through the gateway for an HTTP request: the caller's identity and headers,
 * and an abort signal that fires when the client goes away (which aborts the upstream call). With
 * no `reply` (a WebSocket turn), `opts.signal` is what aborts it.
 */
export function callGateway(
  gateway: ChatGateway,
  request: GatewayCaller,
  reply: FastifyReply | undefined,
  chat: ChatRequest,
  opts: {
    endpoint?: Endpoint;
    deploymentFromPath?: string;
    native?: NativeRequest;
    passThrough?: boolean;
    /** Read from `chat` as an OpenAI body when not given. */
    attribution?: Attribution;
    /** Aborts the call instead of the client going away (a background response runs on). */
    signal?: AbortSignal;
    /** See `ChatCall.sessionId`. */
    sessionId?: string;
    /** See `ChatCall.nextSessionId`. */
    nextSessionId?: string;
  } = {},
): Promise<ChatOutcome> {
  return gateway.handleChat(chatCall(request, reply, chat, opts));
}

/** The gateway's ChatCall for an HTTP request (see callGateway). */
function chatCall(
  request: GatewayCaller,
  reply: FastifyReply | undefined,
  chat: ChatRequest,
  opts: Parameters<typeof callGateway>[4] = {},
): ChatCall {
  const attribution =
    opts.attribution ??
    openAiAttribution(chat as unknown as Record<string, unknown>, request.headers);
  const call = {
    request: chat,
    endpoint: opts.endpoint ?? 'chat',
    auth: request.auth,
    headers: request.headers,
    requestId: request.id,
    deploymentFromPath: opts.deploymentFromPath,
    ...(opts.native ? { native: opts.native } : {}),
    ...(opts.passThrough ? { passThrough: true } : {}),
    ...(attribution.endUser || attribution.tags ? { attribution } : {}),
    ...(opts.sessionId ? { sessionId: opts.sessionId } : {}),
    ...(opts.nextSessionId ? { nextSessionId: opts.nextSessionId } : {}),
  };
  if (opts.signal) return { ...call, signal: opts.signal };
  // Most requests never read their signal: it is made only when something does (call-stop.ts).
  return stoppableCall(call, reply ? clientGoneStop(reply) : new CallStop());
}

/**
 * Runs a parsed ChatRequest through the gateway and writes JSON or SSE in Chat Completions shape;
 * with `store: true` and `keeping`, the completion is kept (keep-chat-completion.ts).
 */
export async function serveChat(
  gateway: ChatGateway,
  request: FastifyRequest,
  reply: FastifyReply,
  chat: ChatRequest,
  opts: { endpoint?: Endpoint; deploymentFromPath?: string } = {},
  keeping?: ChatCompletionKeeping,
): Promise<FastifyReply | void> {
  const keeper =
    keeping && chat.store === true ? completionKeeper(keeping, request, chat) : undefined;
  // Chunks are written out as they are (chatSseOptions encodes pass-through chunks as their text),
  // unless kept: then they are read (assembled) and carry the stored id; or unless the client asked
  // for usage: then each chunk says `"usage": null` until the usage chunk (chatSseOptions).
  const includeUsage = chat.stream_options?.include_usage === true;
  // Every field named: `{ ...opts, passThrough }` made a hidden class a request on Node 20 once
  // `opts` had a key (an Azure path's `deploymentFromPath`).
  const call = chatCall(request, reply, chat, {
    endpoint: opts.endpoint,
    deploymentFromPath: opts.deploymentFromPath,
    passThrough: !keeper && !includeUsage,
  });
  // `metadata` was read for the attribution above; neither it nor `store` goes upstream.
  call.request = withoutStoreFields(chat);
  if (request.batchCarriedCalls) call.carriedFilterCalls = request.batchCarriedCalls;
  const outcome = request.batchForward
    ? await gateway.handleBatchLine(call, request.batchForward)
    : await gateway.handleChat(call);
  // A forwarding batch's line held for its deployment's Batch API: the runner has it (forward/).
  if (outcome.kind === 'forward') {
    request.batchForward!.hold(outcome.line);
    return reply
      .code(202)
      .header(FORWARDED_HEADER, outcome.line.deployment.name)
      .send({ forwarded: outcome.line.deployment.name });
  }
  if (outcome.kind === 'json')
    return reply
      .headers(outcome.headers)
      .send(keeper ? await keeper.json(outcome.response) : outcome.response);
  reply.hijack();
  await writeSseStream(
    reply.raw,
    keeper ? keeper.stream(outcome.chunks) : outcome.chunks,
    chatSseOptions(replyHeaders(reply, outcome.headers), includeUsage, outcome.timing),
  );
}

/** A dated Azure `api-version` (`2024-10-21`, `2025-04-01-preview`); its date is group 1. */
const DATED_API_VERSION = /^(\d{4}-\d{2}-\d{2})(?:-preview)?$/;

/**
 * The `api-version` of an Azure path (`/openai/deployments/{name}/…`, `/openai/responses`): a date,
 * or the v1 API's own `v1` / `preview` (the Vercel AI SDK's Azure provider sends `v1` on deployment
 * paths by default). Required on deployment paths, as Azure requires it; `optional` where a
 * gateway-style client leaves it out (`{baseURL}/responses` with `baseURL` ending in `/openai`).
 */
export function checkApiVersion(apiVersion: string | undefined, optional = false): void {
  if (!apiVersion) {
    if (optional) return;
    throw invalidRequest(
      "The 'api-version' query parameter is required on Azure's dated /openai/... paths (e.g. ?api-version=2024-10-21); the v1 API's /openai/v1/... paths take none.",
      'api-version',
      'missing_required_parameter',
    );
  }
  // The router serves every version the same way, but a value that is no version at all (nor a
  // day that exists: 2024-13-45, 2025-02-30) is a client mistake, as Azure says.
  const dated = DATED_API_VERSION.exec(apiVersion);
  if (dated ? !isCalendarDate(dated[1]!) : apiVersion !== 'v1' && apiVersion !== 'preview') {
    const why = dated ? ` (${dated[1]} is not a real date)` : '';
    throw invalidRequest(
      `api-version "${String(apiVersion).slice(0, 60)}" is not an API version${why}: Azure paths take a date such as 2024-10-21 or 2025-04-01-preview, or v1.`,
      'api-version',
      'invalid_value',
    );
  }
}

/**
 * Where deployment-scoped Azure operations are served, and whether `api-version` may be left out:
 * Azure's dated `/openai/deployments/{name}/…` (required, as Azure requires it), and
 * `/openai/v1/deployments/{name}/…`, which Azure's v1 spec does not list but openai-node's
 * `AzureOpenAI` sends with a `baseURL` ending in `/openai/v1` (`apiVersion: 'v1'`): it puts the
 * deployment (its `deployment` option, else the body's `model`) in the path of chat, completions,
 * embeddings, image and audio calls. Optional there, as on the v1 API; checked when given.
 */
export const AZURE_DEPLOYMENT_PATHS: readonly { prefix: string; optionalVersion: boolean }[] = [
  { prefix: '/openai/deployments/:deployment', optionalVersion: false },
  { prefix: '/openai/v1/deployments/:deployment', optionalVersion: true },
];

/** The Fastify types of a deployment-scoped Azure route. */
export type AzureDeploymentRoute = {
  Params: { deployment: string };
  Querystring: { 'api-version'?: string };
};

/** `api-version` optional (a gateway-style `/openai/{path}` call), but a real version if given. */
export const optionalApiVersion = {
  preHandler: async (request: FastifyRequest) =>
    checkApiVersion((request.query as Record<string, string | undefined>)['api-version'], true),
};

/**
 * The chat routes (and Azure's retired extensions path, a 404 naming them); `store` keeps the
 * completions of `store: true` requests; parts naming one of the caller's `files` are made inline
 * before routing (resolve-chat-files.ts).
 */
export function registerChatRoutes(
  app: FastifyInstance,
  gateway: ChatGateway,
  store?: ChatCompletionStore,
  files?: RouterFiles,
): void {
  const keeping = store && { store, stamp: creationClock() };
  // A request that names no file goes on at once: one scan of its parts, no await.
  const withFiles = (
    request: FastifyRequest,
    chat: ChatRequest,
    serve: (chat: ChatRequest) => Promise<FastifyReply | void>,
  ) =>
    files && chatFileIds(chat)
      ? resolveChatFiles(chat, request.auth.tenant, files).then(serve)
      : serve(chat);
  const plain = (request: FastifyRequest, reply: FastifyReply) =>
    withFiles(request, parseChatRequest(request.body), (chat) =>
      serveChat(gateway, request, reply, chat, {}, keeping),
    );
  app.post('/v1/chat/completions', plain);
  app.post('/openai/v1/chat/completions', plain);
  app.post('/chat/completions', plain);
  // The Vercel AI SDK's Azure provider with a non-Azure `baseURL` ending in `/openai` calls
  // `{baseURL}/chat/completions`; served as the v1 path.
  app.post('/openai/chat/completions', optionalApiVersion, plain);
  for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
    app.post<AzureDeploymentRoute>(`${prefix}/chat/completions`, (request, reply) => {
      checkApiVersion(request.query['api-version'], optionalVersion);
      return withFiles(request, parseChatRequest(request.body, true), (chat) =>
        serveChat(
          gateway,
          request,
          reply,
          chat,
          { deploymentFromPath: request.params.deployment },
          keeping,
        ),
      );
    });
  registerRetiredExtensionsPath(app);
}
