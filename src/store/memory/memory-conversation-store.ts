// Responses API conversations in this process's memory: the store when there is no request log
// (one replica; the most recent `capacity` are kept, nothing survives a restart). Same contract
// as the SQL stores (response-store.test.ts runs both).
import type { ConversationStore, RunLease } from '../response-store.js';

export function createMemoryConversationStore(capacity: number): ConversationStore {
  const bodies = new Map<string, string>();
  const leases = new Map<string, RunLease>();
  /** Per response: its kept events' sequence numbers and data, in order. */
  const events = new Map<string, { seq: number; data: string }[]>();
  const forget = (id: string) => {
    leases.delete(id);
    events.delete(id);
    return bodies.delete(id);
  };
  return {
    async saveConversation(id, _createdAt, json, lease) {
      bodies.set(id, json);
      if (lease) leases.set(id, { ...lease });
      else leases.delete(id);
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
    async updateLeasedConversation(id, holder, json, until) {
      const lease = leases.get(id);
      if (!lease || lease.holder !== holder) return false;
      if (json !== undefined) bodies.set(id, json);
      if (until === null) leases.delete(id);
      else lease.until = until;
      return true;
    },
    async endLeasedConversation(id, json, expiredBefore) {
      const lease = leases.get(id);
      if (!lease || (expiredBefore !== undefined && lease.until >= expiredBefore)) return false;
      bodies.set(id, json);
      leases.delete(id);
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
    async conversationEvents(id, after, limit) {
      return (events.get(id) ?? [])
        .filter((e) => e.seq > after)
        .slice(0, limit)
        .map((e) => e.data);
    },
  };
}
