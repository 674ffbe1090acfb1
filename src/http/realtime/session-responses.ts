// The responses of one realtime session (realtime-connection.ts), from the upstream's events:
// each admitted `response.create` waits for the upstream's `response.created`, is open until its
// `response.done` (one request-log record, from its usage) or is refused by an `error` event naming
// it. A response the upstream starts by itself (server VAD) is recorded too. When the session ends
// first, the responses still waiting or open are recorded with the session's ending, charged their
// input and the output deltas the client was sent of them; what the upstream sends after that
// records nothing. A response's first output (its time to first token) is its own first delta.
// The items the upstream states, commits, streams audio for, truncates or deletes are noted too
// (by id: what a reference to one is charged, and what the conversation holds or loses), and
// those whose event it refuses forgotten.
import { isObject } from '../../core/is-object.js';
import { noteOutputDelta } from '../../gateway/realtime-audio.js';
import {
  noteEventRefused,
  noteItemDeleted,
  noteItemTruncated,
  noteOutputAudio,
  noteStatedItem,
} from '../../gateway/realtime-session-items.js';
import { untagError } from './client-events.js';
import type {
  RealtimeGateway,
  RealtimeLink,
  RealtimeTurn,
} from '../../gateway/realtime-gateway.js';

/**
 * Upstream events that start and end responses, commit the client's audio, state the session's
 * audio formats or state, truncate and delete its items; any other passes unparsed but output
 * deltas.
 */
const READ_FROM_UPSTREAM = [
  '"response.created"',
  '"response.done"',
  '"error"',
  '"input_audio_buffer.committed"',
  '"session.created"',
  '"session.updated"',
  '"conversation.item.',
  '"response.output_item.added"',
  '"response.output_item.done"',
];

/** Upstream events stating one item whole or in part (`item`): openapi.yaml RealtimeServerEvent*. */
const STATE_AN_ITEM = new Set([
  'conversation.item.added',
  'conversation.item.created',
  'conversation.item.done',
  'conversation.item.retrieved',
  'response.output_item.added',
  'response.output_item.done',
]);

export class SessionResponses {
  /** Admitted responses the upstream has not yet answered with `response.created`. */
  private readonly queued: (RealtimeTurn & { eventId: unknown })[] = [];
  private readonly open = new Map<unknown, RealtimeTurn>();
  /** The session ended (cut): what the upstream still sends records nothing. */
  private over = false;

  constructor(
    private readonly gateway: RealtimeGateway,
    private readonly link: RealtimeLink,
    /**
     * Starts the record of a response the client did not ask for; `id` when it has just been
     * created (so it can still be admitted, or cancelled), none when it is already done.
     */
    private readonly unasked: (id?: unknown) => RealtimeTurn,
  ) {}

  /** A `response.create` the gateway admitted, sent on as the client's event `eventId`. */
  admitted(turn: RealtimeTurn, eventId: unknown): void {
    this.queued.push({ ...turn, eventId });
  }

