// The gateway call of a request served by name (embeddings, moderations, images, audio): who calls,
// what ends it (the client going away), its request id, the deployment a dated Azure path names,
// and the end user and tags it is attributed to.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isObject } from '../../core/is-object.js';
import { openAiAttribution } from '../../gateway/attribution.js';
import { clientGoneSignal } from './chat-routes.js';

export function namedCall<B>(
  request: FastifyRequest,
  reply: FastifyReply,
  body: B,
  deploymentFromPath?: string,
) {
  const attribution = openAiAttribution(
    isObject(body) ? (body as Record<string, unknown>) : {},
    request.headers,
  );
  return {
    request: body,
    auth: request.auth,
    headers: request.headers,
    signal: clientGoneSignal(reply),
    requestId: request.id,
    ...(deploymentFromPath ? { deploymentFromPath } : {}),
    ...(attribution.endUser || attribution.tags ? { attribution } : {}),
  };
}
