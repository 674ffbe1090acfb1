// Image generation on the paths clients use: OpenAI `/v1/images/generations`, Azure v1
// `/openai/v1/images/generations` and Azure dated `/openai/deployments/{name}/images/generations`
// (and `/openai/v1/deployments/…`, the AzureOpenAI client's with a v1 `baseURL`).
// The body is checked on the fields the router reads (openapi.yaml CreateImageRequest: model,
// prompt, n, size, quality, response_format; the quality and size each model takes once the model
// is known: image-options.ts); the rest passes through.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { describeValue } from '../../core/describe-value.js';
import { checkFieldType, checkModelField, MODEL_IN_PATH } from '../check-fields.js';
import type { ImagesRequest } from '../../core/wire-types.js';
import type { MediaGateway } from '../../gateway/media-gateway.js';
import {
  AZURE_DEPLOYMENT_PATHS,
  checkApiVersion,
  type AzureDeploymentRoute,
} from './chat-routes.js';
import { namedCall } from './named-call.js';
import { GENERATION_QUALITIES } from '../../gateway/image-options.js';

/** A `quality` OpenAI names (openapi.yaml CreateImageRequest `quality`), or a 400 listing them. */
export function checkQuality(quality: unknown, qualities: readonly string[]): void {
  if (typeof quality === 'string' && !qualities.includes(quality))
    throw invalidRequest(
      `quality must be one of ${qualities.map((q) => `"${q}"`).join(', ')} (got ${describeValue(quality)}).`,
      'quality',
      'invalid_value',
    );
}

/** A client's image generation body → the request the gateway runs, or a 400 saying what to fix. */
export function parseImagesRequest(body: unknown, modelFromPath = false): ImagesRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  checkModelField(
    body,
    modelFromPath ? MODEL_IN_PATH : 'the name of an image deployment or pool',
    modelFromPath,
  );
  if (body.prompt !== undefined && body.prompt !== null && typeof body.prompt !== 'string')
    throw invalidRequest(
      `prompt must be a string: a text description of the image(s); got ${describeValue(body.prompt)}.`,
      'prompt',
      'invalid_type',
    );
  if (typeof body.prompt !== 'string' || !body.prompt)
    throw invalidRequest('prompt is required: a text description of the image(s).', 'prompt');
  if (
    body.n !== undefined &&
    body.n !== null &&
    (!Number.isInteger(body.n) || (body.n as number) < 1 || (body.n as number) > 10)
  )
    throw invalidRequest('n must be an integer from 1 to 10.', 'n');
  for (const field of ['size', 'quality', 'output_format', 'style', 'background'] as const)
    if (body[field] !== undefined && body[field] !== null && typeof body[field] !== 'string')
      throw invalidRequest(`${field} must be a string.`, field);
  if (typeof body.size === 'string' && body.size !== 'auto' && !/^\d+x\d+$/.test(body.size))
    throw invalidRequest('size must be "auto" or "<width>x<height>" (e.g. "1024x1024").', 'size');
  // What each model takes of these is checked once the model is known (image-options.ts).
  checkQuality(body.quality, GENERATION_QUALITIES);
  if (
    body.response_format !== undefined &&
    body.response_format !== null &&
    body.response_format !== 'b64_json' &&
    body.response_format !== 'url'
  )
    throw invalidRequest('response_format must be "b64_json" or "url".', 'response_format');
  checkFieldType(body, 'stream', 'boolean');
  if (body.stream === true)
    throw invalidRequest(
      'stream: true (partial images) is not served by this router; leave it out for the finished images.',
      'stream',
    );
  return { ...body, model: typeof body.model === 'string' ? body.model : '' } as ImagesRequest;
}

/** Mounts the image generation paths on `app`, served by `gateway`. */
export function registerImagesRoutes(app: FastifyInstance, gateway: MediaGateway): void {
  const serve = async (
    request: FastifyRequest,
    reply: FastifyReply,
    images: ImagesRequest,
    deploymentFromPath?: string,
  ) => {
    const out = await gateway.images(namedCall(request, reply, images, deploymentFromPath));
    return reply.headers(out.headers).send(out.response);
  };
  const plain = (request: FastifyRequest, reply: FastifyReply) =>
    serve(request, reply, parseImagesRequest(request.body));
  app.post('/v1/images/generations', plain);
  app.post('/openai/v1/images/generations', plain);
  app.post('/images/generations', plain);
  for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
    app.post<AzureDeploymentRoute>(`${prefix}/images/generations`, (request, reply) => {
      checkApiVersion(request.query['api-version'], optionalVersion);
      return serve(
        request,
        reply,
        parseImagesRequest(request.body, true),
        request.params.deployment,
      );
    });
}
