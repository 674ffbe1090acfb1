// What a request is told once failover is over: the last error with every attempt listed, or,
// when the failures disagree, the error a client can act on (a 429 when some deployment was only
// rate-limited, else 502 `all_deployments_failed`). Shared by chat (execute-with-failover.ts) and
// the models called by name (named-failover.ts: embeddings, moderations, images, audio, rerank).
import { GatewayError } from '../core/errors.js';
import type { AttemptRecord } from '../store/request-record.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import { NoHeadroom } from './wait-for-headroom.js';

/**
 * The deployments that refused with a 429 (their own limit, or the upstream's) when every one
 * called did (those skipped for an open circuit were not called); else undefined.
 */
export function rateLimitedEverywhere(attempts: readonly AttemptRecord[]): string[] | undefined {
  const called = attempts.filter((a) => a.outcome === 'error');
  return called.length > 0 && called.every((a) => a.httpStatus === 429)
    ? called.map((a) => a.deployment)
    : undefined;
}

/**
 * The 429 for a request every deployment called refused: when each asked to wait, its
 * `retry-after` is when the first may be called again (the last refusal's own advice would keep
 * the client away longer than needed), as a request planned while they cool down is told.
 */
export function refusedEverywhere(
  err: GatewayError,
  refusedBy: readonly string[],
  breakers: Pick<CircuitBreakers, 'coolingLeftMs'>,
): NoHeadroom {
  const left = refusedBy.map((name) => breakers.coolingLeftMs(name));
  if (left.every((ms) => ms > 0)) {
    delete err.headers['retry-after-ms'];
    err.headers['retry-after'] = String(Math.ceil(Math.min(...left) / 1000));
  }
  return new NoHeadroom(err, refusedBy, true);
}

/**
 * The error for a request whose every call failed in different ways, where the last failure's
 * status would be an accident of the order. When some deployment only refused with a 429, a 429:
 * retrying will be served once it frees up (`retry-after`: the soonest a refusing one may be called
 * again, when each said how long), and a request that may wait waits for those. Else, when the
 * failures disagree on the status, 502 `all_deployments_failed`; when they agree, that error.
 * Either way the message names each failure.
 */
export function failedEverywhere(
  exhausted: GatewayError,
  attempts: AttemptRecord[],
  from: number,
  lastRefusal: GatewayError | undefined,
  breakers: Pick<CircuitBreakers, 'coolingLeftMs'>,
): GatewayError {
  const failed = attempts.slice(from).filter((a) => a.outcome === 'error');
  if (new Set(failed.map((a) => a.httpStatus)).size <= 1) return exhausted;
  const each = failed
    .map((a) => `${a.deployment} (${a.httpStatus} ${a.errorCode ?? 'error'})`)
    .join(', ');
  if (lastRefusal) {
    const refusedBy = [
      ...new Set(failed.filter((a) => a.httpStatus === 429).map((a) => a.deployment)),
    ];
    const left = refusedBy.map((name) => breakers.coolingLeftMs(name));
    const when = left.every((ms) => ms > 0)
      ? `in ${Math.ceil(Math.min(...left) / 1000)} s`
      : 'shortly';
    const refused = new GatewayError({
      status: 429,
      type: lastRefusal.type,
      code: lastRefusal.code,
      message: `All ${failed.length} deployments called failed: ${each}. Only rate-limited: ${refusedBy.join(', ')}; retry ${when}.`,
      headers: { ...lastRefusal.headers },
      retryable: true,
      details: { attempts },
    });
    return refusedEverywhere(refused, refusedBy, breakers);
  }
  return new GatewayError({
    status: 502,
    type: 'server_error',
    code: 'all_deployments_failed',
    message: `All ${failed.length} deployments called failed: ${each}.`,
    retryable: true,
    details: { attempts },
  });
}

/** The error to return once failover is over: the last upstream error, with the attempts listed. */
export function withAttempts(
  e: GatewayError,
  attempts: AttemptRecord[],
  exhausted = false,
): GatewayError {
  const message = exhausted
    ? `All ${attempts.length} attempts failed; last error from ${attempts.at(-1)?.deployment}: ${e.message}`
    : e.message;
  return new GatewayError({
    status: e.status,
    type: e.type,
    code: e.code,
    param: e.param,
    message,
    headers: { ...e.headers },
    retryable: e.retryable,
    details: { ...(e.details ?? {}), attempts },
  });
}
