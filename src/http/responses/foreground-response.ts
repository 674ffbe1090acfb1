// A prepared Responses request run in the foreground, the one run path of `POST /v1/responses`
// and of a WebSocket `response.create` (responses-websocket.ts): the gateway call (routing,
// limits, failover, filters, the request log), the store, and the outcome as a Response object or
// as its stream events. The SSE writer and the WebSocket sender are two sinks of those events.
import type { FastifyBaseLogger } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import type { GatewayError } from '../../core/errors.js';
import type { ChatMessage } from '../../core/wire-types.js';
import { openAiAttribution } from '../../gateway/attribution.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import type { RequestTiming } from '../../gateway/request-timing.js';
import type { ResponseStore, StoredResponse } from '../../store/response-store.js';
import type { GatewayCaller } from '../routes/chat-routes.js';
import type { Json } from './responses-convert.js';
import type { ResponsesEvent } from './responses-stream.js';
import {
  jsonResponse,
  storedResponse,
  streamResponseEvents,
  type PreparedResponse,
} from './responses-run.js';
import { runResponseTurn } from './server-compaction.js';

export interface ForegroundDeps {
  gateway: ChatGateway;
  store: ResponseStore;
  config: ConfigHolder;
}

/** Who runs the response and what stops it: an HTTP request, or one WebSocket turn. */
export interface ResponseCaller extends GatewayCaller {
  log: FastifyBaseLogger;
  /** Aborts the upstream call (the client went away). */
  signal: AbortSignal;
  /** Gets the finished response as the store keeps it, whatever `store` said (a WebSocket
   * connection continues it from memory). */
  keep?(stored: StoredResponse): void;
}

export type ForegroundOutcome =
  | { kind: 'json'; response: Json; headers: Record<string, string> }
  | {
      kind: 'stream';
      events: AsyncIterable<ResponsesEvent>;
      headers: Record<string, string>;
      /** The sequence number an in-band error event sent now takes. */
      nextSequence(): number;
      /**
       * The events that end the stream when it fails after its first event: OpenAI's `error`,
       * then `response.failed` with the response as `response.created` announced it (status
       * `failed`, the error), which is also stored (unless `store: false`), so the id the client
       * was given retrieves it, as a failed background response's does.
       */
      failedEvents(e: GatewayError): Promise<ResponsesEvent[]>;
      /** The chat request's timing, for the sink's backpressure waits (ChatOutcome's). */
      timing?: RequestTiming;
    };

/** The gateway options of a Responses request, foreground or background. */
export function responsesCallOptions(p: PreparedResponse, headers: GatewayCaller['headers']) {
  return {
    endpoint: 'responses' as const,
    native: p.native,
    attribution: openAiAttribution(p.body, headers),
    // A conversation's turns stay on one deployment (its prompt cache) as a session.
    // A previous_response_id chain's: each turn's deployment is remembered under the id of
    // the response it makes, which the next turn names.
    ...(p.conversation
      ? { sessionId: p.conversation.id }
      : p.body.store !== false
        ? { nextSessionId: p.ctx.id }
        : {}),
  };
}

/**
 * Runs `p` through the gateway. Kept unless the client said `store: false` (then nothing of it is
 * written, and it cannot be continued or retrieved over HTTP, as with OpenAI). A store that fails
 * (a database down) does not cost the client its answer: it is logged, and the response cannot be
 * continued either. A conversation's turn is appended whatever `store` says: naming it asked for
 * that. The caller releases `p.conversation` once the outcome is sent.
 */
export async function runForegroundResponse(
  deps: ForegroundDeps,
  caller: ResponseCaller,
  p: PreparedResponse,
): Promise<ForegroundOutcome> {
  // An output filter may change the answer: then the (filtered) chat reply is what is sent.
  const passThrough = !deps.config.current.config.contentFilter.enabled;
  // Compacted first when the request asks for that (server-compaction.ts).
  const outcome = await runResponseTurn(deps.gateway, deps.config.current, caller, undefined, p, {
    ...responsesCallOptions(p, caller.headers),
    signal: caller.signal,
  });
  const save = async (response: Json, answer: ChatMessage) => {
    await p.conversation?.finish(response).catch((err: unknown) => {
      caller.log.warn({ err, response: p.ctx.id }, 'could not append to the conversation');
    });
    const stored = storedResponse(p, response, answer);
    caller.keep?.(stored);
    if (p.body.store === false) return;
    try {
      await deps.store.save(stored);
    } catch (err) {
      caller.log.warn({ err, response: p.ctx.id }, 'could not store the response');
    }
  };
  if (outcome.kind === 'json') {
    const { response, answer } = jsonResponse(outcome, p, passThrough);
    await save(response, answer);
    return { kind: 'json', response, headers: outcome.headers };
  }
  let sequence = 0;
  let created: Json | undefined;
  const events = await streamResponseEvents(outcome, p, passThrough, save);
  const counted = (async function* () {
    for await (const e of events) {
      sequence = 'sequence' in e ? (e as { sequence: number }).sequence + 1 : sequence + 1;
      if (created === undefined && e.event === 'response.created')
        created = (JSON.parse(e.data) as { response?: Json }).response;
      yield e;
    }
  })();
  const failedEvents = async (e: GatewayError): Promise<ResponsesEvent[]> => {
    const error: ResponsesEvent = { event: 'error', data: streamErrorData(e, sequence++) };
    if (!created) return [error];
    const response: Json = {
      ...created,
      status: 'failed',
      error: { code: e.code ?? 'server_error', message: e.message },
    };
    // Stored before the client reads the end, so a retrieve right after it finds it.
    if (p.body.store !== false)
      await deps.store.save(storedResponse(p, response)).catch((err: unknown) => {
        caller.log.warn({ err, response: p.ctx.id }, 'could not store the failed response');
      });
    const failed: ResponsesEvent = {
      event: 'response.failed',
      data: JSON.stringify({ type: 'response.failed', sequence_number: sequence++, response }),
    };
    return [error, failed];
  };
  return {
    kind: 'stream',
    events: counted,
    headers: outcome.headers,
    nextSequence: () => sequence,
    failedEvents,
    timing: outcome.timing,
  };
}

/** A Responses stream's in-band error after its first event (CONTRACTS.md §3.3), as JSON. */
export function streamErrorData(e: GatewayError, sequence: number): string {
  return JSON.stringify({
    type: 'error',
    code: e.code,
    message: e.message,
    param: e.param,
    sequence_number: sequence,
  });
}
