// Conversations behind Responses API `previous_response_id`: each stored response keeps the whole
// message list (input and answer) so the next turn can continue it. In-memory and bounded (LRU);
// the interface is small so a shared store can replace it for several replicas.
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
  save(response: StoredResponse): void;
  get(id: string): StoredResponse | undefined;
}

export function createMemoryResponseStore(capacity = 10_000): ResponseStore {
  const entries = new Map<string, StoredResponse>();
  return {
    save(response) {
      entries.delete(response.id);
      entries.set(response.id, response);
      if (entries.size > capacity) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    get(id) {
      return entries.get(id);
    },
  };
}