  /**
   * One upstream event: deltas time the first output and are counted to their response (what a
   * response stopped before its done is charged); the rest only pass. Answers the text to relay:
   * `text`, but for an `error` naming an `event_id` the router gave the client's event, which the
   * client gets as it sent it (none: null).
   */
  watch(text: string): string {
    // The upstream's events already on the wire as the session ended (ws emits them until its
    // close handshake completes): a `response.done` for a response the end recorded (a cancel
    // and the client gone at once) became a second record, charged twice, until 2026-12-08.
    if (this.over) return text;
    // A delta names its type first.
    const head = text.length > 256 ? text.slice(0, 256) : text;
    if (head.includes('.delta"')) {
      this.countDelta(text);
      return text;
    }
    if (!READ_FROM_UPSTREAM.some((n) => text.includes(n))) return text;
    const event = eventOf(text);
    if (!event) return text;
    const response = isObject(event.response) ? event.response : {};
    if (typeof event.type === 'string' && STATE_AN_ITEM.has(event.type)) {
      // Announced by the response first (`response.output_item.added`), its output is known as
      // the upstream's own when the conversation states it; the client's items are counted then.
      noteStatedItem(this.link, event.item, event.type);
    } else if (event.type === 'conversation.item.deleted') {
      noteItemDeleted(this.link, event.item_id);
    } else if (event.type === 'conversation.item.truncated') {
      noteItemTruncated(this.link, event.item_id, event.audio_end_ms);
    } else if (event.type === 'input_audio_buffer.committed') {
      this.gateway.noteAudioCommitted(this.link, event.item_id);
    } else if (event.type === 'session.created' || event.type === 'session.updated') {
      this.gateway.noteSession(this.link, event.session);
    } else if (event.type === 'response.created') {
      const turn = this.queued.shift() ?? this.unasked(response.id);
      // What it reads is the conversation now: what is added while it runs is not in its usage.
      turn.readFrom = { ...this.link.conversation };
      this.open.set(response.id, turn);
    } else if (event.type === 'response.done') {
      const turn = this.open.get(response.id) ?? this.queued.shift() ?? this.unasked();
      this.open.delete(response.id);
      const details = isObject(response.status_details) ? response.status_details : {};
      const failure = isObject(details.error) ? details.error : {};
      if (response.status === 'completed') this.gateway.served(this.link);
      if (response.status === 'failed')
        this.gateway.finishResponse(
          this.link,
          turn,
          response.usage,
          502,
          typeof failure.code === 'string' ? failure.code : 'response_failed',
        );
      // Cancelled (the client's `response.cancel`, or its speech cutting in with server VAD): as
      // a chat stream the client stops, 499 `client_closed_request`, charged its usage; no
      // failure of the deployment (before 2026-12-07: a 200).
      else if (response.status === 'cancelled')
        this.gateway.finishResponse(this.link, turn, response.usage, 499, 'client_closed_request');
      else this.gateway.finishResponse(this.link, turn, response.usage, 200);
    } else if (event.type === 'error' && isObject(event.error)) {
      // The upstream refused the client's event it names: the items it carried were not added;
      // a response.create's response never started.
      const refused = event.error.event_id;
      noteEventRefused(this.link, refused);
      const at = refused ? this.queued.findIndex((t) => t.eventId === refused) : -1;
      if (at >= 0) {
        const [turn] = this.queued.splice(at, 1);
        const code = event.error.code;
        this.gateway.finishResponse(
          this.link,
          turn!,
          undefined,
          400,
          typeof code === 'string' ? code : 'upstream_error',
        );
      }
      return untagError(event) ?? text;
    }
    return text;
  }

  /**
   * An output delta, to its response (by `response_id`; one naming none, to the one open): its
   * first output, timed, and what it sent. Until 2026-12-08 any delta timed the first output of
   * every response open, so one running beside another (out of band) took the other's.
   */
  private countDelta(text: string): void {
    if (this.open.size === 0) return;
    const event = eventOf(text);
    if (!event) return;
    // The audio is kept by item too: what a reference to it, or its truncation, reads.
    if (event.type === 'response.output_audio.delta' || event.type === 'response.audio.delta')
      noteOutputAudio(this.link, event.item_id, event.delta);
    const id = event.response_id;
    const turn =
      id === undefined
        ? this.open.size === 1
          ? this.open.values().next().value
          : undefined
        : this.open.get(id);
    if (turn && noteOutputDelta(turn.output, event)) this.gateway.firstOutput(turn);
  }

  /**
   * The session ended: the responses still waiting or open are recorded (no usage came), each
   * charged its input as sent (RealtimeGateway.finishResponse `stopped`); nothing the upstream
   * sends after this is recorded.
   */
  cut(status: number, code: string): void {
    this.over = true;
    for (const turn of [...this.open.values(), ...this.queued.splice(0)])
      this.gateway.finishResponse(this.link, turn, undefined, status, code, true);
    this.open.clear();
  }
}

/** An upstream message as a JSON object; undefined for one that is not. */
function eventOf(text: string): Record<string, unknown> | undefined {
  try {
    const event: unknown = JSON.parse(text);
    return isObject(event) ? event : undefined;
  } catch {
    return undefined;
  }
}
