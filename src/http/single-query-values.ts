// A query parameter sent twice (`?after=a&after=b`) reaches a route as an array, which most routes
// read as one string: stores were handed the array (a 500, or a 503 "request log could not be
// read" on the usage routes). It is the client's mistake: a 400 naming the parameter, in the words
// the usage and dashboard routes already used for `since` (core/time-range.ts), before any route.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidRequest } from '../core/errors.js';
import { oneValue } from '../core/time-range.js';

/**
 * Parameters a route reads as a list (the Responses and Conversations APIs' `include`, which the
 * openai SDK sends as `include[]=…` once per value); any name ending in `[]` is one too.
 */
const LIST_PARAMS = new Set(['include']);

/** The 400 for the first parameter of `request`'s query given more than once, if any. */
export function checkSingleQueryValues(request: FastifyRequest): void {
  const query = request.query as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(query ?? {}))
    if (Array.isArray(value) && !LIST_PARAMS.has(name) && !name.endsWith('[]')) {
      const param = name.slice(0, 64);
      try {
        oneValue(value.map(String), param);
      } catch (err) {
        throw invalidRequest(`${(err as Error).message}.`, param, 'invalid_value');
      }
    }
}

/**
 * Refuses a repeated query parameter on every route, after the key is checked. A callback hook,
 * and nothing to look at without a `?`: every request passes it.
 */
export function refuseRepeatedQueryParams(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.url.includes('?')) return done();
    try {
      checkSingleQueryValues(request);
    } catch (err) {
      return done(err as Error);
    }
    done();
  });
}
