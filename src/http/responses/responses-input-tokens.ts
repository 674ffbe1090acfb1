// `POST /v1/responses/input_tokens` (openapi.yaml `Getinputtokencounts`): the input tokens of a
// Responses request, checked as `POST /v1/responses` checks it (the same 400s), with the stored
// conversation of `previous_response_id` (the caller's tenant's only) counted as OpenAI counts
// it. A deployment whose upstream speaks Responses (`capabilities.responsesApi`) is asked for its
// own count, an Anthropic one counts the bridged request; otherwise the router's own o200k count
// of the request as bridged to chat (`x-router-counted-by` says which). Like
// `/v1/messages/count_tokens` it neither routes nor is written to the request log. With
// `truncation: "auto"` a bridged count is of what the model would read (responses-truncation.ts).
import type { RouterFiles } from '../../files/router-files.js';
import { withInputFiles } from './resolve-input-files.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isObject } from '../../core/is-object.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import type { ConversationObjectStore } from '../../store/conversation-object-store.js';
import type { ResponseStore } from '../../store/response-store.js';
import type { Json } from './responses-convert.js';
import { prepareResponse } from './responses-run.js';
import { truncateToFit } from './responses-truncation.js';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import { warningsHeader } from '../../core/header-text.js';

/**
 * A body that names a conversation (`previous_response_id` or `conversation`) alone counts it with
 * no new input.
 */
function countableBody(sent: unknown): Json | null {
  if (!isObject(sent)) return null;
  const noInput = sent.input === undefined || sent.input === null;
  const named =
    typeof sent.previous_response_id === 'string' ||
    (sent.conversation !== undefined && sent.conversation !== null);
  return noInput && named ? { ...sent, input: [] } : sent;
}

/** Counts a `/responses/input_tokens` request; answers `TokenCountsResource`. */
export async function countResponseInputTokens(
  gateway: ChatGateway,
  config: RuntimeConfig,
  store: ResponseStore,
  conversations: ConversationObjectStore,
  request: FastifyRequest,
  reply: FastifyReply,
  files?: RouterFiles,
): Promise<Json> {
  const p = await prepareResponse(
    await withInputFiles(countableBody(request.body), request.auth.tenant, files),
    request.auth.tenant,
    store,
    conversations,
    true,
  );
  const truncated = await truncateToFit(config, p, request);
  const count = await gateway.countTokens({
    request: truncated?.chat ?? p.chat,
    auth: request.auth,
    native: p.native,
    requestId: request.id,
  });
  reply.header('x-router-counted-by', count.countedBy);
  if (count.warning) reply.header('x-router-warnings', warningsHeader([count.warning]));
  return { object: 'response.input_tokens', input_tokens: count.inputTokens };
}
