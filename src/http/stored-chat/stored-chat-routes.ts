// Stored Chat Completions (openapi.yaml `listChatCompletions`, `getChatCompletion`,
// `updateChatCompletion`, `deleteChatCompletion`, `getChatCompletionMessages`): what a `store:
// true` chat request kept (keep-chat-completion.ts), the caller's tenant's only (another
// tenant's is a 404). On `/v1`, Azure's `/openai/v1` and `/openai` (where the AzureOpenAI client
// sends these calls, `api-version` optional there), and the bare path as chat has it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest, notFound } from '../../core/errors.js';
import { tagsFromMetadata } from '../../gateway/attribution.js';
import type {
  ChatCompletionStore,
  ListedChatCompletion,
} from '../../store/chat-completion-store.js';
import { optionalApiVersion } from '../routes/chat-routes.js';
import { openAiList } from '../routes/openai-list.js';
import { chatMessageList, listLimit, listOrder } from './chat-message-list.js';
import { KEY_REQUEST } from '../key-request.js';

type Json = Record<string, unknown>;
type ById = FastifyRequest<{ Params: { id: string }; Querystring: Json }>;

/** The list's `metadata[key]=value` query pairs (how the openai SDKs send a metadata filter). */
const METADATA_PARAM = /^metadata\[(.*)\]$/;

/** A stored completion as the API shows it: as it was sent, with its current metadata. */
function shown(stored: ListedChatCompletion): Json {
  return { ...stored.completion, metadata: stored.metadata };
}

/** `metadata[key]=value` pairs of a list query (undefined: none), each value one string. */
function metadataFilter(query: Json): Record<string, string> | undefined {
  let filter: Record<string, string> | undefined;
  for (const [param, value] of Object.entries(query)) {
    // `metadata=…` alone filtered nothing, silently: the client meant a filter.
    if (param === 'metadata')
      throw invalidRequest(
        'Filter by metadata as metadata[<key>]=<value> (e.g. metadata[env]=prod), one parameter a key.',
        'metadata',
        'invalid_value',
      );
    const key = METADATA_PARAM.exec(param)?.[1];
    if (key === undefined) continue;
    if (typeof value !== 'string')
      throw invalidRequest(`Query parameter ${param} must be given once.`, param, 'invalid_value');
    (filter ??= {})[key] = value;
  }
  return filter;
}

export function registerStoredChatRoutes(app: FastifyInstance, store: ChatCompletionStore): void {
  const notFoundError = (id: string) =>
    notFound(
      `No chat completion "${id}": it was created without store: true, deleted, past the request log's retention, or by another tenant.`,
      'not_found',
      null,
    );
  const find = async (request: ById) => {
    const stored = await store.getChatCompletion(request.params.id, request.auth.tenant);
    if (!stored) throw notFoundError(request.params.id);
    return stored;
  };
  for (const prefix of ['/v1', '/openai/v1', '/openai', '']) {
    const opts = prefix === '/openai' ? optionalApiVersion : {};
    app.get(
      `${prefix}/chat/completions`,
      opts,
      async (request: FastifyRequest<{ Querystring: Json }>) => {
        const q = request.query;
        const limit = listLimit(q.limit);
        if (q.model !== undefined && typeof q.model !== 'string')
          throw invalidRequest('Query parameter model must be given once.', 'model');
        const after = typeof q.after === 'string' && q.after ? q.after : undefined;
        const metadata = metadataFilter(q);
        const rows = await store.listChatCompletions({
          owner: request.auth.tenant,
          order: listOrder(q.order),
          limit: limit + 1,
          ...(q.model ? { model: q.model } : {}),
          ...(metadata ? { metadata } : {}),
          ...(after ? { after } : {}),
        });
        return openAiList(rows, limit, shown);
      },
    );
    app.get(`${prefix}/chat/completions/:id`, opts, async (request: ById) =>
      shown(await find(request)),
    );
    // Only `metadata` can change (it replaces the old), as on OpenAI.
    app.post(
      `${prefix}/chat/completions/:id`,
      { ...opts, ...KEY_REQUEST },
      async (request: ById) => {
        const body = request.body as Json | null | undefined;
        if (!body || typeof body !== 'object' || !('metadata' in body))
          throw invalidRequest(
            "'metadata' is required: the pairs that replace the completion's metadata.",
            'metadata',
            'missing_required_parameter',
          );
        tagsFromMetadata(body.metadata);
        const metadata = (body.metadata ?? {}) as Record<string, string>;
        if (
          !(await store.setChatCompletionMetadata(request.params.id, request.auth.tenant, metadata))
        )
          throw notFoundError(request.params.id);
        return shown(await find(request));
      },
    );
    app.delete(`${prefix}/chat/completions/:id`, opts, async (request: ById) => {
      if (!(await store.deleteChatCompletion(request.params.id, request.auth.tenant)))
        throw notFoundError(request.params.id);
      return { object: 'chat.completion.deleted', id: request.params.id, deleted: true };
    });
    app.get(`${prefix}/chat/completions/:id/messages`, opts, async (request: ById) =>
      chatMessageList(await find(request), request.query),
    );
  }
}
