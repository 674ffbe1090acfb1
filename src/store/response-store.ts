// Conversations behind Responses API `previous_response_id`: each stored response keeps the whole
// message list (input and answer) so the next turn can continue it. Kept in the request-log store
// (SQLite or PostgreSQL, so replicas sharing a PostgreSQL log share conversations) behind a bounded
// in-memory cache; with no request log, in memory only.
import type { ChatMessage } from '../core/wire-types.js';

export interface StoredResponse {
  id: string;
  /** Every message of the conversation up to and including this response's answer. */
  messages: ChatMessage[];
  instructions?: string;
  model: string;
  createdAt: number;
}

export interface ResponseStore {
  save(response: StoredResponse): Promise<void>;
  get(id: string): Promise<StoredResponse | undefined>;
}

/** Where conversations persist: the request-log store implements it. */
export interface ConversationStore {
  saveConversation(id: string, createdAt: number, json: string): Promise<void>;
  getConversation(id: string): Promise<string | undefined>;
}

export function createResponseStore(capacity = 10_000, backing?: ConversationStore): ResponseStore {
  const entries = new Map<string, StoredResponse>();
  const remember = (response: StoredResponse) => {
    entries.delete(response.id);
    entries.set(response.id, response);
    if (entries.size > capacity) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  };
  return {
    async save(response) {
      remember(response);
      await backing?.saveConversation(response.id, response.createdAt, JSON.stringify(response));
    },
    async get(id) {
      const hit = entries.get(id);
      if (hit || !backing) return hit;
      const json = await backing.getConversation(id);
      if (!json) return undefined;
      const stored = JSON.parse(json) as StoredResponse;
      remember(stored);
      return stored;
    },
  };
}
