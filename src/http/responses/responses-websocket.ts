// The Responses API's WebSocket mode (OpenAI's guide "WebSocket mode"; the `openai` SDK's
// `ResponsesWS`): `GET /v1/responses` upgraded, authenticated as `POST /v1/responses` is (the
// app's auth hook runs on the upgrade, so a bad key is refused with the 401 before it). Each
// `response.create` event runs the foreground path of a streamed POST (foreground-response.ts)
// and its events go out one JSON message each; a failure is an `error` event and the connection
// stays usable. Turns run one at a time per `stream_id` lane (FIFO). The latest response of each
// lane is kept in memory, so `previous_response_id` continues it on this connection even with
// `store: false`; a failed turn drops the responses it touched, closing drops them all.
import type { RouterFiles } from '../../files/router-files.js';
import { withInputFiles } from './resolve-input-files.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth-hook.js';
import type { WebSocket } from 'ws';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, tooDeepMessage } from '../../core/json-nesting.js';
import { isObject } from '../../core/is-object.js';
import type { AuthContext } from '../../gateway/gateway-types.js';
import type { RequestTiming } from '../../gateway/request-timing.js';
import type { ConversationObjectStore } from '../../store/conversation-object-store.js';
import type { StoredResponse } from '../../store/response-store.js';
import { toGatewayError } from '../error-handler.js';
import {
  runForegroundResponse,
  streamErrorData,
  type ForegroundDeps,
  type ResponseCaller,
} from './foreground-response.js';
import type { Json } from './responses-convert.js';
import { PREWARM, warmUpResponse, wholeResponseEvents } from './prewarm-response.js';
import { isPrewarm } from '../prompt-cache-options.js';
import { type ResponsesEvent } from './responses-stream.js';
import { prepareResponse, type PreparedResponse } from './responses-run.js';
import { sendWebSocketEvents, sendWebSocketText } from './websocket-sender.js';

export interface ResponsesWebSocketDeps extends ForegroundDeps {
  conversations: ConversationObjectStore;
  /** Checks the upgrade's key again before each turn, so a key revoked, expired or moved out of
   * its `allowedIps` stops working on open connections too. Without it the upgrade's check holds. */
  authenticator?: Authenticator;
  /** The router's uploaded files, which input parts may name. */
  files?: RouterFiles;
}

/** Turns queued or running on one connection, over all its lanes, beyond which one is refused. */
const MAX_PENDING_TURNS = 32;
/** Lanes whose latest response a connection keeps (the least recently answered is dropped). */
const MAX_KEPT_LANES = 32;
/** Close code once the connection's key is refused (RFC 6455 §7.4.1 "policy violation"): not
 * recoverable by reconnecting with the same key. */
const POLICY_VIOLATION = 1008;
/** Close code of a connection past its time limit, or of a router shutting down: "going away"
 * (RFC 6455 §7.4.1), which the SDK's opt-in reconnect treats as recoverable. */
export const GOING_AWAY = 1001;

/** Mounts the WebSocket handler on `GET {prefix}/responses`; a plain GET keeps its 404. */
export function registerResponsesWebSocket(
  app: FastifyInstance,
  deps: ResponsesWebSocketDeps,
  prefixes: readonly string[],
): void {
  for (const prefix of prefixes)
    app.route({
      method: 'GET',
      url: `${prefix}/responses`,
      // The app refuses an upgrade to any route without this (app.ts).
      config: { webSocket: true },
      handler: (_request, reply) => reply.callNotFound(),
      wsHandler: (socket, request) => new ResponsesConnection(socket, request, deps).start(),
    });
}

