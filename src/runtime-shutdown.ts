// A shutdown's drain (runtime.ts's close): waiting requests are refused, requests in flight get
// `server.shutdownDrainSeconds`, background runs their grace, then upstream calls still running
// are stopped and, a moment later, what is left is cut off.
import type { FastifyInstance } from 'fastify';
import { shuttingDownError, type CallDrain } from './gateway/call-drain.js';
import type { UnusedConnections } from './http/track-unused-connections.js';
import type { BackgroundResponses } from './http/responses/background-responses.js';
import type { AdmissionQueue } from './policy/admission-queue.js';
import type { Logger } from 'pino';

/** What the drain stops, and how long it gives requests in flight. */
export interface DrainParts {
  queue: Pick<AdmissionQueue, 'stop'>;
  background: Pick<BackgroundResponses, 'stop'>;
  drain: CallDrain;
  drainMs: number;
  logger: Logger;
}

/** Closes the app after draining it (see the file's header); resolves once it is closed. */
export async function drainAndClose(
  app: FastifyInstance,
  connections: UnusedConnections,
  parts: DrainParts,
): Promise<void> {
  const { queue, background, drain, drainMs, logger } = parts;
  // Requests in flight finish; a keep-alive connection that goes idle while we drain (its
  // last request just ended) is closed then, not when the client's idle timer fires, and so
  // is a connection that has not sent a request (Node counts it as busy: see
  // track-unused-connections.ts).
  const closeWaiting = () => {
    app.server.closeIdleConnections();
    connections.closeUnused();
  };
  const sweep = setInterval(closeWaiting, 100);
  try {
    // Requests waiting in the rate-limit queue (or for a deployment's headroom) are refused
    // now with the drain's 503, rather than waited for and then sent upstream.
    const released = queue.stop(shuttingDownError);
    if (released)
      logger.info(`shutdown: ${released} request(s) waiting in the rate-limit queue refused`);
    const closing = app.close();
    closeWaiting();
    // The drain deadline counts from the signal, background runs' wait included.
    const drained = settlesWithin(closing, drainMs);
    // No new request is taken now; background runs get `responses.background.
    // shutdownGraceSeconds` to finish (their followers' streams end with them), then those
    // left are marked failed.
    await background.stop();
    // Requests in flight get `server.shutdownDrainSeconds` (a stream whose upstream stalled
    // would otherwise hold the process for good); then their upstream calls are stopped,
    // every family's (chat, Responses, Messages, embeddings, moderations, rerank, images,
    // audio): streams end with an in-band error, unanswered calls get a 503 in their API's
    // shape, a speech body under way is cut short, and each is logged.
    if (!(await drained)) {
      const stopped = drain.stopAll();
      logger.warn(
        `shutdown: ${stopped} upstream call(s) still running after ${drainMs / 1000} s were stopped`,
      );
      // What is left (a request not waiting on an upstream) is cut off a moment later.
      if (!(await settlesWithin(closing, CUT_OFF_AFTER_DRAIN_MS))) app.server.closeAllConnections();
    }
    await closing;
  } finally {
    clearInterval(sweep);
  }
}

/** After the drain deadline and the stop of upstream calls, how long before sockets are cut. */
const CUT_OFF_AFTER_DRAIN_MS = 2_000;

/** Whether `work` settles within `ms` (it goes on either way). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
