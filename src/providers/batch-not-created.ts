// How a Batch API's submit says that the upstream surely made no batch, so its lines may run live
// at once: a failure before the create call (the upload), or a create the upstream refused for good
// (a 4xx other than 408 and 409). Any other failure of the create call (a timeout, a dropped
// connection, a 5xx) leaves it unknown: the upstream may have made the batch, and the forwarder
// looks for it before it runs the lines live (batch/forward/look-up-group.ts).
import { GatewayError } from '../core/errors.js';

/** Thrown by ProviderBatchApi.submit: no upstream batch was made. */
export class UpstreamBatchNotCreated extends Error {
  constructor(readonly reason: Error) {
    super(reason.message, { cause: reason });
    this.name = 'UpstreamBatchNotCreated';
  }
}

/** A create call's failure as submit throws it: refused for good, or (else) unknown. */
export function createCallFailed(err: unknown): Error {
  if (
    err instanceof GatewayError &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 408 &&
    err.status !== 409
  )
    return new UpstreamBatchNotCreated(err);
  return err instanceof Error ? err : new Error(String(err));
}

/** A failure before the create call: no batch can have been made. */
export function beforeCreateFailed(err: unknown): UpstreamBatchNotCreated {
  return new UpstreamBatchNotCreated(err instanceof Error ? err : new Error(String(err)));
}

/** How far an upstream's clock may be from ours when a batch is looked for by its creation time. */
export const CLOCK_SKEW_MS = 5 * 60_000;
