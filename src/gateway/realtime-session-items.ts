// A realtime session's items as the relay sees them go by (src/http/realtime/): the client's
// `conversation.item.create` items and `response.create` input items (as sent on, after the content
// filter; those the upstream refuses forgotten), and the upstream's statements of items, kept by id
// (realtime-items.ts SessionItems) for the references to them; a reference to an id the session
// does not hold refused; an item the upstream deletes, or the audio a truncation cuts from an
// assistant's item, taken out of the conversation the next response is charged for if stopped
// (RealtimeLink.conversation).
import { base64Bytes } from './realtime-audio.js';
import type { RealtimeConversation } from './realtime-cost.js';
import type { RealtimeLink } from './realtime-gateway.js';
import { checkReferences } from './realtime-items.js';

/**
 * Throws the 400 `item_not_found` for a `response.create` (its `response` parameters `params`)
 * whose own `input` refers to an item the session does not hold (realtime-items.ts).
 */
export function checkSessionReferences(link: RealtimeLink, params: unknown): void {
  checkReferences(params, link.items);
}

/**
 * An item the upstream states (its event `type`: `conversation.item.added`…): kept by id for
 * references to it; one the client asked to add is in the conversation from now on.
 */
export function noteStatedItem(link: RealtimeLink, item: unknown, type: unknown): void {
  const added = link.items.note(item, link.audio, type);
  if (!added) return;
  link.conversation.textTokens += added.textTokens;
  link.conversation.audioTokens += added.audioTokens;
}

/**
 * Items a response is given as its own `input` (as its `response.create` went upstream, after the
 * content filter, as the event `eventId`), by id; forgotten if the upstream refuses the event.
 */
export function noteSentItems(
  link: RealtimeLink,
  items: readonly unknown[],
  eventId: unknown,
): void {
  for (const item of items) link.items.noteSent(item, link.audio, eventId);
}

/**
 * The upstream's `error` named the client's event `eventId`: the items it carried were not
 * added (an invalid item, a duplicate id, an unknown `previous_item_id`), so they count nothing
 * and cannot be referred to (until 2026-12-07 they counted in the conversation and could be).
 */
export function noteEventRefused(link: RealtimeLink, eventId: unknown): void {
  link.items.refused(eventId);
}

/**
 * The upstream deleted an item (`conversation.item.deleted`): it is no longer in what the next
 * response reads, nor can it be referred to (before 2026-12-07 a stopped response was still
 * charged it).
 */
export function noteItemDeleted(link: RealtimeLink, id: unknown): void {
  takeOut(link, link.items.delete(id, link.audio));
}

/**
 * The upstream truncated an assistant's audio item (`conversation.item.truncated`): the audio
 * after `audioEndMs` and its transcript are out of what the next response reads (before
 * 2026-12-07 a stopped response was still charged them).
 */
export function noteItemTruncated(link: RealtimeLink, id: unknown, audioEndMs: unknown): void {
  takeOut(link, link.items.truncate(id, audioEndMs, link.audio));
}

/** An output audio delta of the item `id` (its base64 `delta`), for references to the item. */
export function noteOutputAudio(link: RealtimeLink, id: unknown, delta: unknown): void {
  link.items.noteOutputAudio(id, base64Bytes(delta));
}

/** Takes `gone` (an item deleted, or what a truncation cut) out of the session's conversation. */
function takeOut(link: RealtimeLink, gone: RealtimeConversation | undefined): void {
  if (!gone) return;
  link.conversation = {
    textTokens: Math.max(0, link.conversation.textTokens - gone.textTokens),
    audioTokens: Math.max(0, link.conversation.audioTokens - gone.audioTokens),
  };
}
