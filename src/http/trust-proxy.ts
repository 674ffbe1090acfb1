// `server.trustProxy` → fastify's `trustProxy`: which proxies' X-Forwarded-For decides
// `request.ip`, the client address that API keys' `allowedIps` check.
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config/schema.js';

/**
 * A hop count becomes proxy-addr's `(addr, i) => i < n` (trust the socket's peer and the n − 1
 * addresses before it): fastify 5.12 turns a bare number into "trust nothing", which would
 * silently ignore the setting. Booleans and address lists pass through unchanged.
 */
export function trustProxyOption(
  setting: Config['server']['trustProxy'],
): FastifyServerOptions['trustProxy'] {
  if (typeof setting !== 'number') return setting;
  return (_address: string, hop: number) => hop < setting;
}
