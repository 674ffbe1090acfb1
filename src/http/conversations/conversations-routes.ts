// OpenAI's Conversations API (openapi.yaml `createConversation`, `getConversation`,
// `updateConversation`, `deleteConversation`, `createConversationItems`, `listConversationItems`,
// `getConversationItem`, `deleteConversationItem`): conversations the router keeps, whichever
// upstream answers their turns (a Responses request's `conversation`: conversation-turn.ts), the
// caller's tenant's only (another tenant's is a 404). Items: conversation-items.ts. On `/v1`,
// Azure's `/openai/v1` and `/openai` (where the AzureOpenAI client sends them, `api-version`
// optional there).
import { checkIncludeQuery } from '../responses/includable.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest, notFound, queryOrder } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import { tagsFromMetadata } from '../../gateway/attribution.js';
import type {
  ConversationObjectStore,
  StoredConversation,
} from '../../store/conversation-object-store.js';
import { optionalApiVersion } from '../routes/chat-routes.js';
import { openAiList } from '../routes/openai-list.js';
import { listLimit } from '../stored-chat/chat-message-list.js';
import { itemsToKeep } from './conversation-items.js';
import { KEY_REQUEST } from '../key-request.js';

type Json = Record<string, unknown>;
type ById = FastifyRequest<{ Params: { id: string }; Querystring: Json }>;
type ByItem = FastifyRequest<{ Params: { id: string; itemId: string }; Querystring: Json }>;

/** A conversation as the API shows it (`ConversationResource`). */
function shown(c: StoredConversation): Json {
  return {
    id: c.id,
    object: 'conversation',
    created_at: Math.floor(c.createdAt / 1000),
    metadata: c.metadata,
  };
}

/** Checked `metadata` (OpenAI's limits; a 400 names the field), `{}` when absent. */
function metadataOf(value: unknown): Record<string, string> {
  tagsFromMetadata(value);
  return (value ?? {}) as Record<string, string>;
}

/** The list's `order`: `desc` (the default here, as OpenAI's) or `asc`. */
const itemOrder = (value: unknown) => queryOrder(value, 'desc');

const LOCKED = () =>
  invalidRequest(
    'Another response is currently running on this conversation. Retry once it has finished.',
    'conversation',
    'conversation_locked',
  );

export function registerConversationRoutes(
  app: FastifyInstance,
  store: ConversationObjectStore,
  now: () => number = Date.now,
): void {
  const missing = (id: string) =>
    notFound(
      `No conversation "${id}": it was deleted, unused past the request log's retention, or created by another tenant.`,
      'conversation_not_found',
      null,
    );
  const itemMissing = (id: string, itemId: string) =>
    notFound(`No item "${itemId}" in conversation ${id}.`, 'item_not_found', null);
  const find = async (request: ById) => {
    const found = await store.readConversationObject(request.params.id, request.auth.tenant);
    if (!found) throw missing(request.params.id);
    return found;
  };
  for (const prefix of ['/v1', '/openai/v1', '/openai']) {
    const opts = prefix === '/openai' ? optionalApiVersion : {};
    app.post(
      `${prefix}/conversations`,
      { ...opts, ...KEY_REQUEST },
      async (request: FastifyRequest) => {
        const body = (request.body ?? {}) as unknown;
        if (!isObject(body))
          throw invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
        const conversation: StoredConversation = {
          id: newId('conv_', 24),
          owner: request.auth.tenant,
          createdAt: now(),
          metadata: metadataOf(body.metadata),
        };
        await store.createConversationObject(conversation, itemsToKeep(body.items));
        return shown(conversation);
      },
    );
    app.get(`${prefix}/conversations/:id`, opts, async (request: ById) =>
      shown(await find(request)),
    );
    // Only `metadata` can change (it replaces the old), as on OpenAI.
    app.post(`${prefix}/conversations/:id`, { ...opts, ...KEY_REQUEST }, async (request: ById) => {
      const body = request.body as Json | null | undefined;
      if (!isObject(body) || !('metadata' in body))
        throw invalidRequest(
          "'metadata' is required: the pairs that replace the conversation's metadata.",
          'metadata',
          'missing_required_parameter',
        );
      const metadata = metadataOf(body.metadata);
      if (
        !(await store.setConversationMetadata(
          request.params.id,
          request.auth.tenant,
          metadata,
          now(),
        ))
      )
        throw missing(request.params.id);
      return shown(await find(request));
    });
    // Its items go with it: only the conversation reached them (the responses that made some
    // keep their own copies).
    app.delete(`${prefix}/conversations/:id`, opts, async (request: ById) => {
      if (!(await store.deleteConversationObject(request.params.id, request.auth.tenant)))
        throw missing(request.params.id);
      return { id: request.params.id, object: 'conversation.deleted', deleted: true };
    });
    app.post(
      `${prefix}/conversations/:id/items`,
      { ...opts, ...KEY_REQUEST },
      async (request: ById) => {
        checkIncludeQuery(request.query);
        const body = request.body as Json | null | undefined;
        if (!isObject(body) || body.items === undefined)
          throw invalidRequest(
            "'items' is required: the items to add (at most 20).",
            'items',
            'missing_required_parameter',
          );
        const outcome = await store.appendConversationItems(
          request.params.id,
          request.auth.tenant,
          itemsToKeep(body.items),
          now(),
        );
        if (outcome.kind === 'missing') throw missing(request.params.id);
        if (outcome.kind === 'locked') throw LOCKED();
        return openAiList(outcome.added, outcome.added.length, (item) => item);
      },
    );
    app.get(`${prefix}/conversations/:id/items`, opts, async (request: ById) => {
      const q = request.query;
      checkIncludeQuery(q);
      const order = itemOrder(q.order);
      const limit = listLimit(q.limit);
      const after = typeof q.after === 'string' && q.after ? q.after : undefined;
      if (
        after &&
        !(await store.getConversationItem(request.params.id, request.auth.tenant, after))
      )
        throw (await store.readConversationObject(request.params.id, request.auth.tenant))
          ? invalidRequest(
              `No item "${after}" in conversation ${request.params.id} to list after.`,
              'after',
              'invalid_value',
            )
          : missing(request.params.id);
      const items = await store.listConversationItems({
        conversationId: request.params.id,
        owner: request.auth.tenant,
        order,
        limit: limit + 1,
        ...(after ? { after } : {}),
      });
      if (!items) throw missing(request.params.id);
      return openAiList(items, limit, (item) => item);
    });
    app.get(`${prefix}/conversations/:id/items/:itemId`, opts, async (request: ByItem) => {
      checkIncludeQuery(request.query);
      const { id, itemId } = request.params;
      const item = await store.getConversationItem(id, request.auth.tenant, itemId);
      if (item) return item;
      await find(request);
      throw itemMissing(id, itemId);
    });
    // Answers with the conversation (openapi.yaml `deleteConversationItem`).
    app.delete(`${prefix}/conversations/:id/items/:itemId`, opts, async (request: ByItem) => {
      const { id, itemId } = request.params;
      const outcome = await store.deleteConversationItem(id, request.auth.tenant, itemId, now());
      if (outcome === 'locked') throw LOCKED();
      const conversation = await find(request);
      if (outcome === 'missing') throw itemMissing(id, itemId);
      return shown(conversation);
    });
  }
}
