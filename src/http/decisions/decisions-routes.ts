// OpenAI's Decisions API (`client.decisions.create`, the AI SDK's `decide`) on OpenAI's path
// `/v1/decisions` and the AzureOpenAI v1 client's `/openai/v1/decisions`. Bridged to one chat
// request (decision-chat.ts), so it is routed, governed and recorded as chat (endpoint `decisions`
// in the request log), and answered as a Decision (decision-reply.ts) whose `model` is the model
// that served.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import { callGateway } from '../routes/chat-routes.js';
import { decisionToChat } from './decision-chat.js';
import { chatToDecision } from './decision-reply.js';
import { parseDecisionRequest } from './decision-request.js';

async function serveDecision(
  gateway: ChatGateway,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const decision = parseDecisionRequest(request.body);
  const chat = decisionToChat(decision);
  const outcome = await callGateway(gateway, request, reply, chat, { endpoint: 'decisions' });
  // The bridged request never streams; a stream here would be a gateway fault, not the client's.
  if (outcome.kind !== 'json')
    throw new GatewayError({
      status: 500,
      type: 'server_error',
      message: 'The decision was answered as a stream; it should have been one JSON answer.',
      param: null,
      code: 'internal_error',
    });
  return reply.headers(outcome.headers).send(chatToDecision(outcome.response, decision.questions));
}

export function registerDecisionsRoutes(app: FastifyInstance, gateway: ChatGateway): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) =>
    serveDecision(gateway, request, reply);
  app.post('/v1/decisions', handler);
  app.post('/openai/v1/decisions', handler);
}
