// A request that arrives while the router shuts down (on a keep-alive connection still open, or
// pipelined behind one in flight) is refused with the drain's own 503 `router_shutting_down` in
// its API's error shape (OpenAI's envelope; Anthropic's on /v1/messages), as every other piece of
// work the drain refuses is, rather than Fastify's `return503OnClosing` body, which is neither
// (app.ts turns that off). Its connection is closed after the answer (Fastify sets
// `connection: close` once closing), so the client reconnects, to another replica if there is one.
import type { FastifyInstance } from 'fastify';
import { shuttingDownError } from '../gateway/call-drain.js';

/** Refuses every request that starts once the app began closing (its `preClose`). */
export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? shuttingDownError() : undefined);
  });
}
