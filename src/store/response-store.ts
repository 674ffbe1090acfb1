// Stored Responses (`store` not false): each keeps the whole message list (input and answer) so
// `previous_response_id` can continue it, the Response object as sent (`GET /v1/responses/{id}`)
// and its owner (the caller's tenant: another tenant neither reads, deletes nor continues it).
// Kept in the request-log store (SQLite or PostgreSQL, so replicas sharing a PostgreSQL log share
// them), which is read every time (a response deleted on one replica is gone on all); with no
// request log, in memory only (the most recent `capacity`). A background response
// (`background: true`) is stored as soon as it is queued, with a lease held by the replica running
// it; the lease's end is what a cancel or the sweep of a dead replica's runs races against, so
// each of them ends a run at most once (conditional writes). The output items of a stored response
// (messages, function calls, reasoning, with the ids the client saw) are also kept by tenant and
// id, so a later request's `item_reference` finds one without reading whole responses; they go
// with their response (delete, retention, the memory store's bound). Inline data (images, files,
// audio) is kept once however many responses hold it (inline-blobs.ts): a store keeps a payload
// while some response refers to it, and drops it with the last one (delete, retention, the bound).
import type { ChatMessage } from '../core/wire-types.js';
import { isObject } from '../core/is-object.js';
import { createMemoryConversationStore } from './memory/memory-conversation-store.js';
import {
  lookUpBlobs,
  putBackBlobs,
  takeOutBlobs,
  type BlobRef,
  type InlineBlob,
} from './inline-blobs.js';
import { boundInlineData } from './stored-inline-data.js';

export interface StoredResponse {
  id: string;
  /** Every message of the conversation up to and including this response's answer (none yet
   * while a background response runs, nor when it failed or was cancelled). */
  messages: ChatMessage[];
  instructions?: string;
  model: string;
  createdAt: number;
  /** The Response object as the client got it (responses stored before 2026-11-30 lack it). */
  response?: Record<string, unknown>;
  /** The tenant that created it (absent on responses stored before 2026-11-30: anyone's). */
  owner?: string;
  /** Where this response's own input starts in `messages` (after the earlier turns'). */
  inputFrom?: number;
  /** A background response that streams keeps its events (`GET …?stream=true`). */
  streamed?: boolean;
  /** A streamed background response that ended with a terminal event: that event's sequence
   * number, written with its end (just before the event), so a follower told of the end first
   * numbers the event as the run does; one failed with none written (a shutdown, the sweep): the
   * number its followers give the `response.failed` they make up, the same for all. */
  terminalSequence?: number;
  /** A background response: the id of the request that created it, as the request log has it. */
  requestId?: string;
  /** A background response that was served: its `x-router-*` reply headers (deployment, model…);
   * a streamed one's from when its stream began. */
  routerHeaders?: Record<string, string>;
  /** A background response: the caller the request log knows it by, for the record a replica
   * that died while running it never wrote (background-responses.ts `sweep`). */
  caller?: { keyId?: string; endUser?: string; tags?: string[] };
}

/** Who runs a background response, and until when that holds without a renewal. */
export interface RunLease {
  holder: string;
  until: number;
}

