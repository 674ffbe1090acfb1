// Conversations (the Conversations API) in this process's memory: the store when there is no
// request log (one replica; the most recently used `capacity` are kept, nothing survives a
// restart). Same contract as the SQL stores (conversation-object-store.test.ts runs all three).
import type {
  ConversationItem,
  ConversationObjectStore,
  StoredConversation,
} from '../conversation-object-store.js';

interface Kept {
  conversation: StoredConversation;
  items: ConversationItem[];
  lock?: { holder: string; until: number };
}

export function createMemoryConversationObjectStore(capacity: number): ConversationObjectStore {
  /** By owner and id, least recently used first (the one dropped past `capacity`). */
  const kept = new Map<string, Kept>();
  const key = (owner: string, id: string) => `${owner}\n${id}`;
  /** The conversation, marked as just used. */
  const touch = (owner: string, id: string): Kept | undefined => {
    const k = key(owner, id);
    const found = kept.get(k);
    if (found) {
      kept.delete(k);
      kept.set(k, found);
    }
    return found;
  };
  const lockedAgainst = (c: Kept, now: number, holder?: string) =>
    c.lock !== undefined && c.lock.until >= now && c.lock.holder !== holder;
  return {
    async createConversationObject(conversation, items) {
      kept.set(key(conversation.owner, conversation.id), {
        conversation: structuredClone(conversation),
        items: structuredClone([...items]),
      });
      if (kept.size > capacity) {
        const oldest = kept.keys().next().value;
        if (oldest !== undefined) kept.delete(oldest);
      }
    },
    async readConversationObject(id, owner) {
      const found = kept.get(key(owner, id));
      return found && structuredClone(found.conversation);
    },
    async setConversationMetadata(id, owner, metadata) {
      const found = touch(owner, id);
      if (!found) return false;
      found.conversation.metadata = { ...metadata };
      return true;
    },
    async deleteConversationObject(id, owner) {
      return kept.delete(key(owner, id));
    },
    async appendConversationItems(id, owner, items, now, holder) {
      const found = touch(owner, id);
      if (!found) return { kind: 'missing' };
      if (lockedAgainst(found, now, holder)) return { kind: 'locked' };
      const have = new Set(found.items.map((i) => i.id));
      const added: ConversationItem[] = [];
      for (const item of items) {
        if (have.has(item.id)) continue;
        have.add(item.id);
        added.push(structuredClone(item));
      }
      found.items.push(...added);
      if (holder !== undefined && found.lock?.holder === holder) found.lock = undefined;
      return { kind: 'appended', added: structuredClone(added) };
    },
    async listConversationItems(q) {
      const found = kept.get(key(q.owner, q.conversationId));
      if (!found) return undefined;
      const items = q.order === 'asc' ? [...found.items] : [...found.items].reverse();
      let start = 0;
      if (q.after !== undefined) {
        start = items.findIndex((i) => i.id === q.after) + 1;
        if (start === 0) return [];
      }
      return structuredClone(items.slice(start, start + q.limit));
    },
    async allConversationItems(id, owner) {
      return structuredClone(kept.get(key(owner, id))?.items ?? []);
    },
    async getConversationItem(id, owner, itemId) {
      const item = kept.get(key(owner, id))?.items.find((i) => i.id === itemId);
      return item && structuredClone(item);
    },
    async deleteConversationItem(id, owner, itemId, now) {
      const found = touch(owner, id);
      const at = found?.items.findIndex((i) => i.id === itemId) ?? -1;
      if (!found || at < 0) return 'missing';
      if (lockedAgainst(found, now)) return 'locked';
      found.items.splice(at, 1);
      return 'deleted';
    },
    async lockConversation(id, owner, holder, until, now) {
      const found = touch(owner, id);
      if (!found) return 'missing';
      if (lockedAgainst(found, now, holder)) return 'busy';
      found.lock = { holder, until };
      return 'locked';
    },
    async unlockConversation(id, owner, holder) {
      const found = kept.get(key(owner, id));
      if (found?.lock?.holder === holder) found.lock = undefined;
    },
  };
}
