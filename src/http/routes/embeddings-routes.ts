// Embeddings on the paths clients use: OpenAI `/v1/embeddings`, Azure v1 `/openai/v1/embeddings`
// and Azure dated `/openai/deployments/{name}/embeddings` (and `/openai/v1/deployments/…`, where the
// AzureOpenAI client sends it with a v1 `baseURL`: chat-routes.ts AZURE_DEPLOYMENT_PATHS). The body is checked on the fields the
// router reads (model, input, encoding_format, dimensions); the rest passes through.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { checkModelField, MODEL_IN_PATH } from '../check-fields.js';
import type { EmbeddingsRequest } from '../../core/wire-types.js';
import type { EmbeddingsGateway } from '../../gateway/embeddings-gateway.js';
import {
  AZURE_DEPLOYMENT_PATHS,
  checkApiVersion,
  optionalApiVersion,
  type AzureDeploymentRoute,
} from './chat-routes.js';
import { namedCall } from './named-call.js';

/** OpenAI's limit on the inputs of one request. */
const MAX_INPUTS = 2048;

const isTokenIds = (x: unknown): x is number[] =>
  Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t) && t >= 0);

/** A client's embeddings body → the request the gateway runs, or a 400 saying what to fix. */
export function parseEmbeddingsRequest(sent: unknown, modelFromPath = false): EmbeddingsRequest {
  if (!isObject(sent)) throw invalidRequest('The request body must be a JSON object.');
  // An optional field sent as null is one left out, and not sent on (OpenAI's schema has no null
  // for them; media audit F8: encoding_format null was refused as no format).
  const body = { ...sent };
  for (const field of ['encoding_format', 'dimensions', 'user'])
    if (body[field] === null) delete body[field];
  checkModelField(
    body,
    modelFromPath ? MODEL_IN_PATH : 'the name of an embedding deployment or pool',
    modelFromPath,
  );
  const input = body.input;
  const ok =
    (typeof input === 'string' && input.length > 0) ||
    isTokenIds(input) ||
    (Array.isArray(input) &&
      input.length > 0 &&
      input.length <= MAX_INPUTS &&
      (input.every((x) => typeof x === 'string' && x.length > 0) || input.every(isTokenIds)));
  if (!ok)
    throw invalidRequest(
      `input must be a non-empty string, an array of up to ${MAX_INPUTS} non-empty strings, an array of token ids, or an array of such arrays.`,
      'input',
    );
  if (
    body.encoding_format !== undefined &&
    body.encoding_format !== 'float' &&
    body.encoding_format !== 'base64'
  )
    throw invalidRequest('encoding_format must be "float" or "base64".', 'encoding_format');
  if (
    body.dimensions !== undefined &&
    (!Number.isInteger(body.dimensions) || (body.dimensions as number) < 1)
  )
    throw invalidRequest('dimensions must be a positive integer.', 'dimensions');
  return { ...body, model: typeof body.model === 'string' ? body.model : '' } as EmbeddingsRequest;
}

export function registerEmbeddingsRoutes(app: FastifyInstance, gateway: EmbeddingsGateway): void {
  const serve = async (
    request: FastifyRequest,
    reply: FastifyReply,
    embeddings: EmbeddingsRequest,
    deploymentFromPath?: string,
  ) => {
    const out = await gateway.handle(namedCall(request, reply, embeddings, deploymentFromPath));
    return reply.headers(out.headers).send(out.response);
  };
  const plain = (request: FastifyRequest, reply: FastifyReply) =>
    serve(request, reply, parseEmbeddingsRequest(request.body));
  app.post('/v1/embeddings', plain);
  app.post('/openai/v1/embeddings', plain);
  app.post('/embeddings', plain);
  app.post('/openai/embeddings', optionalApiVersion, plain); // the AI SDK's Azure gateway URL
  for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
    app.post<AzureDeploymentRoute>(`${prefix}/embeddings`, (request, reply) => {
      checkApiVersion(request.query['api-version'], optionalVersion);
      return serve(
        request,
        reply,
        parseEmbeddingsRequest(request.body, true),
        request.params.deployment,
      );
    });
}
