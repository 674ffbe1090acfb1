// `POST /v1/responses` and `/openai/v1/responses`: the Responses API through the chat gateway
// (routing, failover and governance apply as for chat). A deployment whose upstream speaks
// Responses (`capabilities.responsesApi`) gets the request natively and its reply is sent on as it
// came; any other is bridged to Chat Completions. `response.model` is the served model;
// conversations continue with `previous_response_id` from the response store (the router's, so a
// conversation can move between models and replicas). `GET` / `DELETE /v1/responses/{id}` and
// `GET …/{id}/input_items` read and delete stored responses, the caller's tenant's only. The same
// on `/openai/v1/…` and Azure's dated `/openai/responses?api-version=…`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { invalidRequest, notFound, queryNumber } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { ChatChunk, ChatMessage } from '../../core/wire-types.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import { openAiAttribution } from '../../gateway/attribution.js';
import {
  nativeEventsOf,
  nativeResponseOf,
  type NativeRequest,
} from '../../providers/native-api.js';
import { responseToChat } from '../../providers/openai/responses-native.js';
import { callGateway, checkApiVersion } from '../routes/chat-routes.js';
import type { ResponseStore, StoredResponse } from '../../store/response-store.js';
import { replyHeaders, writeSseStream } from '../sse-writer.js';
import { chatToInputItems, responsesToChat } from './responses-convert.js';
import { isOurReasoningItem } from './responses-reasoning.js';
import {
  chatChunksToResponseEvents,
  chatToResponse,
  type ResponseContext,
  type ResponsesEvent,
} from './responses-reply.js';

