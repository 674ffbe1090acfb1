// Stored chat completions in this process's memory: the store when there is no request log (one
// replica; the most recent `capacity` are kept, nothing survives a restart). Same contract as the
// SQL stores (chat-completion-store.test.ts runs all three).
import {
  metadataMatches,
  type ChatCompletionStore,
  type ListedChatCompletion,
  type StoredChatCompletion,
} from '../chat-completion-store.js';

export function createMemoryChatCompletionStore(capacity: number): ChatCompletionStore {
  /** By owner and id (`key`), oldest saved first (the one dropped past `capacity`). */
  const kept = new Map<string, StoredChatCompletion>();
  const key = (owner: string, id: string) => `${owner}\n${id}`;
  const byTimeThenId = (a: StoredChatCompletion, b: StoredChatCompletion) =>
    a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    async saveChatCompletion(stored) {
      const k = key(stored.owner, stored.id);
      kept.delete(k);
      kept.set(k, structuredClone(stored));
      if (kept.size > capacity) {
        const oldest = kept.keys().next().value;
        if (oldest !== undefined) kept.delete(oldest);
      }
    },
    async getChatCompletion(id, owner) {
      const found = kept.get(key(owner, id));
      return found && structuredClone(found);
    },
    async listChatCompletions(q) {
      let list = [...kept.values()]
        .filter(
          (c) =>
            c.owner === q.owner &&
            (q.model === undefined || c.model === q.model) &&
            metadataMatches(c.metadata, q.metadata),
        )
        .sort(byTimeThenId);
      if (q.order === 'desc') list.reverse();
      if (q.after !== undefined) {
        const cursor = kept.get(key(q.owner, q.after));
        if (!cursor) return [];
        const past = (c: StoredChatCompletion) =>
          q.order === 'asc' ? byTimeThenId(c, cursor) > 0 : byTimeThenId(c, cursor) < 0;
        list = list.filter(past);
      }
      return list.slice(0, q.limit).map((c): ListedChatCompletion =>
        structuredClone({
          id: c.id,
          owner: c.owner,
          createdAt: c.createdAt,
          model: c.model,
          metadata: c.metadata,
          completion: c.completion,
        }),
      );
    },
    async setChatCompletionMetadata(id, owner, metadata) {
      const found = kept.get(key(owner, id));
      if (!found) return false;
      found.metadata = { ...metadata };
      return true;
    },
    async deleteChatCompletion(id, owner) {
      return kept.delete(key(owner, id));
    },
  };
}
