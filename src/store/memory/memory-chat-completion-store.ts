// Stored chat completions in this process's memory: the store when there is no request log (one
// replica; the most recent `capacity` are kept, nothing survives a restart). Same contract as the
// SQL stores (chat-completion-store.test.ts runs all three). Inline payloads of the messages are
// kept once, counted by the completions that refer to them (inline-blobs.ts).
import { putBackBlobs, takeOutBlobs, type BlobRef } from '../inline-blobs.js';
import {
  metadataMatches,
  type ChatCompletionStore,
  type ListedChatCompletion,
  type StoredChatCompletion,
} from '../chat-completion-store.js';

export function createMemoryChatCompletionStore(capacity: number): ChatCompletionStore {
  /** By owner and id (`key`), oldest saved first (the one dropped past `capacity`). */
  const kept = new Map<string, StoredChatCompletion & { blobRefs?: BlobRef[] }>();
  const key = (owner: string, id: string) => `${owner}\n${id}`;
  /** Inline payloads (JSON text) by key, with how many kept completions refer to them. */
  const payloads = new Map<string, { json: string; refs: number }>();
  /** Forgets completion `k`, releasing its payloads; whether there was one. */
  const forget = (k: string) => {
    const gone = kept.get(k);
    for (const hash of new Set(gone?.blobRefs?.map((r) => r[2]))) {
      const held = payloads.get(hash);
      if (held && --held.refs <= 0) payloads.delete(hash);
    }
    return kept.delete(k);
  };
  const byTimeThenId = (a: StoredChatCompletion, b: StoredChatCompletion) =>
    a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    async saveChatCompletion(stored) {
      const k = key(stored.owner, stored.id);
      const { messages, refs, blobs } = takeOutBlobs(stored.messages);
      for (const b of blobs) {
        const held = payloads.get(b.hash) ?? { json: b.json, refs: 0 };
        held.refs++;
        payloads.set(b.hash, held);
      }
      forget(k);
      const copy = structuredClone({ ...stored, messages });
      kept.set(k, refs.length ? { ...copy, blobRefs: refs } : copy);
      if (kept.size > capacity) {
        const oldest = kept.keys().next().value;
        if (oldest !== undefined) forget(oldest);
      }
    },
    async getChatCompletion(id, owner) {
      const found = kept.get(key(owner, id));
      if (!found) return undefined;
      const { blobRefs, ...stored } = structuredClone(found);
      if (!blobRefs) return stored;
      const json = new Map<string, string>();
      for (const [, , hash] of blobRefs) {
        const held = payloads.get(hash);
        if (held) json.set(hash, held.json);
      }
      return { ...stored, messages: putBackBlobs(stored.messages, blobRefs, json) };
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
    async inlineBlobUsage() {
      let bytes = 0;
      for (const held of payloads.values()) bytes += Buffer.byteLength(held.json);
      return { blobs: payloads.size, bytes };
    },
    async deleteChatCompletion(id, owner) {
      return forget(key(owner, id));
    },
  };
}
