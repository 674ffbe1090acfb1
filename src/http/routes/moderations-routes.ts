// Moderations on the paths OpenAI clients use: `/v1/moderations` (and `/openai/v1/moderations`
// for clients whose base URL is Azure's v1 path; Azure itself has no moderations API). The body is
// checked on the fields the router reads (model, input: a string, an array of strings, or an
// array of text and image parts, openapi.yaml CreateModerationRequest); the rest passes through.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { checkModelField } from '../check-fields.js';
import type { ModerationRequest } from '../../core/wire-types.js';
import type { ModerationsGateway } from '../../gateway/moderations-gateway.js';
import { namedCall } from './named-call.js';
import { isImageUrl, quoteUrl } from '../../core/image-url.js';

const INPUT_SHAPES =
  'input must be a string, a non-empty array of strings, or a non-empty array of parts ({"type": "text", "text": …} or {"type": "image_url", "image_url": {"url": …}}).';

/** One part of a multi-modal input, or a 400 naming the field to fix. */
function checkPart(part: unknown, i: number): void {
  const at = `input[${i}]`;
  if (!isObject(part)) throw invalidRequest(INPUT_SHAPES, 'input');
  if (part.type === 'text') {
    if (typeof part.text !== 'string')
      throw invalidRequest(`${at}.text must be a string: the text to classify.`, `${at}.text`);
    return;
  }
  if (part.type === 'image_url') {
    // An http(s) URL or a data URL, as OpenAI takes (media audit F8: any URL that parsed, such as
    // file:///etc/passwd or javascript:…, was sent on).
    const url = isObject(part.image_url) ? part.image_url.url : undefined;
    if (typeof url !== 'string' || !isImageUrl(url, true))
      throw invalidRequest(
        `${at}.image_url.url must be the image's http(s) URL or a data URL of its base64 bytes (data:image/png;base64,…)${typeof url === 'string' ? `; got ${quoteUrl(url)}` : ''}.`,
        `${at}.image_url.url`,
        'invalid_image_url',
      );
    return;
  }
  throw invalidRequest(
    `${at}.type must be "text" or "image_url" (got ${JSON.stringify(part.type ?? null)}).`,
    `${at}.type`,
  );
}

const MODERATION_MODEL = 'the name of a moderation deployment or pool, or left out for the default';

/** A client's moderation body → the request the gateway runs, or a 400 saying what to fix. */
export function parseModerationRequest(body: unknown): ModerationRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  if (body.model !== undefined) {
    // A non-string is refused as the wrong type; null or '' as a name left empty.
    checkModelField(body, MODERATION_MODEL, true);
    if (!body.model) throw invalidRequest(`model must be ${MODERATION_MODEL}.`, 'model');
  }
  const input = body.input;
  if (typeof input !== 'string') {
    if (!Array.isArray(input) || input.length === 0) throw invalidRequest(INPUT_SHAPES, 'input');
    if (!input.every((x) => typeof x === 'string')) {
      // Not all strings: then all parts (the two forms do not mix).
      if (input.some((x) => typeof x === 'string')) throw invalidRequest(INPUT_SHAPES, 'input');
      input.forEach(checkPart);
    }
  }
  return { ...body, model: typeof body.model === 'string' ? body.model : '' } as ModerationRequest;
}

/** Mounts the moderation paths on `app`, served by `gateway`. */
export function registerModerationsRoutes(app: FastifyInstance, gateway: ModerationsGateway): void {
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const moderation = parseModerationRequest(request.body);
    const out = await gateway.handle(namedCall(request, reply, moderation));
    return reply.headers(out.headers).send(out.response);
  };
  app.post('/v1/moderations', serve);
  app.post('/openai/v1/moderations', serve);
  app.post('/moderations', serve);
}
