// A realtime session's items as the relay sees them go by (src/http/realtime/): the client's
// `response.create` input items and the upstream's statements of items, kept by id
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

/** Items the upstream states (`conversation.item.added`…): kept by id for references to them. */
export function noteSessionItems(link: RealtimeLink, items: readonly unknown[]): void {
  for (const item of items) link.items.note(item, link.audio);
}

/** Items a response is given as its own `input` (as its `response.create` sent them), by id. */
export function noteSentItems(link: RealtimeLink, items: readonly unknown[]): void {
  for (const item of items) link.items.noteSent(item, link.audio);
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
