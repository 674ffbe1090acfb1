// The Responses API's state as the composition root (runtime.ts) builds it: stored responses and
// the Conversations API's conversations (in the request log's store, else in memory), and the
// background runs, started before the port opens.
import type { Logger } from 'pino';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Clock } from './core/clock.js';
import { BackgroundResponses } from './http/responses/background-responses.js';
import { lostRunRecorder } from './http/responses/lost-run-record.js';
import { createMemoryConversationObjectStore } from './store/memory/memory-conversation-object-store.js';
import type { RequestLog } from './store/request-log.js';
import { createResponseStore } from './store/response-store.js';
import type { SharedState } from './store/shared-state.js';

export interface ResponsesParts {
  requestLog: RequestLog | undefined;
  holder: ConfigHolder;
  clock: Clock;
  logger: Logger;
  state: SharedState;
}

/** The stores and the started background runs (stopped by the shutdown's drain). */
export async function createResponses({
  requestLog,
  holder,
  clock,
  logger,
  state,
}: ResponsesParts) {
  const responses = createResponseStore(10_000, requestLog?.store, {
    inlineDataMaxBytes: () => holder.current.config.responses.storedInlineDataMaxBytes,
  });
  // The Conversations API's conversations live beside the stored responses (the request log, else
  // memory).
  const conversations = requestLog?.store ?? createMemoryConversationObjectStore(10_000);
  const background = new BackgroundResponses({
    store: responses,
    clock,
    log: { warn: (m) => logger.warn(m), info: (m) => logger.info(m) },
    state,
    settings: () => holder.current.config.responses.background,
    ...(requestLog ? { recordLostRun: lostRunRecorder(requestLog) } : {}),
  });
  await background.start();
  return { responses, conversations, background };
}
