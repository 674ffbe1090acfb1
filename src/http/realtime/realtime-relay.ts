// The relay under a realtime session, held by its RealtimeConnection (realtime-connection.ts): the
// client's socket and the upstream session, frames sent each way with backpressure
// (relay-backpressure.ts: a side that stops reading pauses the other, and is given up on after
// `realtime.maxStalledSeconds`), the router's own `error` events (error-event.ts), and the
// session's end, which closes both sides and says why in the session's record.
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConfigHolder } from '../../config/runtime-config.js';
import { GatewayError } from '../../core/errors.js';
import type {
  RealtimeCall,
  RealtimeGateway,
  RealtimeLink,
} from '../../gateway/realtime-gateway.js';
import type { Authenticator } from '../auth-hook.js';
import { flowSummary, relayBackpressure, type Backpressure } from './relay-backpressure.js';
import {
  closeReason,
  NORMAL,
  sessionExpired,
  stalled,
  type Ending,
  type SessionEnd,
} from './session-end.js';
import type { SessionResponses } from './session-responses.js';
import { Refused, errorEventText } from './error-event.js';

export interface RealtimeDeps {
  gateway: RealtimeGateway;
  config: ConfigHolder;
  /** Checks the upgrade's key again before each response, as the Responses WebSocket does. */
  authenticator?: Authenticator;
  /** Told each time a session stops reading one side (backpressure; a metric). */
  onPause?(deployment: string, paused: 'client' | 'upstream'): void;
}

const OPEN = 1; // WebSocket.OPEN

/**
 * A realtime session's two sides and its end. Its RealtimeConnection sets the sides as they open
 * and reads the frames (the client's events, the upstream's responses); the relay sends them.
 */
export class RealtimeRelay {
  /** The client's socket, once its upgrade is accepted. */
  socket: WebSocket | undefined;
  /** The upstream session, once the gateway has opened it. */
  link: RealtimeLink | undefined;
  /** The session's responses, read from the upstream's events once the session is open. */
  turns: SessionResponses | undefined;
  /** The model the upgrade named. */
  model = '';
  /** Aborted when the client is gone (or the router shuts down before the session is accepted). */
  readonly gone = new AbortController();
  private events = 0;
  private timer: NodeJS.Timeout | undefined;
  private over = false;
  /** Frames to the client (the upstream paused when it lags) and to the upstream (the reverse). */
  private toClientFlow: Backpressure | undefined;
  private toUpstreamFlow: Backpressure | undefined;

  constructor(
    private readonly request: FastifyRequest,
    private readonly deps: RealtimeDeps,
  ) {}

  /** Whether the session is over (end has run). */
  get ended(): boolean {
    return this.over;
  }

  /** Ends the session as expired after `realtime.maxConnectionMinutes`. */
  expireAfter(minutes: number): void {
    this.timer = setTimeout(() => this.expire(minutes), minutes * 60_000);
  }

  /** Backpressure both ways, from the connection's settings (read as it opens). */
  watchFlow(socket: WebSocket, highWaterBytes: number, seconds: number): void {
    const flow = relayBackpressure(
      { client: socket, upstream: this.link?.session ?? {} },
      { highWaterBytes, stallMs: seconds * 1000 },
      {
        pause: (side) => this.link && this.deps.onPause?.(this.link.d.name, side),
        stall: (side, bytes) => this.stall(side, bytes, highWaterBytes, seconds),
      },
    );
    this.toClientFlow = flow.toClient;
    this.toUpstreamFlow = flow.toUpstream;
  }

  /** One side has not read for `realtime.maxStalledSeconds`: the session is given up. */
  private stall(
    side: 'client' | 'upstream',
    bytes: number,
    highWaterBytes: number,
    seconds: number,
  ): void {
    if (this.ended) return;
    this.request.log.warn(
      { deployment: this.link?.d.name, bufferedBytes: bytes, maxBufferedBytes: highWaterBytes },
      `realtime: the ${side} read nothing for ${seconds} s with ${bytes} bytes queued; session closed`,
    );
    this.endWith(stalled(side, seconds, bytes));
  }

  /**
   * Ends the session as the router decided: the client gets the `error` event saying why (unless
   * it ended already), then its close; the upstream session is closed.
   */
  endWith(ending: Ending): void {
    const { code, responseStatus: status, type, message } = ending;
    if (!this.ended) this.sendError(new GatewayError({ status, type, code, message }));
    this.end(ending, ending.upstream);
    this.closeClient(ending.closeCode, `${code}: ${ending.closeText}`);
  }

  /** Closes the client's socket (reading again, so its closing frame is heard). */
  closeClient(code: number, reason: string): void {
    const socket = this.socket;
    if (socket?.readyState !== OPEN) return;
    socket.resume();
    socket.close(code, closeReason(reason));
  }

  /** What the gateway needs of the session for one call. */
  call(requestId: string): RealtimeCall {
    return {
      model: this.model,
      auth: this.request.auth,
      headers: this.request.headers,
      signal: this.gone.signal,
      requestId,
    };
  }

  /** A frame to the client while its socket is open, counted by the backpressure toward it. */
  toClient(text: string): void {
    if (this.socket?.readyState !== OPEN) return;
    const flow = this.toClientFlow;
    this.socket.send(text, () => flow?.written());
    flow?.queued();
  }

  /** A frame to the upstream session, counted by the backpressure toward it. */
  toUpstream(link: RealtimeLink, text: string): void {
    const flow = this.toUpstreamFlow;
    link.session.send(text, () => flow?.written());
    flow?.queued();
  }

  /** OpenAI's realtime `error` event (error-event.ts), naming the client's event. */
  sendError(e: GatewayError, eventId?: unknown): void {
    if (e instanceof Refused) return;
    this.toClient(errorEventText(e, ++this.events, eventId));
  }

  private expire(minutes: number): void {
    this.endWith(sessionExpired(minutes));
  }

  /**
   * The session is over: responses still open are recorded (no usage came), then the session's
   * own record; the upstream session is closed (with `upstream`'s code), and so are the timers.
   */
  end(why: SessionEnd, upstream = { code: NORMAL, reason: 'the client session ended' }): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.timer);
    this.toClientFlow?.stop();
    this.toUpstreamFlow?.stop();
    const link = this.link;
    if (!link) return;
    this.turns?.cut(why.responseStatus, why.code);
    this.deps.gateway.finishSession(link, why.sessionStatus, why.code);
    const flow = flowSummary(this.toClientFlow, this.toUpstreamFlow);
    if (flow)
      this.request.log.info(
        { deployment: link.d.name, ...flow },
        'realtime: backpressure paused reading in this session',
      );
    link.session.close(upstream.code, upstream.reason);
  }
}
