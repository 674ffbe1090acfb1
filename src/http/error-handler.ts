// The one place that speaks HTTP for errors: GatewayError and Fastify's own errors become
// OpenAI's envelope with the right status (STYLE.md principle 6).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/errors.js';
import { wasRecorded } from '../gateway/finish-record.js';
import { storeUnavailable } from '../store/store-unavailable.js';
import { takesForm, unsupportedMediaType } from './refuse-text-bodies.js';
import { anthropicErrorBody } from './anthropic/anthropic-error-body.js';
import { isAnthropicClient } from './framework-errors.js';

/**
 * Maps anything thrown to a GatewayError (Fastify body/parse errors keep their status); `request`,
 * where known, says what media type its route reads.
 */
export function toGatewayError(err: unknown, request?: FastifyRequest): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as FastifyError;
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError({
        status: 413,
        type: 'invalid_request_error',
        code: 'request_too_large',
        message: 'The request body is too large for this router (see server.bodyLimitBytes).',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(undefined, request !== undefined && takesForm(request));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_body',
        message: 'The request body is empty; send a JSON object.',
      });
    // json-body-parser.ts says where the JSON breaks; this is for a parser that did not.
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_json',
        message: 'The request body is not valid JSON.',
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'invalid_json',
        message:
          'The request body is not as long as its content-length header says; send it whole.',
      });
  }
  if (err instanceof SyntaxError || fe?.statusCode === 400) {
    return new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: `The request body is not valid JSON: ${fe.message}`,
    });
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GatewayError({
      status: fe.statusCode,
      type: 'invalid_request_error',
      code: fe.code ?? null,
      message: fe.message,
    });
  }
  const unreachable = storeUnavailable(err);
  if (unreachable)
    return new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'request_log_unavailable',
      message: `The request log's database, which keeps stored responses, conversations, chat completions, files and batches, could not be reached (${unreachable}); try again when it is back.`,
      cause: err,
    });
  return new GatewayError({
    status: 500,
    type: 'server_error',
    code: 'internal_error',
    message: 'The router hit an internal error; the request id is in x-request-id.',
    cause: err,
  });
}

/**
 * How an endpoint family shapes its error bodies (OpenAI by default; Anthropic on /v1/messages,
 * whose envelope carries the request id).
 */
export type ErrorShaper = (e: GatewayError, requestId: string, request?: FastifyRequest) => unknown;

export const openAiErrorShape: ErrorShaper = (e) => e.toEnvelope();

/** Past this many bytes announced, a body refused unread is not read to its end (see below). */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * A body refused before it was read whole (over `server.bodyLimitBytes`): fastify closes the
 * connection, and a client still sending it got a reset instead of this answer (the openai SDK:
 * "Connection error.", then the whole upload again). The connection is kept instead, so Node reads
 * the rest and drops it, for a body whose content-length is at most DRAIN_LIMIT_BYTES (the
 * server's request timeout bounds the time); a larger or chunked one is closed on as before.
 */
function readRefusedBodyToEnd(reply: FastifyReply): void {
  const raw = reply.request.raw;
  if (raw.complete || reply.getHeader('connection') !== 'close') return;
  const length = Number(raw.headers['content-length']);
  if (length <= DRAIN_LIMIT_BYTES) reply.removeHeader('connection');
}

export function sendError(
  reply: FastifyReply,
  err: unknown,
  shape: ErrorShaper = openAiErrorShape,
): FastifyReply {
  const e = toGatewayError(err, reply.request);
  // Counted by its record, or (record-refusals.ts) as a request refused before it had one.
  if (!wasRecorded(err)) {
    reply.request.refusedUnrecorded = true;
    reply.request.refusalCode = e.code ?? undefined;
  }
  // The database out of reach is one line a request, not a stack trace each.
  if (e.code === 'request_log_unavailable') reply.log.warn({ code: e.code }, e.message);
  else if (e.status >= 500) reply.log.error({ err: e.cause ?? e, code: e.code }, e.message);
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  readRefusedBodyToEnd(reply);
  return reply
    .code(e.status === 499 ? 400 : e.status)
    .send(shape(e, String(reply.request.id), reply.request));
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route whose API has its own error envelope (Anthropic's Messages). */
    errorShape?: ErrorShaper;
  }
  interface FastifyRequest {
    /** Answered with an error no request record holds (refused before the gateway opened one). */
    refusedUnrecorded: boolean;
    /** That error's code, for its record (record-refusals.ts). */
    refusalCode: string | undefined;
  }
}

export function errorHandler(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // An unknown path has no route of its own: what fails on it (a body it could not parse) is
  // shaped as its 404 is, in Anthropic's envelope for an Anthropic client (app.ts).
  const shape =
    request.routeOptions.config?.errorShape ??
    (request.is404 && isAnthropicClient(request) ? anthropicErrorBody : undefined);
  return sendError(reply, err, shape);
}
