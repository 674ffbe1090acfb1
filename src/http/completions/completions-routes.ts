// The legacy Completions API on the paths clients use: OpenAI `/v1/completions`, Azure v1
// `/openai/v1/completions` and Azure dated `/openai/deployments/{name}/completions` (where the
// AzureOpenAI client sends it; `/openai/v1/deployments/{name}/completions` with a v1 `baseURL`). Routed, governed and recorded as a chat request (endpoint
// `completions` in the request log); `model` in the reply is the model that served.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChatRequest } from '../../core/wire-types.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import {
  AZURE_DEPLOYMENT_PATHS,
  callGateway,
  checkApiVersion,
  type AzureDeploymentRoute,
} from '../routes/chat-routes.js';
import { chatSseOptions, replyHeaders, writeSseStream } from '../sse-writer.js';
import {
  chatChunksToCompletionChunks,
  chatToCompletion,
  completionsToChat,
} from './completions-convert.js';

async function serveCompletion(
  gateway: ChatGateway,
  request: FastifyRequest,
  reply: FastifyReply,
  chat: ChatRequest,
  deploymentFromPath?: string,
): Promise<FastifyReply | void> {
  const outcome = await callGateway(gateway, request, reply, chat, {
    endpoint: 'completions',
    ...(deploymentFromPath !== undefined ? { deploymentFromPath } : {}),
  });
  if (outcome.kind === 'json')
    return reply.headers(outcome.headers).send(chatToCompletion(outcome.response));
  reply.hijack();
  await writeSseStream(
    reply.raw,
    chatChunksToCompletionChunks(outcome.chunks),
    chatSseOptions(
      replyHeaders(reply, outcome.headers),
      chat.stream_options?.include_usage === true,
      outcome.timing,
    ),
  );
}

export function registerCompletionsRoutes(app: FastifyInstance, gateway: ChatGateway): void {
  const plain = (request: FastifyRequest, reply: FastifyReply) =>
    serveCompletion(gateway, request, reply, completionsToChat(request.body));
  app.post('/v1/completions', plain);
  app.post('/openai/v1/completions', plain);
  for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
    app.post<AzureDeploymentRoute>(`${prefix}/completions`, (request, reply) => {
      checkApiVersion(request.query['api-version'], optionalVersion);
      const chat = completionsToChat(request.body, true);
      return serveCompletion(gateway, request, reply, chat, request.params.deployment);
    });
}
