// Responses API conversations in this process's memory: the store when there is no request log
// (one replica; the most recent `capacity` are kept, nothing survives a restart). Same contract
// as the SQL stores (response-store.test.ts runs both). Inline payloads are kept once, counted by
// the responses that refer to them.
import type { InlineBlob } from '../inline-blobs.js';
import type { ConversationStore, KeptItem, RunLease } from '../response-store.js';

export function createMemoryConversationStore(capacity: number): ConversationStore {
  const bodies = new Map<string, string>();
  const leases = new Map<string, RunLease>();
  /** Per response: its kept events' sequence numbers and data, in order. */
  const events = new Map<string, { seq: number; data: string }[]>();
  /** Output items by tenant and item id (`itemKey`), and each response's keys, to forget them
   * with it: the items are bounded by the responses kept. */
  const items = new Map<string, KeptItem & { response: string }>();
  const itemKeys = new Map<string, string[]>();
  const itemKey = (owner: string, id: string) => `${owner}\n${id}`;
  /** Inline payloads by key, with how many responses refer to them; each response's keys. */
  const blobs = new Map<string, { json: string; refs: number }>();
  const blobKeys = new Map<string, string[]>();
  /** Response `id` now refers to `kept` (its earlier payloads released: dropped at no refs). */
  const refer = (id: string, kept: readonly InlineBlob[]) => {
    const keys = [...new Set(kept.map((b) => b.hash))];
    for (const b of kept) if (!blobs.has(b.hash)) blobs.set(b.hash, { json: b.json, refs: 0 });
    for (const key of keys) blobs.get(key)!.refs++;
    for (const key of blobKeys.get(id) ?? []) {
      const held = blobs.get(key);
      if (held && --held.refs <= 0) blobs.delete(key);
    }
    if (keys.length) blobKeys.set(id, keys);
    else blobKeys.delete(id);
  };
  const forget = (id: string) => {
    refer(id, []);
    leases.delete(id);
    events.delete(id);
    for (const key of itemKeys.get(id) ?? [])
      if (items.get(key)?.response === id) items.delete(key);
    itemKeys.delete(id);
    return bodies.delete(id);
  };
  const store: ConversationStore = {
    async saveConversation(id, createdAt, json, lease, kept, payloads = []) {
      bodies.set(id, json);
      refer(id, payloads);
      if (lease) leases.set(id, { ...lease });
      else leases.delete(id);
      if (kept) await store.saveConversationItems(id, kept.owner, createdAt, kept.items);
      if (bodies.size > capacity) {
        const oldest = bodies.keys().next().value;
        if (oldest !== undefined) forget(oldest);
      }
    },
    async getConversation(id) {
      return bodies.get(id);
    },
    async deleteConversation(id) {
      return forget(id);
    },
    async inlineBlobs(hashes) {
      const found = new Map<string, string>();
      for (const key of hashes) {
        const held = blobs.get(key);
        if (held) found.set(key, held.json);
      }
      return found;
    },
    async inlineBlobUsage() {
      let bytes = 0;
      for (const held of blobs.values()) bytes += Buffer.byteLength(held.json);
      return { blobs: blobs.size, bytes };
    },
    async updateLeasedConversation(id, holder, json, until, kept, payloads = []) {
      const lease = leases.get(id);
      if (!lease || lease.holder !== holder) return false;
      if (json !== undefined) {
        bodies.set(id, json);
        refer(id, payloads);
      }
      if (until === null) leases.delete(id);
      else lease.until = until;
      if (kept) await store.saveConversationItems(id, kept.owner, kept.createdAt, kept.items);
      return true;
    },
    async endLeasedConversation(id, json, expiredBefore, kept, payloads = []) {
      const lease = leases.get(id);
      if (!lease || (expiredBefore !== undefined && lease.until >= expiredBefore)) return false;
      bodies.set(id, json);
      refer(id, payloads);
      leases.delete(id);
      if (kept) await store.saveConversationItems(id, kept.owner, kept.createdAt, kept.items);
      return true;
    },
    async expiredConversations(now, limit) {
      const out: string[] = [];
      for (const [id, lease] of leases)
        if (lease.until < now && out.length < limit) out.push(bodies.get(id)!);
      return out;
    },
    async appendConversationEvents(id, first, added) {
      if (!bodies.has(id)) return;
      const kept = (events.get(id) ?? []).filter(
        (e) => e.seq < first || e.seq >= first + added.length,
      );
      kept.push(...added.map((data, i) => ({ seq: first + i, data })));
      events.set(
        id,
        kept.sort((a, b) => a.seq - b.seq),
      );
    },
    async saveConversationItems(id, owner, _createdAt, kept) {
      if (!bodies.has(id)) return;
      const keys = new Set(itemKeys.get(id));
      for (const item of kept) {
        const key = itemKey(owner, item.id);
        items.set(key, { ...item, response: id });
        keys.add(key);
      }
      itemKeys.set(id, [...keys]);
    },
    async conversationItems(owner, ids) {
      return ids.flatMap((id) => {
        const item = items.get(itemKey(owner, id));
        return item ? [{ id: item.id, json: item.json }] : [];
      });
    },
    async conversationEvents(id, after, limit) {
      return (events.get(id) ?? [])
        .filter((e) => e.seq > after)
        .slice(0, limit)
        .map((e) => e.data);
    },
  };
  return store;
}
