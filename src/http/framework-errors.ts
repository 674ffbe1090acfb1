// Errors Fastify's router raises before any route or hook runs (a malformed percent-encoding in
// the path, a path parameter past its length limit): answered in OpenAI's envelope saying what to
// fix (Anthropic's for Anthropic clients), not in Fastify's own `{error, code, statusCode}` body.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { anthropicErrorBody } from './anthropic/anthropic-error-body.js';
import { sendError } from './error-handler.js';

/** An Anthropic client (its SDK always sends anthropic-version) reads Anthropic's shapes. */
export function isAnthropicClient(request: FastifyRequest): boolean {
  return (
    request.url.startsWith('/v1/messages') || request.headers['anthropic-version'] !== undefined
  );
}

/** Fastify's `frameworkErrors` option. */
export function frameworkErrors(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // No hook runs for these: the request id header is set here, as every other reply has it.
  reply.header('x-request-id', request.id);
  const anthropic = isAnthropicClient(request);
  if (anthropic) reply.header('request-id', request.id);
  return sendError(reply, describeFrameworkError(err), anthropic ? anthropicErrorBody : undefined);
}

export function describeFrameworkError(err: FastifyError): GatewayError {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return new GatewayError({
      status: 414,
      type: 'invalid_request_error',
      code: 'path_parameter_too_long',
      message:
        'A name or id in the URL path is too long (over 100 characters): no model, deployment or object has such a name.',
    });
  if (err.code === 'FST_ERR_BAD_URL')
    return new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_url',
      message:
        'The URL path is not valid: it has a malformed percent-encoding; write each reserved character as %XX with two hex digits of its UTF-8 bytes.',
    });
  return new GatewayError({
    status: typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 400,
    type: 'invalid_request_error',
    code: 'invalid_request',
    message: err.message,
  });
}
