// Deadlines on an attempt's awaits: the first token, the whole answer, the gap between stream
// chunks. Expiry aborts the attempt's upstream call and fails it with a retryable 504, so
// executeWithFailover (execute-with-failover.ts) moves on to the next deployment.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError } from '../core/errors.js';

/** Races a promise against a deadline; on expiry aborts the attempt and rejects with `onTimeout()`. */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  controller: AbortController,
  onTimeout: () => GatewayError,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = onTimeout();
      controller.abort(err);
      reject(err);
    }, ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** The retryable 504 of a deadline that passed (`code` names which: first token, answer, idle). */
export function timeoutError(
  deployment: DeploymentConfig,
  code: string,
  what: string,
): GatewayError {
  return new GatewayError({
    status: 504,
    type: 'timeout_error',
    code,
    message: `Deployment ${deployment.name}: ${what}.`,
    retryable: true,
  });
}
