// CORS for browser apps that call the router directly (@fastify/cors): the origins the config
// allows (`server.cors`, read per request, so a config reload applies at once), preflights
// answered before authentication (a browser sends no credentials with them), and the router's own
// response headers exposed to the page. Streamed replies carry the same headers (`replyHeaders`,
// sse-writer.ts).
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { ConfigHolder } from '../config/runtime-config.js';
import { PASSED_HEADERS } from '../providers/http-client.js';

/**
 * Response headers a page may read: the receipt and request id, and the rate limits and retry
 * advice (the router's own, and the upstream's it passes on, `PASSED_HEADERS`).
 */
export const EXPOSED_HEADERS = [
  'x-request-id',
  'x-router-deployment',
  'x-router-model',
  'x-router-mode',
  'x-router-region',
  'x-router-attempts',
  'x-router-warnings',
  'x-router-decision-id',
  'x-router-version',
  'x-router-budget-used',
  'x-router-counted-by',
  'x-router-cache',
  'x-router-cache-similarity',
  'x-router-queued-ms',
  // The router's own time in the request, apart from the upstream (gateway/request-timing.ts).
  'x-router-overhead-ms',
  // A background response's GET: the request that created it (responses-routes.ts).
  'x-router-request-id',
  // Which of an OpenRouter `models` list served, and why the others did not.
  'x-router-target',
  'x-router-targets-tried',
  'age',
  // An admin item's entity tag, for a change sent with If-Match (admin-preconditions.ts).
  'etag',
  // The request's id as Azure and Anthropic clients read it; the client's own id echoed.
  'apim-request-id',
  'x-ms-client-request-id',
  'request-id',
  ...['requests', 'tokens'].flatMap((unit) =>
    ['limit', 'remaining', 'reset'].map((part) => `anthropic-ratelimit-${unit}-${part}`),
  ),
  ...PASSED_HEADERS,
  // The upstream's own, passed on beside the router's (http-client.ts pickUpstreamHeaders).
  ...PASSED_HEADERS.map((name) => `x-upstream-${name}`),
];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export async function registerCors(app: FastifyInstance, config: ConfigHolder): Promise<void> {
  await app.register(cors, {
    // Static options with the origin decided per request: a config reload changes who is
    // allowed at once, and a request without an Origin header (a server-side client) costs one
    // call. (Options resolved per request, the plugin's `delegator`, cost ~10 µs a request here.)
    origin: (origin, cb) => {
      if (origin === undefined) return cb(null, false);
      const { origins } = config.current.config.server.cors;
      cb(null, origins.includes('*') ? '*' : origins.includes(origin) ? origin : false);
    },
    methods: METHODS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: config.current.config.server.cors.maxAgeSeconds,
  });
}
