// Resolves the caller (tenant, key, scopes) from `Authorization: Bearer`, `api-key` or
// `x-api-key` before any route runs. The body can never change who a request runs as.
import type { FastifyRequest } from 'fastify';
import type { AuthContext, BatchForwardOffer } from '../gateway/gateway-types.js';
import { ANONYMOUS } from '../gateway/gateway-types.js';
import type { AttemptRecord } from '../store/request-record.js';

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
    /** A batch line given back by an upstream Batch API: see ChatCall.carriedFilterCalls. */
    batchCarriedCalls?: AttemptRecord[];
    /** A batch line sent in process as its batch's creator (batch/batch-caller.ts). */
    batchLine: boolean;
  }
}

/** The subprotocol a browser's WebSocket offers the key in (OpenAI's Realtime API). */
export const SUBPROTOCOL_KEY_PREFIX = 'openai-insecure-api-key.';

/**
 * A browser's WebSocket cannot set headers: OpenAI's Realtime API takes its key as the offered
 * subprotocol `openai-insecure-api-key.<key>`. When no key header came, that key is taken as the
 * request's `authorization` (so it is checked, and re-checked, as a Bearer key is).
 */
export function adoptSubprotocolKey(headers: FastifyRequest['headers']): void {
  if (headers.authorization || headers['api-key'] || headers['x-api-key']) return;
  const offered = headers['sec-websocket-protocol'];
  if (typeof offered !== 'string') return;
  for (const p of offered.split(',')) {
    const protocol = p.trim();
    if (protocol.startsWith(SUBPROTOCOL_KEY_PREFIX)) {
      headers.authorization = `Bearer ${protocol.slice(SUBPROTOCOL_KEY_PREFIX.length)}`;
      return;
    }
  }
}

/**
 * The subprotocol the 101 accepts: `realtime` when offered (as OpenAI answers), else the first
 * offered that is not a key; never the key's.
 */
export function pickSubprotocol(offered: Set<string>): string | false {
  if (offered.has('realtime')) return 'realtime';
  for (const p of offered) if (!p.startsWith(SUBPROTOCOL_KEY_PREFIX)) return p;
  return false;
}
