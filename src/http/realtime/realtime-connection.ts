// One realtime session through the router: the client's WebSocket and the upstream session the
// gateway opened for it (before the client's upgrade was accepted). The upstream's frames pass as
// they came; each of the client's is read as JSON (not JSON, or nested deeper than MAX_JSON_DEPTH:
// refused with an `error` event), its key checked again (refused: close 1008), and sent on as
// the object read, written again: `response.create` admitted (else refused with an `error`
// event), `session.update`'s `model` set to the deployment's and, with the content filter on,
// `conversation.item.create`'s text and a `response.create`'s own `input` items' text filtered
// (messages' text, function calls' arguments and outputs); a `response.create` referring to an
// item the session does not hold (`item_reference`) is refused with the API's `item_not_found`;
// a `conversation.item.create` or `response.create` without an `event_id` is given the router's
// (client-events.ts tagEvent), so the upstream's refusal of it names it; an item is noted as it
// went upstream (after the filter), counted once the upstream states it (session-responses.ts).
// The upstream's events that start and end responses are read (session-responses.ts: one
// request-log record each); one it started by itself (server VAD) is admitted as it starts, and
// cancelled upstream when refused. Either
// side closing closes the other; an upstream that breaks (close 1006, 1011–1014, a socket error)
// counts against its deployment's circuit breaker. The relay it holds (realtime-relay.ts) sends
// each direction with backpressure (relay-backpressure.ts): a side that stops reading pauses the
// other, and is given up on after `realtime.maxStalledSeconds`. The session's record says why it
// ended; the router's own `error` events are built in error-event.ts.
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { GatewayError, forbidden, invalidRequest } from '../../core/errors.js';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan, tooDeepMessage } from '../../core/json-nesting.js';
import { isObject } from '../../core/is-object.js';
import type { RealtimeLink, RealtimeTurn } from '../../gateway/realtime-gateway.js';
import { targetName } from '../../gateway/gateway-types.js';
import { authAllowsDeployment, keyMayUse } from '../../gateway/request-target.js';
import type { RealtimeListener } from '../../providers/types.js';
import { toGatewayError } from '../error-handler.js';
import {
  CLIENT_CLOSED,
  CLIENT_MESSAGE_TOO_LARGE,
  POLICY_VIOLATION,
  SERVER_SHUTDOWN,
  serverShutdownError,
  upstreamEnd,
  upstreamMessageTooLarge,
} from './session-end.js';
import { filterItem, filterResponseInput, pinModel, tagEvent } from './client-events.js';
import { base64Bytes } from '../../gateway/realtime-audio.js';
import { checkSessionReferences, noteSentItems } from '../../gateway/realtime-session-items.js';
import { SessionResponses } from './session-responses.js';
import { ROUTER_SHUTDOWN } from '../websocket-shutdown.js';
import { RealtimeRelay, type RealtimeDeps } from './realtime-relay.js';

type Json = Record<string, unknown>;

export class RealtimeConnection implements RealtimeListener {
  /** The session's two sides and its end. */
  private readonly relay: RealtimeRelay;
  /** Upstream events that came before the client's socket was accepted, in order. */
  private early: string[] = [];
  /** How the upstream ended before the client's socket was accepted (run once it is). */
  private upstreamEnded: (() => void) | undefined;
  /** The client's events, one at a time in order (an admission may wait on the shared state). */
  private inbound: Promise<void> = Promise.resolve();
  private responses = 0;
  /** The `event_id`s the router gave client events that had none (tagEvent). */
  private tagged = 0;
  /** The router began shutting down before the client's socket was accepted. */
  private closing = false;

  constructor(
    private readonly request: FastifyRequest,
    private readonly deps: RealtimeDeps,
  ) {
    this.relay = new RealtimeRelay(request, deps);
  }

