// Anthropic's errors, an HTTP reply's or a stream's `error` event (Anthropic docs:
// https://docs.claude.com/en/api/errors), as the router's GatewayError in OpenAI's vocabulary.
import { GatewayError } from '../../core/errors.js';
import { deploymentFaultError } from '../upstream-errors.js';

type Json = Record<string, unknown>;

/**
 * Anthropic's 400 for a prompt past the model's context window ("prompt is too long: 208310 tokens
 * > 200000 maximum", an `invalid_request_error`): OpenAI's `context_length_exceeded`, which a
 * deployment with a larger window may still serve (gateway/execute-with-failover.ts).
 */
const PROMPT_TOO_LONG = /^prompt is too long\b/i;

/** Anthropic's error type → its HTTP status, for an error that came without one (in-band). */
const STATUS_FOR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An Anthropic error (HTTP or in-band) → GatewayError in OpenAI's vocabulary, status kept. */
export function mapAnthropicError(
  status: number,
  body: unknown,
  deploymentName: string,
  headers: Record<string, string> = {},
): GatewayError {
  const err =
    (body && typeof body === 'object' ? ((body as Json).error as Json | undefined) : undefined) ??
    {};
  const type = typeof err.type === 'string' ? err.type : 'api_error';
  const httpStatus = status || STATUS_FOR_TYPE[type] || 500;
  const openAiType =
    httpStatus === 429 ? 'rate_limit_error' : httpStatus >= 500 ? 'server_error' : type;
  const message = typeof err.message === 'string' ? err.message : `HTTP ${httpStatus}`;
  const fault = deploymentFaultError(httpStatus, `${deploymentName}: ${message}`, headers);
  if (fault) return fault;
  return new GatewayError({
    status: httpStatus,
    type: openAiType,
    code:
      httpStatus === 429
        ? 'rate_limit_exceeded'
        : httpStatus === 400 && PROMPT_TOO_LONG.test(message)
          ? 'context_length_exceeded'
          : type,
    message: `${deploymentName}: ${message}`,
    headers,
    retryable: httpStatus === 408 || httpStatus === 409 || httpStatus === 429 || httpStatus >= 500,
  });
}
