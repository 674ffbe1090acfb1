// Rerank on the paths clients use: `/v1/rerank` (Jina, vLLM, Cohere v1), `/v2/rerank` (Cohere's
// v2 SDKs' `client.rerank`), `/rerank` (Infinity's and vLLM's unversioned path) and the Azure v1
// twin `/openai/v1/rerank`. The body is checked on the fields the router reads (Cohere v2's
// docs.cohere.com/reference/rerank, documents also as Jina's and vLLM's `{text}` objects); the
// rest passes through.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeValue } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { checkModelField } from '../check-fields.js';
import type { RerankRequest } from '../../core/wire-types.js';
import type { RerankGateway } from '../../gateway/rerank-gateway.js';
import { namedCall } from './named-call.js';

/** Cohere's limit on the documents of one request (more are refused, not cut). */
export const MAX_RERANK_DOCUMENTS = 1000;

const positiveInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 1;

/** A client's rerank body → the request the gateway runs, or a 400 saying what to fix. */
export function parseRerankRequest(body: unknown): RerankRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  checkModelField(body, 'the name of a rerank deployment or pool');
  if (body.query !== undefined && body.query !== null && typeof body.query !== 'string')
    throw invalidRequest(
      `query must be a string: the text to rank documents by; got ${describeValue(body.query)}.`,
      'query',
      'invalid_type',
    );
  if (typeof body.query !== 'string' || !body.query)
    throw invalidRequest('query is required: the non-empty string to rank documents by.', 'query');
  const docs = body.documents;
  if (!Array.isArray(docs) || docs.length === 0 || docs.length > MAX_RERANK_DOCUMENTS)
    throw invalidRequest(
      `documents must be an array of 1 to ${MAX_RERANK_DOCUMENTS} documents (strings, or objects with a string text)${Array.isArray(docs) && docs.length > 0 ? `; it has ${docs.length}: send the rest in another request` : ''}.`,
      'documents',
    );
  docs.forEach((d: unknown, i) => {
    if (typeof d !== 'string' && !(isObject(d) && typeof d.text === 'string'))
      throw invalidRequest(
        `documents[${i}] must be a string or an object with a string text ({"text": "…"}).`,
        `documents[${i}]`,
      );
  });
  for (const field of ['top_n', 'max_tokens_per_doc'] as const)
    if (body[field] !== undefined && body[field] !== null && !positiveInt(body[field]))
      throw invalidRequest(`${field} must be an integer of 1 or more.`, field);
  if (
    body.return_documents !== undefined &&
    body.return_documents !== null &&
    typeof body.return_documents !== 'boolean'
  )
    throw invalidRequest('return_documents must be true or false.', 'return_documents');
  const out = { ...body } as RerankRequest;
  // null is "not set", as the SDKs send it; upstreams that refuse null never see it.
  for (const field of ['top_n', 'max_tokens_per_doc', 'return_documents'] as const)
    if (out[field] === null) delete out[field];
  return out;
}

/** Mounts the rerank paths on `app`, served by `gateway`. */
export function registerRerankRoutes(app: FastifyInstance, gateway: RerankGateway): void {
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const rerank = parseRerankRequest(request.body);
    const out = await gateway.handle(namedCall(request, reply, rerank));
    return reply.headers(out.headers).send(out.response);
  };
  app.post('/v1/rerank', serve);
  app.post('/v2/rerank', serve);
  app.post('/rerank', serve);
  app.post('/openai/v1/rerank', serve);
}
