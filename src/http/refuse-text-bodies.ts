// Fastify reads a `text/plain` body into a string by default, and every route then answered "The
// request body must be a JSON object." to JSON sent with the wrong content-type (curl's
// `-H 'content-type: text/plain'`, a browser's fetch with a string body and no headers). No route
// of the router reads text, so such a body is refused as any other non-JSON media type is.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';

/**
 * The 415 for a body in a media type the router does not read. `received` names the content-type
 * it came in, where known (Fastify's own 415 does not say); `form`: the route reads multipart
 * forms (files, audio, image edits), which is then what to send.
 */
export function unsupportedMediaType(received?: string, form = false): GatewayError {
  const came = received ? `The request body came as content-type ${received}. ` : '';
  return new GatewayError({
    status: 415,
    type: 'invalid_request_error',
    code: 'unsupported_media_type',
    message: form
      ? `${came}Send the request body as multipart/form-data (content-type: multipart/form-data; boundary=…), a part per field and file.`
      : `${came}Send the request body as JSON with content-type: application/json.`,
  });
}

/** Whether the request's route reads multipart forms: its scope registered @fastify/multipart. */
export function takesForm(request: FastifyRequest): boolean {
  return request.server.hasContentTypeParser('multipart/form-data');
}

/**
 * Replaces Fastify's `text/plain` parser: an empty body is no body (a bodiless POST that sends the
 * header anyway still works), anything else a 415 on every route in the route's error shape. An
 * unknown path keeps its 404.
 */
export function refuseTextBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || request.is404) done(null, undefined);
    else done(unsupportedMediaType('text/plain', takesForm(request)), undefined);
  });
}