export function registerResponsesRoutes(
  app: FastifyInstance,
  gateway: ChatGateway,
  store: ResponseStore,
  config: ConfigHolder,
): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as Record<string, unknown> | null;
    const previousId =
      body && typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
    const owner = request.auth.tenant;
    const previous = previousId ? await store.get(previousId, owner) : undefined;
    if (previousId && !previous)
      throw invalidRequest(
        `Previous response "${previousId}" was not found: it was created with store: false, deleted, past the request log's retention, or by another tenant.`,
        'previous_response_id',
        'previous_response_not_found',
      );
    const { chat, history, instructions } = responsesToChat(body, previous);
    const ctx: ResponseContext = { id: newId('resp_'), createdAt: Date.now(), request: body ?? {} };
    const native: NativeRequest = { api: 'responses', body: nativeRequestBody(body!, previous) };
    const outcome = await callGateway(gateway, request, reply, chat, {
      endpoint: 'responses',
      native,
      attribution: openAiAttribution(body ?? {}, request.headers),
    });
    // An output filter may change the answer: then the (filtered) chat reply is what is sent.
    const passThrough = !config.current.config.contentFilter.enabled;
    // Kept unless the client said `store: false` (then nothing of it is written, and it cannot
    // be continued or retrieved, as with OpenAI). A store that fails (a database down) does not
    // cost the client its answer: it is logged, and the response cannot be continued either.
    const save = async (response: Json, answer: ChatMessage) => {
      if (body?.store === false) return;
      try {
        await store.save({
          id: ctx.id,
          messages: [...history, answer],
          instructions,
          model: String(response.model),
          createdAt: ctx.createdAt,
          response,
          owner,
          inputFrom: previous?.messages.length ?? 0,
        });
      } catch (err) {
        request.log.warn({ err, response: ctx.id }, 'could not store the response');
      }
    };
    if (outcome.kind === 'json') {
      const { response, answer } = chatToResponse(outcome.response, ctx);
      const upstream = passThrough ? nativeResponseOf(outcome.response) : undefined;
      const sent = upstream ? asOurs(upstream, ctx, outcome.response.model) : response;
      await save(sent, answer);
      return reply.headers(outcome.headers).send(sent);
    }
    reply.hijack();
    let sequence = 0;
    const iterator = outcome.chunks[Symbol.asyncIterator]();
    // The first chunk decides native or bridged events (failover is over once it has arrived).
    let head: IteratorResult<ChatChunk> | undefined;
    let headError: unknown;
    try {
      head = await iterator.next();
    } catch (err) {
      headError = err;
    }
    const rest: AsyncIterable<ChatChunk> = { [Symbol.asyncIterator]: () => iterator };
    const chunks = (async function* () {
      if (headError !== undefined) throw headError;
      if (head && !head.done) yield head.value;
      yield* rest;
    })();
    const nativeStream =
      passThrough && head !== undefined && !head.done && nativeEventsOf(head.value) !== undefined;
    const events = nativeStream
      ? nativeEvents(chunks, ctx, (response) =>
          save(response, chatToResponse(responseToChat(response), ctx).answer),
        )
      : chatChunksToResponseEvents(chunks, ctx, chat.model, save);
    const counted = (async function* () {
      for await (const e of events) {
        sequence = 'sequence' in e ? (e as { sequence: number }).sequence + 1 : sequence + 1;
        yield e;
      }
    })();
    await writeSseStream(reply.raw, counted, {
      headers: replyHeaders(reply, outcome.headers),
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
  // Retrieve and delete a stored response (the caller's tenant's only; 404 otherwise).
  const notFoundError = (id: string) =>
    notFound(
      `No response "${id}": it was created with store: false, deleted, past the request log's retention, or by another tenant.`,
      'response_not_found',
      null,
    );
  type ById = FastifyRequest<{ Params: { id: string } }>;
  // Azure's dated `/openai/responses?api-version=…` (AIFoundryOpenAI.json), where the AzureOpenAI
  // client sends Responses calls: the deployment is the body's `model`, as on `/openai/v1`.
  const dated = {
    preHandler: async (request: FastifyRequest) =>
      checkApiVersion((request.query as Record<string, string | undefined>)['api-version']),
  };
  for (const prefix of ['/v1', '/openai/v1', '/openai']) {
    const opts = prefix === '/openai' ? dated : {};
    app.post(`${prefix}/responses`, opts, handler);
    app.get(`${prefix}/responses/:id`, opts, async (request: ById) => {
      const stored = await store.get(request.params.id, request.auth.tenant);
      if (!stored?.response) throw notFoundError(request.params.id);
      return stored.response;
    });
    app.get(
      `${prefix}/responses/:id/input_items`,
      opts,
      async (request: FastifyRequest<{ Params: { id: string }; Querystring: Json }>) => {
        const stored = await store.get(request.params.id, request.auth.tenant);
        if (!stored?.response) throw notFoundError(request.params.id);
        return inputItemList(stored, request.query);
      },
    );
    app.delete(`${prefix}/responses/:id`, opts, async (request: ById) => {
      if (!(await store.delete(request.params.id, request.auth.tenant)))
        throw notFoundError(request.params.id);
      return { id: request.params.id, object: 'response', deleted: true };
    });
  }
}

type Json = Record<string, unknown>;

/**
 * The request the native upstream gets: the client's, with the conversation expanded, without
 * the reasoning items this router wrote for Claude's thinking (the upstream could not read them;
 * its own reasoning items go to it as they came).
 */
function nativeRequestBody(body: Json, previous: StoredResponse | undefined): Json {
  const { previous_response_id: _previous, ...rest } = body;
  void _previous;
  const input =
    typeof body.input === 'string'
      ? [{ role: 'user', content: body.input }]
      : (body.input as Json[]).filter((item) => !isOurReasoningItem(item));
  return { ...rest, input: [...chatToInputItems(previous?.messages ?? []), ...input] };
}

/** The upstream's Response as this router's: our id (for `previous_response_id`), the served model. */
function asOurs(upstream: Json, ctx: ResponseContext, model: string): Json {
  return {
    ...upstream,
    id: ctx.id,
    model,
    previous_response_id: ctx.request.previous_response_id ?? null,
    store: ctx.request.store ?? true,
  };
}

/** The upstream's own events, each sent on as it came, with the Response re-badged as ours. */
async function* nativeEvents(
  chunks: AsyncIterable<ChatChunk>,
  ctx: ResponseContext,
  onDone: (response: Json) => Promise<void>,
): AsyncGenerator<ResponsesEvent & { sequence: number }> {
  let sequence = 0;
  for await (const chunk of chunks) {
    for (const e of nativeEventsOf(chunk) ?? []) {
      let data = e.data;
      const response = data.response as Json | undefined;
      if (response && typeof response === 'object') {
        const ours = asOurs(response, ctx, String(response.model ?? chunk.model));
        data = { ...data, response: ours };
        if (data.type === 'response.completed' || data.type === 'response.incomplete')
          await onDone(ours);
      }
      if (typeof data.sequence_number === 'number') sequence = data.sequence_number;
      yield {
        event: String(e.event ?? data.type),
        data: JSON.stringify(data),
        sequence: sequence++,
      };
    }
  }
}

/**
 * `GET /v1/responses/{id}/input_items`: the response's own input (not the earlier turns'), as
 * items with stable ids, `order` desc (newest first, the default) or asc, at most `limit` (1–100,
 * 20) after the item `after`.
 */
function inputItemList(stored: StoredResponse, query: Json): Json {
  const own = stored.messages.slice(stored.inputFrom ?? 0, -1);
  const base = stored.id.replace(/^resp_/, '');
  const items = chatToInputItems(own).map((item, i): Json => {
    if (item.type === 'function_call')
      return { id: `fc_${base}_${i}`, ...item, status: 'completed' };
    if (item.type === 'function_call_output')
      return { id: `fco_${base}_${i}`, ...item, status: 'completed' };
    const content =
      typeof item.content === 'string'
        ? [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }]
        : item.content;
    return {
      id: `msg_${base}_${i}`,
      type: 'message',
      role: item.role,
      content,
      status: 'completed',
    };
  });
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw invalidRequest(
      `Query parameter order must be asc or desc, got "${String(order)}".`,
      'order',
    );
  const limit = Math.floor(queryNumber(query.limit as string | undefined, 'limit', 20, 1, 100));
  if (order === 'desc') items.reverse();
  let start = 0;
  if (typeof query.after === 'string' && query.after) {
    start = items.findIndex((item) => item.id === query.after) + 1;
    if (start === 0)
      throw invalidRequest(`No input item "${query.after}" in response ${stored.id}.`, 'after');
  }
  const data = items.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < items.length,
  };
}
