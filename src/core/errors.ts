// Typed errors: everything below the HTTP layer throws GatewayError; one place (http/error-handler)
// turns it into OpenAI's envelope `{ error: { message, type, param, code } }` (STYLE.md principle 6).

import { describeValue } from './describe-value.js';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'timeout_error'
  | 'insufficient_quota';

export interface GatewayErrorInit {
  status: number;
  message: string;
  type: ErrorType | string;
  code?: string | null;
  param?: string | null;
  /** Response headers to send with the error (retry-after, x-ratelimit-*). */
  headers?: Record<string, string>;
  /** True when another deployment may succeed where this one failed (failover). */
  retryable?: boolean;
  /** Extra fields for the envelope (Azure `innererror`, rule details). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(init: GatewayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.headers = init.headers ?? {};
    this.retryable = init.retryable ?? false;
    this.details = init.details;
  }

  /** OpenAI's error envelope; all four keys always present (spec `Error`). */
  toEnvelope(): { error: Record<string, unknown> } {
    return {
      error: {
        message: this.message,
        type: this.type,
        param: this.param,
        code: this.code,
        ...(this.details ?? {}),
      },
    };
  }
}

/** 400 for a request field the client must fix; `param` names it. */
export function invalidRequest(message: string, param: string | null = null, code?: string) {
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    message,
    param,
    code: code ?? 'invalid_request',
  });
}

/**
 * A positive number from a query string parameter, clamped to [min, max]; `fallback` when absent.
 * Anything that is not a positive number is the caller's mistake and gets a 400 naming it, not a
 * silent default.
 */
export function queryNumber(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw invalidRequest(
      `Query parameter ${name} must be a positive number, got "${value}".`,
      name,
    );
  return Math.min(Math.max(n, min), max);
}

/**
 * A list endpoint's `order` query parameter: `asc` or `desc`, `fallback` when absent (each list
 * has its own default, as OpenAI's do); anything else a 400 naming it, the same on every list.
 */
export function queryOrder(value: unknown, fallback: 'asc' | 'desc'): 'asc' | 'desc' {
  if (value === undefined || value === '') return fallback;
  if (value === 'asc' || value === 'desc') return value;
  throw invalidRequest(
    `Query parameter order must be asc or desc, got ${describeValue(value)}.`,
    'order',
    'invalid_value',
  );
}

/**
 * A list endpoint's `limit` query parameter as OpenAI's (and Anthropic's) APIs take it: a whole
 * number from 1 to `max`, `fallback` when absent; anything else a 400 that says so, in OpenAI's
 * words (`integer_above_max_value`, `integer_below_min_value`, `invalid_type`), never clamped.
 */
export function queryLimit(value: unknown, max: number, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const text = String(value);
  const n = /^[+-]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(n))
    throw invalidRequest(
      `Invalid 'limit': expected an integer, but got a string instead ("${text.slice(0, 40)}").`,
      'limit',
      'invalid_type',
    );
  if (!Number.isInteger(n))
    throw invalidRequest(
      `Invalid 'limit': expected an integer, but got a decimal number instead (${text.slice(0, 40)}).`,
      'limit',
      'invalid_type',
    );
  if (n < 1)
    throw invalidRequest(
      `Invalid 'limit': integer below minimum value. Expected a value >= 1, but got ${n} instead.`,
      'limit',
      'integer_below_min_value',
    );
  if (n > max)
    throw invalidRequest(
      `Invalid 'limit': integer above maximum value. Expected a value <= ${max}, but got ${n} instead.`,
      'limit',
      'integer_above_max_value',
    );
  return n;
}

export function notFound(
  message: string,
  code = 'model_not_found',
  param: string | null = 'model',
) {
  return new GatewayError({ status: 404, type: 'invalid_request_error', message, param, code });
}

export function unauthorized(message = 'Missing or invalid API key.') {
  return new GatewayError({
    status: 401,
    type: 'invalid_request_error',
    message,
    code: 'invalid_api_key',
  });
}

export function forbidden(message: string) {
  return new GatewayError({
    status: 403,
    type: 'permission_error',
    message,
    code: 'permission_denied',
  });
}

/** 429 from our own limits; never retryable on another deployment. */
export function rateLimited(
  message: string,
  retryAfterSeconds: number,
  headers: Record<string, string> = {},
) {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new GatewayError({
    status: 429,
    type: 'rate_limit_error',
    message,
    code: 'rate_limit_exceeded',
    headers: {
      'retry-after': String(seconds),
      'retry-after-ms': String(Math.ceil(retryAfterSeconds * 1000)),
      ...headers,
    },
  });
}

/**
 * 503 when another replica has held a fleet lock (config, API keys) past the wait: an admin change
 * that may be retried once the lock frees itself (`retryAfterSeconds`: its time to live).
 */
export function lockBusy(message: string, retryAfterSeconds: number) {
  return new GatewayError({
    status: 503,
    type: 'server_error',
    message,
    code: 'lock_busy',
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}

/** Statuses after which another deployment may succeed (openai-node retry rules). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