  /** Opens the upstream session before the client's upgrade is accepted; throws why not. */
  async connect(model: string, deploymentFromPath: boolean): Promise<void> {
    this.relay.model = model;
    // A client gone while its upgrade waits: the connecting stops, or the session is closed.
    this.request.raw.socket.once('close', () => {
      this.relay.gone.abort();
      if (!this.relay.socket) this.relay.end(CLIENT_CLOSED);
    });
    this.relay.link = await this.deps.gateway.connect(
      {
        ...this.relay.call(this.request.id),
        signal: this.relay.gone.signal,
        ...(deploymentFromPath ? { deploymentFromPath: model } : {}),
      },
      this,
    );
    const link = this.relay.link;
    this.relay.turns = new SessionResponses(this.deps.gateway, link, (id) =>
      this.unasked(link, id),
    );
    if (this.closing) {
      this.relay.end(SERVER_SHUTDOWN, SERVER_SHUTDOWN.upstream);
      throw serverShutdownError();
    }
    if (this.relay.gone.signal.aborted) this.relay.end(CLIENT_CLOSED);
  }

  /**
   * The router is shutting down: an open session ends as on ROUTER_SHUTDOWN; one still opening
   * its upstream stops (connect throws the 503), and one opened but not yet accepted ends on attach.
   */
  closeForShutdown(): void {
    if (this.relay.socket) return this.relay.endWith(SERVER_SHUTDOWN);
    this.closing = true;
    this.relay.gone.abort(serverShutdownError());
  }

