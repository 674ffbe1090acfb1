// Stored Responses (`store` not false): each keeps the whole message list (input and answer) so
// `previous_response_id` can continue it, the Response object as sent (`GET /v1/responses/{id}`)
// and its owner (the caller's tenant: another tenant neither reads, deletes nor continues it).
// Kept in the request-log store (SQLite or PostgreSQL, so replicas sharing a PostgreSQL log share
// them), which is read every time (a response deleted on one replica is gone on all); with no
// request log, in memory only (the most recent `capacity`).
import type { ChatMessage } from '../core/wire-types.js';

export interface StoredResponse {
  id: string;
  /** Every message of the conversation up to and including this response's answer. */
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
}

export interface ResponseStore {
  save(response: StoredResponse): Promise<void>;
  /** The response if `owner` may see it. */
  get(id: string, owner: string): Promise<StoredResponse | undefined>;
  /** Deletes the response if `owner` may; whether there was one to delete. */
  delete(id: string, owner: string): Promise<boolean>;
}

/** Where conversations persist: the request-log store implements it. */
export interface ConversationStore {
  saveConversation(id: string, createdAt: number, json: string): Promise<void>;
  getConversation(id: string): Promise<string | undefined>;
  deleteConversation(id: string): Promise<boolean>;
}

export function createResponseStore(capacity = 10_000, backing?: ConversationStore): ResponseStore {
  const entries = new Map<string, StoredResponse>();
  const find = async (id: string): Promise<StoredResponse | undefined> => {
    if (!backing) return entries.get(id);
    const json = await backing.getConversation(id);
    return json ? (JSON.parse(json) as StoredResponse) : undefined;
  };
  const visible = (stored: StoredResponse | undefined, owner: string) =>
    stored && (stored.owner === undefined || stored.owner === owner) ? stored : undefined;
  return {
    async save(response) {
      if (backing) {
        await backing.saveConversation(response.id, response.createdAt, JSON.stringify(response));
        return;
      }
      entries.set(response.id, response);
      if (entries.size > capacity) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    async get(id, owner) {
      return visible(await find(id), owner);
    },
    async delete(id, owner) {
      if (!visible(await find(id), owner)) return false;
      return backing ? backing.deleteConversation(id) : entries.delete(id);
    },
  };
}
