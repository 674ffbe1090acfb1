// What realtime conversation items read as input, estimated, for a response cut off before its
// `response.done` (realtime-cost.ts stoppedResponseCost): the items a client adds to the
// conversation (`conversation.item.create`) and those a `response.create` gives its response as
// its own `input` (openapi.yaml RealtimeConversationItem: messages, function calls and their
// outputs), where an `item_reference` (the `openai` SDK's ResponseItemReference: "an existing item
// in the same Realtime session") reads as the item it points to. The session's items are kept by
// id (SessionItems) as far as counting needs: what each reads as, an assistant's streamed audio,
// what a truncation left; nothing is decoded.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import {
  audioTokens,
  base64Bytes,
  INPUT_AUDIO_TOKENS_PER_SECOND,
  OUTPUT_AUDIO_TOKENS_PER_SECOND,
  type RealtimeAudioRates,
} from './realtime-audio.js';
import type { RealtimeConversation } from './realtime-cost.js';

/** ≈4 characters a token, as the router estimates text without a tokenizer; 0 for a non-string. */
const textTokens = (text: unknown): number =>
  typeof text === 'string' ? Math.ceil(text.length / 4) : 0;

/**
 * Adds what `item` reads as input to `into`: a message's text parts (`input_text`, `text`,
 * `output_text`), a user's `input_audio` at the session's input format and 10 tokens a second,
 * an assistant's `output_audio` at its output format and 20 a second (OpenAI's guide to Realtime
 * costs: a token per 100 ms of a user's audio, per 50 ms of the assistant's), else its transcript
 * as text; a function call's name and arguments; a function call's output. An input audio's
 * `transcript` is not counted ("not sent to the model"), nor are images or MCP items, so the
 * estimate can be short. A reference (`item_reference`) counts nothing here: itemsInput reads it.
 */
export function addItemInput(
  into: RealtimeConversation,
  item: unknown,
  rates: RealtimeAudioRates,
): RealtimeConversation {
  if (!isObject(item)) return into;
  if (item.type === 'function_call') {
    into.textTokens += textTokens(item.name) + textTokens(item.arguments);
  } else if (item.type === 'function_call_output') {
    into.textTokens += textTokens(item.output);
  } else if (item.type === 'message' && Array.isArray(item.content)) {
    for (const part of item.content) {
      if (!isObject(part)) continue;
      if (part.type === 'input_audio')
        into.audioTokens += audioTokens(
          base64Bytes(part.audio),
          rates.input,
          INPUT_AUDIO_TOKENS_PER_SECOND,
        );
      else if (part.type === 'output_audio' || part.type === 'audio') {
        const bytes = base64Bytes(part.audio);
        if (bytes > 0)
          into.audioTokens += audioTokens(bytes, rates.output, OUTPUT_AUDIO_TOKENS_PER_SECOND);
        else into.textTokens += textTokens(part.transcript);
      } else into.textTokens += textTokens(part.text);
    }
  }
  return into;
}

/** One item of the session as SessionItems keeps it. */
interface KnownItem extends RealtimeConversation {
  /** Bytes of the assistant's audio the upstream streamed for it (its output audio deltas). */
  outputAudioBytes: number;
  /** An assistant's audio message (a part `output_audio` / `audio`, or audio deltas). */
  spoken: boolean;
  /** The audio tokens a `conversation.item.truncate` left it. */
  truncatedTo?: number;
}

/** Items sent the upstream has neither stated nor refused, kept at most: the oldest go. */
const MAX_SENT_ITEMS = 256;
/** A client's item id longer than this is not kept (OpenAI's ids are far shorter). */
const MAX_ID_CHARS = 512;

/** An item the client sent, as the router sent it on, until the upstream states or refuses it. */
interface SentItem {
  /** The id the client gave it (none, or one too long to keep: the upstream names it). */
  id?: string;
  /** The client event that carried it (its `event_id` as sent upstream): what a refusal names. */
  eventId?: string;
  /** Sent by `conversation.item.create`: part of the conversation once the upstream states it. */
  added: boolean;
  /** Its `type` (`message`, `function_call`…): an id-less item is matched to a statement of one. */
  type: unknown;
  known: KnownItem;
}

/** The upstream events that state an item the client asked to add is in the conversation. */
const ADDED = new Set([
  'conversation.item.added',
  'conversation.item.created',
  'conversation.item.done',
]);

