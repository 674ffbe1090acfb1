// Resolves the caller (tenant, key, scopes) from `Authorization: Bearer`, `api-key` or
// `x-api-key` before any route runs. The body can never change who a request runs as.
import type { FastifyRequest } from 'fastify';
import type { AuthContext, BatchForwardOffer } from '../gateway/gateway-types.js';
import { ANONYMOUS } from '../gateway/gateway-types.js';

export interface Authenticator {
  /**
   * Throws GatewayError 401 for a missing, wrong or expired key (when keys are required), 403 for a
   * key used from outside its `allowedIps`. `clientIp`: `request.ip` (after `server.trustProxy`).
   */
  authenticate(
    headers: FastifyRequest['headers'],
    clientIp?: string,
  ): Promise<AuthContext> | AuthContext;
}

/** `auth.mode: none`: everyone is the anonymous default tenant with every scope. */
export const openAuthenticator: Authenticator = { authenticate: () => ANONYMOUS };

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
    /** Only on a forwarding batch's in-process chat line (batch/batch-caller.ts). */
    batchForward?: BatchForwardOffer;
    /** A batch line sent in process as its batch's creator (batch/batch-caller.ts). */
    batchLine: boolean;
  }
}