export interface ResponseStore {
  /** Saves a response; with `lease`, a background response `lease.holder` runs. */
  save(response: StoredResponse, lease?: RunLease): Promise<void>;
  /** The response if `owner` may see it. */
  get(id: string, owner: string): Promise<StoredResponse | undefined>;
  /** Deletes the response (and its kept events) if `owner` may; whether there was one. */
  delete(id: string, owner: string): Promise<boolean>;
  /** Writes a running response `holder` still leases, renewing the lease to `until` or ending
   * it (null); false when the lease is no longer its (cancelled, or swept as dead). */
  update(response: StoredResponse, holder: string, until: number | null): Promise<boolean>;
  /** Renews `holder`'s lease; false when it is no longer its. */
  renew(id: string, holder: string, until: number): Promise<boolean>;
  /** Ends a running response whoever runs it (a cancel), or only if its lease ran out before
   * `expiredBefore` (the sweep), writing `response`; false when it had already ended. */
  end(response: StoredResponse, expiredBefore?: number): Promise<boolean>;
  /** Running responses whose lease ran out before `now`, at most `limit`. */
  expired(now: number, limit: number): Promise<StoredResponse[]>;
  /** Keeps a streamed response's events (their data), the first with sequence number `first`. */
  appendEvents(id: string, first: number, events: readonly string[]): Promise<void>;
  /** Kept events with a sequence number above `after`, in order, at most `limit`. */
  events(id: string, after: number, limit: number): Promise<string[]>;
  /** The output items with these ids of `owner`'s stored responses, by id (the unknown left out). */
  items(owner: string, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
}

/** An output item as the item table keeps it: its id and its JSON. */
export interface KeptItem {
  id: string;
  json: string;
}

/** A response's output items to keep with a conditional write of it (a background run's). */
export interface KeptItems {
  owner: string;
  createdAt: number;
  items: readonly KeptItem[];
}

/**
 * Where conversations persist: the request-log stores, and memory without one. Every write of a
 * body takes `blobs` (none when absent) as the inline payloads it refers to, in the same write:
 * each is kept once whatever refers to it, and one no conversation refers to any more is dropped
 * (when a body stops referring to it, on delete, retention or the memory store's bound).
 */
export interface ConversationStore {
  /** Saves a conversation and, with `items`, keeps its output items under `items.owner` in the
   * same write (as saveConversationItems). */
  saveConversation(
    id: string,
    createdAt: number,
    json: string,
    lease?: RunLease,
    items?: { owner: string; items: readonly KeptItem[] },
    blobs?: readonly InlineBlob[],
  ): Promise<void>;
  getConversation(id: string): Promise<string | undefined>;
  /** Deletes it and its events. */
  deleteConversation(id: string): Promise<boolean>;
  /** Replaces the body (when given) of a conversation `holder` leases and sets its lease's end
   * (null: no lease); false when `holder` does not lease it. With `kept`, its output items are
   * kept in the same write, all or nothing, when (and only when) the lease was `holder`'s. */
  updateLeasedConversation(
    id: string,
    holder: string,
    json: string | undefined,
    until: number | null,
    kept?: KeptItems,
    blobs?: readonly InlineBlob[],
  ): Promise<boolean>;
  /** Replaces the body of a leased conversation and drops the lease (only if the lease ran out
   * before `expiredBefore`, when given); false when it was not leased. With `kept`, as
   * updateLeasedConversation. */
  endLeasedConversation(
    id: string,
    json: string,
    expiredBefore?: number,
    kept?: KeptItems,
    blobs?: readonly InlineBlob[],
  ): Promise<boolean>;
  /** The kept inline payloads with these keys, JSON text by key (the unknown left out). */
  inlineBlobs(hashes: readonly string[]): Promise<Map<string, string>>;
  /** How many inline payloads are kept, and their JSON texts' size in all (UTF-8 bytes). */
  inlineBlobUsage(): Promise<{ blobs: number; bytes: number }>;
  /** Bodies of conversations whose lease ran out before `now`. */
  expiredConversations(now: number, limit: number): Promise<string[]>;
  appendConversationEvents(id: string, first: number, events: readonly string[]): Promise<void>;
  conversationEvents(id: string, after: number, limit: number): Promise<string[]>;
  /** Keeps the output items of conversation `id` under `owner` (an item id already kept for
   * `owner` now names this one: the newest wins). */
  saveConversationItems(
    id: string,
    owner: string,
    createdAt: number,
    items: readonly KeptItem[],
  ): Promise<void>;
  /** `owner`'s kept items with these ids (in no particular order). */
  conversationItems(owner: string, ids: readonly string[]): Promise<KeptItem[]>;
}

/** A response's output items that have an id, as kept for lookups by id (one per id). */
function outputItems(response: StoredResponse): KeptItem[] {
  const output = response.response?.output;
  if (!Array.isArray(output)) return [];
  const byId = new Map<string, KeptItem>();
  for (const item of output as unknown[])
    if (isObject(item) && typeof item.id === 'string' && item.id)
      byId.set(item.id, { id: item.id, json: JSON.stringify(item) });
  return [...byId.values()];
}

/** Ids looked up per query, under SQLite's bound on a statement's parameters. */
const LOOKUP_CHUNK = 500;

export function createResponseStore(
  capacity = 10_000,
  backing?: ConversationStore,
  opts: { inlineDataMaxBytes?: () => number } = {},
): ResponseStore {
  const conversations = backing ?? createMemoryConversationStore(capacity);
  /** The JSON a response is written as, its inline data within the bound (stored-inline-data.ts)
   * and taken out to be kept once (inline-blobs.ts), and the payloads taken out. */
  const body = (response: StoredResponse): { json: string; blobs: InlineBlob[] } => {
    const max = opts.inlineDataMaxBytes?.();
    const bounded = max === undefined ? response.messages : boundInlineData(response.messages, max);
    const { messages, refs, blobs } = takeOutBlobs(bounded);
    if (messages === response.messages) return { json: JSON.stringify(response), blobs };
    const blobRefs = refs.length ? { blobRefs: refs } : {};
    return { json: JSON.stringify({ ...response, messages, ...blobRefs }), blobs };
  };
  /** A stored response from its JSON, its kept payloads put back. */
  const parse = async (json: string): Promise<StoredResponse> => {
    const { blobRefs, ...stored } = JSON.parse(json) as StoredResponse & { blobRefs?: BlobRef[] };
    if (!blobRefs?.length) return stored;
    const keys = [...new Set(blobRefs.map((r) => r[2]))];
    const found = await lookUpBlobs(keys, (k) => conversations.inlineBlobs(k));
    return { ...stored, messages: putBackBlobs(stored.messages, blobRefs, found) };
  };
  const find = async (id: string): Promise<StoredResponse | undefined> => {
    const json = await conversations.getConversation(id);
    return json ? parse(json) : undefined;
  };
  const visible = (stored: StoredResponse | undefined, owner: string) =>
    stored && (stored.owner === undefined || stored.owner === owner) ? stored : undefined;
  /** The items of a response as kept (a queued or failed one has none); a response stored before
   * owners were kept is anyone's, its items under no tenant. */
  const keptItems = (response: StoredResponse) => {
    const items = outputItems(response);
    return items.length ? { owner: response.owner ?? '', items } : undefined;
  };
  /** The items to keep with a conditional write of a response (a background run's), in it. */
  const keptWith = (response: StoredResponse): KeptItems | undefined => {
    const kept = keptItems(response);
    return kept && { ...kept, createdAt: response.createdAt };
  };
  return {
    async save(response, lease) {
      const { json, blobs } = body(response);
      await conversations.saveConversation(
        response.id,
        response.createdAt,
        json,
        lease,
        keptItems(response),
        blobs,
      );
    },
    async get(id, owner) {
      return visible(await find(id), owner);
    },
    async delete(id, owner) {
      // Only its owner is read: its payloads are not fetched to be deleted.
      const json = await conversations.getConversation(id);
      if (!json || !visible(JSON.parse(json) as StoredResponse, owner)) return false;
      return conversations.deleteConversation(id);
    },
    update(response, holder, until) {
      const { json, blobs } = body(response);
      return conversations.updateLeasedConversation(
        response.id,
        holder,
        json,
        until,
        keptWith(response),
        blobs,
      );
    },
    renew(id, holder, until) {
      return conversations.updateLeasedConversation(id, holder, undefined, until);
    },
    end(response, expiredBefore) {
      const { json, blobs } = body(response);
      return conversations.endLeasedConversation(
        response.id,
        json,
        expiredBefore,
        keptWith(response),
        blobs,
      );
    },
    async expired(now, limit) {
      const bodies = await conversations.expiredConversations(now, limit);
      return Promise.all(bodies.map(parse));
    },
    appendEvents(id, first, events) {
      return conversations.appendConversationEvents(id, first, events);
    },
    events(id, after, limit) {
      return conversations.conversationEvents(id, after, limit);
    },
    async items(owner, ids) {
      const found = new Map<string, Record<string, unknown>>();
      if (ids.length === 0) return found;
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += LOOKUP_CHUNK)
        for (const item of await conversations.conversationItems(
          owner,
          unique.slice(i, i + LOOKUP_CHUNK),
        ))
          found.set(item.id, JSON.parse(item.json) as Record<string, unknown>);
      return found;
    },
  };
}