  /** The client's socket, once its upgrade is accepted. */
  attach(socket: WebSocket): void {
    this.relay.socket = socket;
    const settings = this.deps.config.current.config.realtime;
    const minutes = settings.maxConnectionMinutes;
    this.relay.expireAfter(minutes);
    this.relay.watchFlow(socket, settings.maxBufferedBytes, settings.maxStalledSeconds);
    socket.on('message', (data) => {
      const text = String(data);
      this.inbound = this.inbound
        .then(() => this.fromClient(text))
        .catch((err: unknown) =>
          this.request.log.error({ err }, 'realtime: a client event failed'),
        );
    });
    // A message past maxPayload: ws has closed the client 1009 already; its `close` follows.
    socket.on('error', (err) => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        this.clientOversized();
    });
    socket.on('close', () => this.relay.end(CLIENT_CLOSED));
    socket.on(ROUTER_SHUTDOWN, () => this.relay.endWith(SERVER_SHUTDOWN));
    if (this.closing) return this.relay.endWith(SERVER_SHUTDOWN);
    for (const text of this.early) this.relay.toClient(text);
    this.early = [];
    this.upstreamEnded?.();
  }

  // RealtimeListener: the upstream's side.
  message(text: string): void {
    text = this.relay.turns?.watch(text) ?? text;
    if (this.relay.socket) this.relay.toClient(text);
    else this.early.push(text);
  }

  closed(code: number, reason: string): void {
    if (!this.relay.socket) {
      this.upstreamEnded ??= () => this.closed(code, reason);
      return;
    }
    if (this.relay.ended) return;
    const { end, normal, failed, clientCode } = upstreamEnd(code);
    if (!normal)
      this.relay.sendError(
        new GatewayError({
          status: 502,
          type: 'server_error',
          code: end.code,
          message: `The upstream realtime session ${failed ? 'broke' : 'closed'} (${code}${reason ? `: ${reason}` : ''}); open a new session.`,
        }),
      );
    if (failed && this.relay.link) {
      this.deps.gateway.failed(this.relay.link);
      this.request.log.warn(
        { deployment: this.relay.link.d.name, closeCode: code, reason },
        'realtime: the upstream session broke; counted against its circuit breaker',
      );
    }
    this.relay.end(end);
    this.relay.closeClient(clientCode, `${end.code}: ${reason || `code ${code}`}`);
  }

  /**
   * The upstream sent a message past `server.bodyLimitBytes`: not relayed, the session ends (502,
   * close 1011). It says nothing of the deployment's health: no circuit-breaker failure.
   */
  oversized(maxMessageBytes: number): void {
    if (!this.relay.socket) {
      this.upstreamEnded ??= () => this.oversized(maxMessageBytes);
      return;
    }
    if (this.relay.ended) return;
    this.request.log.warn(
      { deployment: this.relay.link?.d.name, maxMessageBytes },
      'realtime: the upstream sent a message past server.bodyLimitBytes; session closed',
    );
    this.relay.endWith(upstreamMessageTooLarge(maxMessageBytes));
  }

  /** The client sent a message past `server.bodyLimitBytes` (ws closed it 1009): recorded 413. */
  private clientOversized(): void {
    const { bodyLimitBytes } = this.deps.config.current.config.server;
    const where = { deployment: this.relay.link?.d.name, maxMessageBytes: bodyLimitBytes };
    this.request.log.warn(where, 'realtime: the client sent a message past server.bodyLimitBytes');
    this.relay.end(CLIENT_MESSAGE_TOO_LARGE);
  }

  /**
   * A response the upstream started by itself (server VAD): recorded, and admitted as a
   * `response.create` is, in turn with the client's events; one refused is cancelled upstream
   * (`response.cancel`) and the client gets the refusal as an `error` event. Before 2026-12-06
   * such responses were never admitted: a session with server VAD went on talking past the
   * key's RPM and budget, and after its key was revoked (security audit F5).
   */
  private unasked(link: RealtimeLink, id?: unknown): RealtimeTurn {
    const turn = this.deps.gateway.startResponse(
      link,
      this.relay.call(`${this.request.id}.rt${++this.responses}`),
    );
    if (id !== undefined)
      this.inbound = this.inbound
        .then(() => this.admitStarted(link, turn, id))
        .catch((err: unknown) =>
          this.request.log.error({ err }, 'realtime: admitting a response failed'),
        );
    return turn;
  }

  private async admitStarted(link: RealtimeLink, turn: RealtimeTurn, id: unknown): Promise<void> {
    if (this.relay.ended || !(await this.keyAccepted())) return;
    try {
      await this.deps.gateway.admitStarted(link, turn);
    } catch (err) {
      const e = toGatewayError(err);
      if (e.status >= 500) this.request.log.error({ err: e.cause ?? e, code: e.code }, e.message);
      if (this.relay.ended) return;
      this.relay.toUpstream(link, JSON.stringify({ type: 'response.cancel', response_id: id }));
      this.relay.sendError(e);
    }
  }

  /** One client event: read where it must be, then sent on (or refused in-band). */
  private async fromClient(text: string): Promise<void> {
    const link = this.relay.link;
    if (!link || this.relay.ended) return;
    // Every event is read, and what goes upstream is the JSON the router read, written again:
    // picked out by its text, an event with its type escaped (`"response\u002ecreate"`) or given
    // twice went upstream unread, and with it a response no limit, budget, revoked key or content
    // filter saw (security audit F0, 2026-12-06). Nested deeper than any real event it is refused
    // first: what reads it recurses (core/json-nesting.ts).
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH))
      return this.relay.sendError(
        invalidRequest(tooDeepMessage('event', 'one'), null, 'invalid_json'),
      );
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      return this.relay.sendError(
        invalidRequest(
          'The event is not valid JSON: send each event as one JSON object.',
          null,
          'invalid_json',
        ),
      );
    }
    if (!isObject(event))
      return this.relay.sendError(
        invalidRequest('Each event must be a JSON object with a "type".', null, 'invalid_event'),
      );
    // The client's own event_id, which the router's `error` events name.
    const eventId = event.event_id;
    let out: Json = event;
    try {
      // The key again, on every event (a hash and a lookup): a key revoked, expired or moved out
      // of its allowedIps ends the session it opened before its next event goes upstream.
      if (!(await this.keyAccepted(eventId))) return;
      if (event.type === 'response.create') {
        // Its own input items are what it reads: filtered as conversation.item.create's are
        // (before 2026-12-07 they went upstream unfiltered), and before it is admitted; what
        // is counted of it is what goes upstream (until 2026-12-07, the text before redaction).
        out = tagEvent(event, ++this.tagged);
        if (this.filterOn())
          out = (await filterResponseInput(out, (t) => this.filterText(link, t))) ?? out;
        // A reference reads as the item it points to (charged so if stopped): one the session
        // does not hold, never added, deleted, refused by the upstream or blocked by the
        // filter, goes nowhere.
        checkSessionReferences(link, out.response);
        await this.admit(link, out);
      } else if (event.type === 'session.update') out = pinModel(link, event) ?? event;
      else if (event.type === 'conversation.item.create') {
        out = tagEvent(event, ++this.tagged);
        if (this.filterOn()) out = (await filterItem(out, (t) => this.filterText(link, t))) ?? out;
        // Part of what the next response reads (charged if stopped) once the upstream adds it.
        this.deps.gateway.noteItem(link, out.item, out.event_id);
      } else if (event.type === 'input_audio_buffer.append')
        this.deps.gateway.noteAudioAppended(link, base64Bytes(event.audio));
      else if (event.type === 'input_audio_buffer.clear')
        this.deps.gateway.noteAudioAppended(link, 0, true);
    } catch (err) {
      const e = toGatewayError(err);
      if (e.status >= 500) this.request.log.error({ err: e.cause ?? e, code: e.code }, e.message);
      return this.relay.sendError(e, eventId);
    }
    if (!this.relay.ended) this.relay.toUpstream(link, JSON.stringify(out));
  }

  /**
   * Is the upgrade's key still accepted, for this session's model? When it is not (revoked,
   * expired, out of its allowedIps, or its scopes, modelSubset or tenant changed by a config
   * reload so that it may no longer use the model), the client gets the refusal and the session
   * ends (close 1008).
   */
  private async keyAccepted(eventId?: unknown): Promise<boolean> {
    const authenticator = this.deps.authenticator;
    if (!authenticator) return true;
    try {
      const auth = await authenticator.authenticate(this.request.headers, this.request.ip);
      const link = this.relay.link;
      // Before 2026-12-07 only the key's validity was checked again here: a key narrowed by a
      // reload went on using the model for the rest of its session (tenancy audit, h4).
      if (
        link &&
        (auth.tenant !== this.request.auth.tenant ||
          !keyMayUse(auth, link.target) ||
          !authAllowsDeployment(auth, link.target, link.d.name))
      )
        throw forbidden(
          `This API key may no longer use "${targetName(link.target)}": its scopes, modelSubset or tenant changed since the session opened. Open a new session with a model GET /v1/models lists.`,
        );
      return true;
    } catch (err) {
      const e = toGatewayError(err);
      if (e.status !== 401 && e.status !== 403) throw err;
      if (this.relay.ended) return false;
      this.relay.sendError(e, eventId);
      const code = e.code ?? 'unauthorized';
      this.relay.end({ code, responseStatus: e.status, sessionStatus: e.status });
      this.relay.closeClient(POLICY_VIOLATION, `${code}: the key is no longer accepted`);
      return false;
    }
  }

  /** `response.create` (its key checked as every event's is): the response admitted or refused. */
  private async admit(link: RealtimeLink, event: Json): Promise<void> {
    const turn = await this.deps.gateway.admitResponse(
      link,
      this.relay.call(`${this.request.id}.rt${++this.responses}`),
      event.response,
    );
    this.relay.turns?.admitted(turn, event.event_id);
    // Its own input items may be referred to by id later (counted as they went upstream).
    const params = isObject(event.response) ? event.response : {};
    if (Array.isArray(params.input)) noteSentItems(link, params.input, event.event_id);
  }

  private filterOn(): boolean {
    return this.deps.config.current.config.contentFilter.enabled;
  }

  private filterText(link: RealtimeLink, text: string): Promise<string> {
    return this.deps.gateway.filterText(link, this.relay.call(this.request.id), text);
  }
}
