// What an upstream attempt leaves behind: its record in the request log (failed, passed over after
// a context overflow, dropped mid-stream) and the GatewayError a failure is answered with (an
// unknown failure, a client that went away, a call aborted by the router's shutdown).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError } from '../core/errors.js';
import type { AttemptRecord } from '../store/request-record.js';
import type { CircuitBreakers } from './circuit-breaker.js';

/**
 * A failed attempt as the request log keeps it. A retryable failure counts against the
 * deployment's circuit, except its own rate limit (busy, not unhealthy).
 */
export function failedAttempt(
  breakers: CircuitBreakers,
  deployment: DeploymentConfig,
  e: GatewayError,
  latencyMs: number,
): AttemptRecord {
  if (e.retryable && e.code !== 'deployment_rate_limited') breakers.failure(deployment.name);
  // An upstream rate limit that says how long to wait (not the router's own limit for it).
  if (e.status === 429 && e.code !== 'deployment_rate_limited')
    breakers.coolDownAsAsked(deployment.name, e.headers);
  return {
    deployment: deployment.name,
    model: deployment.model,
    outcome: 'error',
    httpStatus: e.status,
    errorCode: e.code ?? undefined,
    errorMessage: e.message.slice(0, 300),
    latencyMs,
  };
}

/**
 * An upstream's 400 for a prompt past its context window (OpenAI's and Azure's code; the
 * Anthropic adapter maps its "prompt is too long" to it, and upstream-errors.ts the words of
 * vLLM, TGI and llama.cpp, TGI's with its 422): the one 4xx that fails over, and only to a
 * deployment with a larger window.
 */
export function isContextOverflow(e: GatewayError): boolean {
  return (e.status === 400 || e.status === 422) && e.code === 'context_length_exceeded';
}

/** A deployment passed over after a context overflow: its window is no larger (why, in words). */
export function notLargerWindow(
  deployment: DeploymentConfig,
  refused: DeploymentConfig,
): AttemptRecord {
  return {
    deployment: deployment.name,
    model: deployment.model,
    outcome: 'skipped',
    errorCode: 'context_window_not_larger',
    errorMessage: `its context window (${deployment.contextWindow} tokens) is no larger than that of ${refused.name} (${refused.contextWindow}), which refused the prompt as too long`,
    latencyMs: 0,
  };
}

/**
 * How a stream that broke after its first chunk is logged: a typed error's status and code, else
 * 502 `stream_error` (the request's record and its attempt say the same).
 */
export function streamFailure(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof GatewayError)
    return { status: err.status, code: err.code ?? 'upstream_error', message: err.message };
  return { status: 502, code: 'stream_error', message: (err as Error)?.message ?? String(err) };
}

/**
 * A streamed attempt stopped after its first chunk went out by its caller (the client left, a
 * cancel) or the shutdown drain: `aborted`, with the request's status and code (its latency stays
 * the first chunk's).
 */
export function markStreamAborted(attempt: AttemptRecord, signal: AbortSignal): void {
  const why = abortedCall(signal, []);
  attempt.outcome = 'aborted';
  attempt.httpStatus = why.status;
  attempt.errorCode = why.code ?? undefined;
  attempt.errorMessage = `stopped mid-answer: ${why.message}`.slice(0, 300);
}

/**
 * A streamed attempt that failed after its first chunk went out (it could not fail over):
 * `stream_dropped`, with the error that ended it (its latency stays the first chunk's).
 */
export function markStreamDropped(attempt: AttemptRecord, failure: unknown): void {
  const f = streamFailure(failure);
  attempt.outcome = 'stream_dropped';
  attempt.httpStatus = f.status;
  attempt.errorCode = f.code;
  attempt.errorMessage = f.message.slice(0, 300);
}

/** Any failure of an upstream call as the GatewayError it is answered with (unknown ones: 502). */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'upstream_error',
    message: `Upstream call failed: ${(err as Error)?.message ?? String(err)}`,
    retryable: true,
    cause: err,
  });
}

/** The 499 for a client that went away before it was answered. */
export function clientClosed(attempts: AttemptRecord[]): GatewayError {
  return new GatewayError({
    status: 499,
    type: 'invalid_request_error',
    code: 'client_closed_request',
    message: 'The client closed the request.',
    details: { attempts },
  });
}

/**
 * An attempt whose upstream call was in flight when its caller's `signal` aborted: `aborted`, with
 * the status and code the request is logged with (499 `client_closed_request`, or the reason's:
 * a cancelled background run, the router shutting down). The upstream may have billed it.
 */
export function abortedAttempt(
  deployment: DeploymentConfig,
  signal: AbortSignal,
  latencyMs: number,
): AttemptRecord {
  const why = abortedCall(signal, []);
  return {
    deployment: deployment.name,
    model: deployment.model,
    outcome: 'aborted',
    httpStatus: why.status,
    errorCode: why.code ?? undefined,
    errorMessage: `stopped in flight: ${why.message}`.slice(0, 300),
    latencyMs,
  };
}

/**
 * Why a call stopped when its caller's `signal` aborted: the caller's reason when it is a typed
 * error (the router shutting down is a 503, not the client's doing), else the client closed (499).
 */
export function abortedCall(signal: AbortSignal, attempts: AttemptRecord[]): GatewayError {
  return signal.reason instanceof GatewayError ? signal.reason : clientClosed(attempts);
}