/** One WebSocket connection: its lanes, its kept responses and its time limit. */
class ResponsesConnection {
  private readonly lanes = new Map<string, Promise<void>>();
  /** The latest response of each lane, whatever `store` said (insertion order: oldest first). */
  private readonly kept = new Map<string, StoredResponse>();
  private readonly closed = new AbortController();
  private pending = 0;
  private turns = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly request: FastifyRequest,
    private readonly deps: ResponsesWebSocketDeps,
  ) {}

  start(): void {
    const minutes = this.deps.config.current.config.responses.websocket.maxConnectionMinutes;
    this.timer = setTimeout(() => this.expire(minutes), minutes * 60_000);
    this.socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.socket.on('close', () => {
      // Aborts the upstream calls of the turns running, as a closed SSE client does.
      this.closed.abort();
      clearTimeout(this.timer);
      this.kept.clear();
    });
  }

  private expire(minutes: number): void {
    this.sendError(
      new GatewayError({
        status: 400,
        type: 'invalid_request_error',
        code: 'websocket_connection_limit_reached',
        message: `This WebSocket connection reached its limit of ${minutes} minutes (responses.websocket.maxConnectionMinutes); open a new connection to continue.`,
      }),
    );
    this.socket.close(GOING_AWAY, 'websocket_connection_limit_reached: open a new connection');
  }

  private receive(data: unknown, isBinary: boolean): void {
    let event: unknown;
    let text: string;
    try {
      if (isBinary) throw new SyntaxError('a binary frame');
      text = String(data);
      event = JSON.parse(text);
    } catch {
      return this.sendError(
        invalidRequest(
          'Each message must be a JSON object in a text frame, such as {"type": "response.create", "model": …, "input": …}.',
          null,
          'invalid_json',
        ),
      );
    }
    // As the HTTP body parser: what reads an event after it recurses (json-nesting.ts).
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH))
      return this.sendError(invalidRequest(tooDeepMessage('message', 'one'), null, 'invalid_json'));
    if (!isObject(event) || typeof event.type !== 'string')
      return this.sendError(
        invalidRequest(
          "Each message must be a JSON object with a string 'type'.",
          'type',
          'invalid_type',
        ),
      );
    if (event.type === 'response.steer') return this.refuseSteer(event);
    if (event.type !== 'response.create')
      return this.sendError(
        invalidRequest(
          `Unknown event type "${event.type}": this endpoint accepts "response.create" (and "response.steer", which this router does not support).`,
          'type',
          'unknown_event_type',
        ),
      );
    const streamId = event.stream_id;
    if (streamId !== undefined && (typeof streamId !== 'string' || streamId === ''))
      return this.sendError(
        invalidRequest("'stream_id' must be a non-empty string.", 'stream_id', 'invalid_type'),
      );
    if (this.pending >= MAX_PENDING_TURNS)
      return this.sendError(
        new GatewayError({
          status: 429,
          type: 'rate_limit_error',
          code: 'too_many_pending_responses',
          message: `${MAX_PENDING_TURNS} responses are already queued or running on this connection; wait for one to finish.`,
        }),
        streamId,
      );
    this.enqueue(streamId ?? '', () => this.runTurn(event, streamId));
  }

  /** Runs `turn` after the lane's earlier turns (FIFO); lanes run side by side. */
  private enqueue(lane: string, turn: () => Promise<void>): void {
    this.pending++;
    const tail = (this.lanes.get(lane) ?? Promise.resolve()).then(turn).finally(() => {
      this.pending--;
      if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
    });
    this.lanes.set(lane, tail);
  }

  /** One `response.create`; never throws (a failure is an `error` event). */
  private async runTurn(event: Json, streamId: string | undefined): Promise<void> {
    if (this.closed.signal.aborted) return;
    const lane = streamId ?? '';
    const { type: _type, stream_id: _streamId, generate, stream: _stream, ...fields } = event;
    void [_type, _streamId, _stream];
    let p: PreparedResponse | undefined;
    try {
      // The guide: `stream` and `background` are transport fields not used here; the events
      // always stream, and background mode is not offered over a WebSocket.
      if (fields.background === true)
        throw invalidRequest(
          "'background: true' is not supported in WebSocket mode: leave it out (the response streams on this connection), or use POST /v1/responses.",
          'background',
          'unsupported_parameter',
        );
      if (generate !== undefined && typeof generate !== 'boolean')
        throw invalidRequest("'generate' must be a boolean.", 'generate', 'invalid_type');
      const auth = await this.authenticate(streamId);
      if (auth === undefined) return;
      p = await prepareResponse(
        await withInputFiles({ ...fields, stream: true }, auth.tenant, this.deps.files),
        auth.tenant,
        this.deps.store,
        this.deps.conversations,
        false,
        (id) => this.find(id),
      );
      const caller: ResponseCaller = {
        auth,
        headers: this.request.headers,
        // The upgrade's request id and the turn's number: the request log's record of a
        // WebSocket turn (`req_….ws3`), which also tells it from an HTTP request's.
        id: `${this.request.id}.ws${++this.turns}`,
        log: this.request.log,
        signal: this.closed.signal,
        keep: (stored) => this.keep(lane, stored),
      };
      let events: AsyncIterable<ResponsesEvent>;
      let nextSequence = () => 0;
      let timing: RequestTiming | undefined;
      // `prompt_cache_options.prewarm: true` overrides `generate` to false (openai-node 7.60).
      const prewarm = isPrewarm(p.body);
      if (generate === false || prewarm)
        events = wholeResponseEvents(
          await warmUpResponse(this.deps, p, caller, prewarm ? PREWARM : 'generate'),
        );
      else {
        const outcome = await runForegroundResponse(this.deps, caller, p);
        if (outcome.kind === 'json') events = wholeResponseEvents(outcome.response);
        else ({ events, nextSequence, timing } = outcome);
      }
      const failure = await sendWebSocketEvents(this.socket, events, streamId, timing);
      if (failure) {
        this.forget(lane, fields.previous_response_id);
        this.sendText(streamErrorData(failure, nextSequence()), streamId);
      }
    } catch (err) {
      this.forget(lane, fields.previous_response_id);
      const e = toGatewayError(err);
      if (e.status >= 500) this.request.log.error({ err: e.cause ?? e, code: e.code }, e.message);
      this.sendError(e, streamId);
    } finally {
      await p?.conversation?.release().catch((err: unknown) => {
        this.request.log.warn({ err, response: p?.ctx.id }, 'could not release the conversation');
      });
    }
  }

  /**
   * The caller as the key stands now (the upgrade's headers checked again), or undefined when the
   * key is refused: the client gets the 401/403 as an `error` event and the connection closes.
   */
  private async authenticate(streamId: string | undefined): Promise<AuthContext | undefined> {
    const authenticator = this.deps.authenticator;
    if (!authenticator) return this.request.auth;
    try {
      return await authenticator.authenticate(this.request.headers, this.request.ip);
    } catch (err) {
      const e = toGatewayError(err);
      if (e.status !== 401 && e.status !== 403) throw err;
      this.sendError(e, streamId);
      this.socket.close(
        POLICY_VIOLATION,
        `${e.code ?? 'unauthorized'}: the key is no longer accepted`,
      );
      return undefined;
    }
  }

  /** A response `previous_response_id` may name on this connection. */
  private find(id: string): StoredResponse | undefined {
    for (const stored of this.kept.values()) if (stored.id === id) return stored;
    return undefined;
  }

  private keep(lane: string, stored: StoredResponse): void {
    this.kept.delete(lane);
    this.kept.set(lane, stored);
    if (this.kept.size > MAX_KEPT_LANES) this.kept.delete(this.kept.keys().next().value!);
  }

  /** After a failed turn: its lane's latest response and the one it continued are dropped. */
  private forget(lane: string, previousId: unknown): void {
    this.kept.delete(lane);
    for (const [key, stored] of this.kept) if (stored.id === previousId) this.kept.delete(key);
  }

  /**
   * `response.steer` is not supported here: answered with OpenAI's `response.steer.failed`
   * (`steering_not_supported`, the input returned), which a steering client waits for.
   */
  private refuseSteer(event: Json): void {
    const previousId = event.previous_response_id;
    this.sendText(
      JSON.stringify({
        type: 'response.steer.failed',
        sequence_number: 0,
        steer: {
          previous_response_id: typeof previousId === 'string' ? previousId : '',
          input: event.input ?? null,
        },
        error: {
          type: 'invalid_request_error',
          code: 'steering_not_supported',
          message:
            'This router does not support response.steer. Send the input in a new response.create with previous_response_id once the response has finished.',
        },
      }),
    );
  }

  /** An error outside a response's stream: OpenAI's WebSocket `error` event with its status. */
  private sendError(e: GatewayError, streamId?: string): void {
    const headers = Object.keys(e.headers).length > 0 ? { headers: e.headers } : {};
    this.sendText(
      JSON.stringify({
        type: 'error',
        status: e.status,
        error: { ...e.toEnvelope().error, ...headers },
      }),
      streamId,
    );
  }

  private sendText(data: string, streamId?: string): void {
    void sendWebSocketText(this.socket, data, streamId);
  }
}
