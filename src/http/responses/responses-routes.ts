// `POST /v1/responses` and `/openai/v1/responses`: the Responses API, bridged to the chat gateway
// (routing, failover and governance apply as for chat). `response.model` is the served model;
// conversations continue with `previous_response_id` from the response store.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { ChatMessage } from '../../core/wire-types.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import { callGateway } from '../routes/chat-routes.js';
import type { ResponseStore } from '../../store/response-store.js';
import { writeSseStream } from '../sse-writer.js';
import {
  chatChunksToResponseEvents,
  chatToResponse,
  responsesToChat,
  type ResponseContext,
} from './responses-convert.js';

export function registerResponsesRoutes(
  app: FastifyInstance,
  gateway: ChatGateway,
  store: ResponseStore,
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as Record<string, unknown> | null;
    const previousId =
      body && typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
    const previous = previousId ? await store.get(previousId) : undefined;
    if (previousId && !previous)
      throw invalidRequest(
        `Previous response "${previousId}" was not found (responses are kept for the most recent 10,000).`,
        'previous_response_id',
        'previous_response_not_found',
      );
    const { chat, history, instructions } = responsesToChat(body, previous);
    const ctx: ResponseContext = { id: newId('resp_'), createdAt: Date.now(), request: body ?? {} };
    const outcome = await callGateway(gateway, request, reply, chat, { endpoint: 'responses' });
    const save = (model: string, answer: ChatMessage) =>
      store.save({
        id: ctx.id,
        messages: [...history, answer],
        instructions,
        model,
        createdAt: ctx.createdAt,
      });
    if (outcome.kind === 'json') {
      const { response, answer } = chatToResponse(outcome.response, ctx);
      await save(outcome.response.model, answer);
      return reply.headers(outcome.headers).send(response);
    }
    reply.hijack();
    let sequence = 0;
    const events = chatChunksToResponseEvents(outcome.chunks, ctx, chat.model, (response, answer) =>
      save(String(response.model), answer),
    );
    const counted = (async function* () {
      for await (const e of events) {
        sequence++;
        yield e;
      }
    })();
    await writeSseStream(reply.raw, counted, {
      headers: { ...outcome.headers, 'x-request-id': request.id },
      errorEvents: (e) => [
        {
          event: 'error',
          data: JSON.stringify({
            type: 'error',
            code: e.code,
            message: e.message,
            param: e.param,
            sequence_number: sequence,
          }),
        },
      ],
    });
  };
  app.post('/v1/responses', handler);
  app.post('/openai/v1/responses', handler);
}