/**
 * The session's items by id, each as it reads as input (addItemInput), for references to them:
 * those the upstream stated, and a bounded few the client sent that it has neither stated nor
 * refused (yet), so a client cannot grow the router's memory with items the upstream refuses. An
 * item the client adds counts in the conversation only once the upstream states it
 * (`conversation.item.added`, the beta's `.created`, or `.done`: note answers its count then),
 * and is forgotten when the upstream's `error` names the event that carried it (refused).
 */
export class SessionItems {
  private readonly byId = new Map<string, KnownItem>();
  /** Items sent, oldest first, the upstream has not stated (yet). */
  private readonly sent: SentItem[] = [];

  /**
   * An item the client sent (as the router sent it on, after the content filter): from a
   * `conversation.item.create` (`added`), or among a `response.create`'s own `input` (with an id
   * of its own, else it is never referred to). Known at once by its id (a reference may follow
   * before the upstream's echo); counted in the conversation only once the upstream states it.
   */
  noteSent(item: unknown, rates: RealtimeAudioRates, eventId?: unknown, added = false): void {
    if (!isObject(item)) return;
    const id = typeof item.id === 'string' && item.id.length <= MAX_ID_CHARS ? item.id : undefined;
    if (!added && id === undefined) return;
    const known = newItem();
    this.merge(known, item, rates);
    this.sent.push({
      id,
      eventId: typeof eventId === 'string' ? eventId : undefined,
      added,
      type: item.type,
      known,
    });
    if (this.sent.length > MAX_SENT_ITEMS) this.sent.shift();
  }

  /**
   * The upstream refused the client's event `eventId` (its `error` names it): the items it
   * carried were never added, and cannot be referred to.
   */
  refused(eventId: unknown): void {
    if (typeof eventId !== 'string') return;
    for (let i = this.sent.length - 1; i >= 0; i--)
      if (this.sent[i]!.eventId === eventId) this.sent.splice(i, 1);
  }

  /**
   * An item as the upstream stated it (event `type`: `conversation.item.added`, `.created`,
   * `.done`, `.retrieved`, `response.output_item.added`, `.done`): kept at the larger count of
   * each kind, since the upstream's echo leaves out the audio the client sent, and an item first
   * stated empty (in progress) is stated whole when done. When it states an item the client asked
   * to add (its id the client's, or, the client having given none, the oldest such item of its
   * type the upstream has not stated: it takes a session's events in order), what that item
   * reads as, which the conversation now holds; else undefined (the upstream's own items, known
   * already: announced by `response.output_item.added` or `input_audio_buffer.committed`).
   */
  note(item: unknown, rates: RealtimeAudioRates, type?: unknown): RealtimeConversation | undefined {
    if (!isObject(item) || typeof item.id !== 'string') return undefined;
    const stated = this.byId.get(item.id);
    if (stated || typeof type !== 'string' || !ADDED.has(type)) {
      this.merge(stated ?? this.entry(item.id), item, rates);
      return undefined;
    }
    let at = this.sent.findIndex((s) => s.added && s.id === item.id);
    if (at < 0) at = this.sent.findIndex((s) => s.added && !s.id && s.type === item.type);
    if (at < 0) {
      this.merge(this.entry(item.id), item, rates);
      return undefined;
    }
    const [{ known }] = this.sent.splice(at, 1) as [SentItem];
    this.byId.set(item.id, known);
    this.merge(known, item, rates);
    return { textTokens: known.textTokens, audioTokens: known.audioTokens };
  }

  private merge(known: KnownItem, item: Record<string, unknown>, rates: RealtimeAudioRates): void {
    if (item.type === 'item_reference') return;
    const count = addItemInput({ textTokens: 0, audioTokens: 0 }, item, rates);
    known.textTokens = Math.max(known.textTokens, count.textTokens);
    known.audioTokens = Math.max(known.audioTokens, count.audioTokens);
    if (item.role === 'assistant' && Array.isArray(item.content))
      known.spoken ||= item.content.some(
        (p: unknown) => isObject(p) && (p.type === 'output_audio' || p.type === 'audio'),
      );
  }

  /** Audio tokens of the item the upstream made of the committed input buffer (`item_id`). */
  noteAudio(id: unknown, audioTokens: number): void {
    if (typeof id !== 'string') return;
    const known = this.entry(id);
    known.audioTokens = Math.max(known.audioTokens, audioTokens);
  }

  /** An output audio delta of the assistant's item `id` (bytes), which its done event leaves out. */
  noteOutputAudio(id: unknown, bytes: number): void {
    if (typeof id !== 'string' || bytes <= 0) return;
    const known = this.entry(id);
    known.outputAudioBytes += bytes;
    known.spoken = true;
  }

