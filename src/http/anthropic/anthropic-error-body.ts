// Anthropic's error envelope, for every error an Anthropic client is answered with: /v1/messages
// and its batches, and the files and models routes, unknown paths and framework errors when the
// client speaks Anthropic's API.
import type { GatewayError } from '../../core/errors.js';

type Json = Record<string, unknown>;

/** HTTP status → Anthropic's error type (Anthropic docs: "Errors"). */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * The router's error codes that are Anthropic's own `error.details.error_code`s, which the SDK
 * reads (`APIError.errorCode`) and acts on: `thread_unsupported_request` makes its tool runner
 * send the full history instead of a thread (SDK `ThreadUnsupportedRequestErrorDetails`).
 */
const ANTHROPIC_ERROR_CODES = new Set<string | null>(['thread_unsupported_request']);

/**
 * How Anthropic's 400 for a prompt past the context window begins ("prompt is too long: 208310
 * tokens > 200000 maximum"). Its envelope has no code for it, so clients go by these words:
 * LangChain's ChatAnthropic raises ContextOverflowError on them.
 */
const PROMPT_TOO_LONG = 'prompt is too long';

/**
 * Anthropic's error envelope (CONTRACTS.md §4.5) for a GatewayError, with the request's id as
 * Anthropic's carries it (`request_id`; the `request-id` header says the same). The router's
 * `context_length_exceeded` starts with Anthropic's words for it unless it has them (an upstream
 * Claude's refusal, which comes as "<deployment>: prompt is too long: …").
 */
export function anthropicErrorBody(e: GatewayError, requestId?: string): Json {
  const type = ERROR_TYPES[e.status] ?? (e.status >= 500 ? 'api_error' : 'invalid_request_error');
  const overflow =
    e.code === 'context_length_exceeded' && !e.message.toLowerCase().includes(PROMPT_TOO_LONG);
  return {
    type: 'error',
    error: {
      type,
      message: overflow ? `${PROMPT_TOO_LONG}: ${e.message}` : e.message,
      ...(ANTHROPIC_ERROR_CODES.has(e.code) ? { details: { error_code: e.code } } : {}),
    },
    ...(requestId ? { request_id: requestId } : {}),
  };
}
