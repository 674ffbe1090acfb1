// Who a batch line runs as. A line is sent through the router's own routes in process
// (`app.inject`), as its batch's creator: the runner registers the creator's AuthContext under a
// one-time random token sent in `x-router-batch-caller`, and the auth hook takes it (once) instead
// of reading credentials. A token is 192 random bits that never leave the process and is gone once
// used, so a request from the network cannot claim one; a header that matches none is ignored.
import { randomBytes } from 'node:crypto';
import type { AuthContext } from '../gateway/gateway-types.js';

export const BATCH_CALLER_HEADER = 'x-router-batch-caller';

export class BatchCallers {
  private readonly waiting = new Map<string, AuthContext>();

  /** A token for one in-process request that runs as `auth`. */
  register(auth: AuthContext): string {
    const token = randomBytes(24).toString('base64url');
    this.waiting.set(token, auth);
    return token;
  }

  /** The caller registered under the request's token (forgotten once read), else undefined. */
  take(header: string | string[] | undefined): AuthContext | undefined {
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