  /**
   * What the item `id` reads as, or undefined for an id the session has not seen (or deleted). An
   * assistant's audio streamed through the router reads as that audio (20 tokens a second at the
   * session's output format), not as its transcript; a truncated one as the audio it kept.
   */
  get(id: unknown, rates: RealtimeAudioRates): RealtimeConversation | undefined {
    const known = this.find(id);
    if (!known) return undefined;
    const streamed = audioTokens(
      known.outputAudioBytes,
      rates.output,
      OUTPUT_AUDIO_TOKENS_PER_SECOND,
    );
    const audio = Math.max(known.audioTokens, streamed);
    return {
      textTokens: streamed > 0 ? 0 : known.textTokens,
      audioTokens: Math.min(audio, known.truncatedTo ?? audio),
    };
  }

  /** Whether the session holds the item `id`. */
  has(id: unknown): boolean {
    return this.find(id) !== undefined;
  }

  /**
   * The upstream deleted the item (`conversation.item.deleted`): what it read as, if the upstream
   * had stated it (only those count in the conversation).
   */
  delete(id: unknown, rates: RealtimeAudioRates): RealtimeConversation | undefined {
    if (typeof id !== 'string' || !this.byId.has(id)) return undefined;
    const item = this.get(id, rates);
    this.byId.delete(id);
    return item;
  }

  /**
   * The upstream truncated an assistant's audio item to `audioEndMs` (`conversation.item.truncated`:
   * the audio after it and the whole transcript are gone from the context): what that took out,
   * or undefined for an item unknown or not spoken (a text item has nothing to truncate).
   */
  truncate(
    id: unknown,
    audioEndMs: unknown,
    rates: RealtimeAudioRates,
  ): RealtimeConversation | undefined {
    const known = typeof id === 'string' ? this.byId.get(id) : undefined;
    const before = known && this.get(id, rates);
    if (!before || !known?.spoken || typeof audioEndMs !== 'number' || audioEndMs < 0)
      return undefined;
    known.textTokens = 0;
    known.truncatedTo = Math.ceil((audioEndMs / 1000) * OUTPUT_AUDIO_TOKENS_PER_SECOND);
    const after = this.get(id, rates)!;
    return {
      textTokens: before.textTokens - after.textTokens,
      audioTokens: before.audioTokens - after.audioTokens,
    };
  }

  private find(id: unknown): KnownItem | undefined {
    if (typeof id !== 'string') return undefined;
    return this.byId.get(id) ?? this.sent.findLast((s) => s.id === id)?.known;
  }

  /** The upstream's item `id`, made when it is new. */
  private entry(id: string): KnownItem {
    let known = this.byId.get(id);
    if (!known) {
      known = newItem();
      this.byId.set(id, known);
    }
    return known;
  }
}

const newItem = (): KnownItem => ({
  textTokens: 0,
  audioTokens: 0,
  outputAudioBytes: 0,
  spoken: false,
});

/**
 * What `items` (a `response.create`'s own `input`) read as input, each as addItemInput counts it,
 * and each reference (`item_reference`) as the session's item it points to (before 2026-12-07 a
 * reference counted nothing).
 */
export function itemsInput(
  items: readonly unknown[],
  rates: RealtimeAudioRates,
  session?: SessionItems,
): RealtimeConversation {
  const input = { textTokens: 0, audioTokens: 0 };
  for (const item of items) {
    const known = isReference(item) ? session?.get(item.id, rates) : undefined;
    if (known) {
      input.textTokens += known.textTokens;
      input.audioTokens += known.audioTokens;
    } else addItemInput(input, item, rates);
  }
  return input;
}

/**
 * Throws the API's 400 (`item_not_found`, naming `response.input[i].id`) for the first reference
 * in a `response.create`'s `response` parameters to an item the session does not hold: one never
 * added, deleted, or refused (by the content filter, so a reference is no way around it). Sent
 * on, the upstream would refuse it too; the router's refusal also keeps it out of the charge.
 */
export function checkReferences(params: unknown, session: SessionItems): void {
  const input = isObject(params) ? params.input : undefined;
  if (!Array.isArray(input)) return;
  input.forEach((item: unknown, i) => {
    if (!isReference(item) || session.has(item.id)) return;
    throw invalidRequest(
      `Item ${JSON.stringify(item.id)} is not in this session's conversation (never added, or deleted): refer to an item by the id a conversation.item.added, conversation.item.done or response.output_item.done event gave it.`,
      `response.input[${i}].id`,
      'item_not_found',
    );
  });
}

const isReference = (item: unknown): item is { type: 'item_reference'; id: unknown } =>
  isObject(item) && item.type === 'item_reference';
