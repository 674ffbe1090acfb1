// Who a batch line runs as. A line is sent through the router's own routes in process
// (`app.inject`), as its batch's creator: the runner registers the creator's AuthContext under a
// one-time random token sent in `x-router-batch-caller`, and the auth hook takes it (once) instead
// of reading credentials. A token is 192 random bits that never leave the process and is gone once
// used, so a request from the network cannot claim one; a header that matches none is ignored.
// A line of a batch that forwards (forward/) also carries its offer, which only such a token can
// bring: no request from the network can ask the gateway to plan without calling.
import { randomBytes } from 'node:crypto';
import type { AuthContext, BatchForwardOffer } from '../gateway/gateway-types.js';
import type { AttemptRecord } from '../store/request-record.js';

export const BATCH_CALLER_HEADER = 'x-router-batch-caller';

/** Who an in-process line runs as, and for a forwarding batch's chat line, its offer. */
export interface BatchCaller {
  auth: AuthContext;
  forward?: BatchForwardOffer;
  /** A line given back to run live: its earlier filter calls (ChatCall.carriedFilterCalls). */
  carriedFilterCalls?: AttemptRecord[];
}

export class BatchCallers {
  private readonly waiting = new Map<string, BatchCaller>();

  /** A token for one in-process request that runs as `auth` (and may be held for `forward`). */
  register(
    auth: AuthContext,
    forward?: BatchForwardOffer,
    carriedFilterCalls?: AttemptRecord[],
  ): string {
    const token = randomBytes(24).toString('base64url');
    this.waiting.set(token, {
      auth,
      ...(forward ? { forward } : {}),
      ...(carriedFilterCalls?.length ? { carriedFilterCalls } : {}),
    });
    return token;
  }

  /** The caller registered under the request's token (forgotten once read), else undefined. */
  take(header: string | string[] | undefined): BatchCaller | undefined {
    if (typeof header !== 'string') return undefined;
    const auth = this.waiting.get(header);
    if (auth) this.waiting.delete(header);
    return auth;
  }

  /** Forgets a token whose request never reached the auth hook (it failed before). */
  forget(token: string): void {
    this.waiting.delete(token);
  }
}
