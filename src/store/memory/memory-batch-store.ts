// Files and batches in this process's memory: the store when there is no request log (one
// replica; everything is lost on restart). Same contract as the SQL stores (batch-store.test.ts).
import {
  FINISHED_BATCH_STATUSES,
  docFinishedAt,
  type BatchStore,
  type StoredBatch,
  type StoredFile,
} from '../batch-store.js';
import { createMemoryWebhookOutbox } from './memory-webhook-outbox.js';

interface Lease {
  worker: string;
  until: number;
}

const UNFINISHED = new Set(['validating', 'in_progress', 'finalizing']);

export function createMemoryBatchStore(): BatchStore {
  const files = new Map<string, { file: StoredFile; content: Buffer }>();
  const batches = new Map<string, StoredBatch>();
  const leases = new Map<string, Lease>();
  const results = new Map<string, Map<number, { ok: boolean; json: string }>>();
  const owned = <T extends { owner: string }>(x: T | undefined, owner: string) =>
    x && x.owner === owner ? x : undefined;
  const byTimeThenId = (a: { createdAt: number; id: string }, b: typeof a) =>
    a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const copy = (b: StoredBatch): StoredBatch => ({ ...b });
  const { add: addDeliveries, ...outbox } = createMemoryWebhookOutbox();
  return {
    ...outbox,
    async putFile(file, content) {
      files.set(file.id, { file: { ...file }, content: Buffer.from(content) });
    },
    async getFile(id, owner) {
      const f = owned(files.get(id)?.file, owner);
      return f && { ...f };
    },
    async getFileContent(id, owner) {
      const e = files.get(id);
      return e && e.file.owner === owner ? Buffer.from(e.content) : undefined;
    },
    async listFiles(q) {
      let list = [...files.values()]
        .map((e) => e.file)
        .filter((f) => f.owner === q.owner && (q.purpose === undefined || f.purpose === q.purpose))
        .sort(byTimeThenId);
      if (q.order === 'desc') list.reverse();
      if (q.after !== undefined) {
        const i = list.findIndex((f) => f.id === q.after);
        list = i < 0 ? [] : list.slice(i + 1);
      }
      return list.slice(0, q.limit).map((f) => ({ ...f }));
    },
    async storedBytes(owner) {
      let n = 0;
      for (const e of files.values()) if (e.file.owner === owner) n += e.file.bytes;
      return n;
    },
    async deleteFile(id, owner) {
      if (!owned(files.get(id)?.file, owner)) return false;
      return files.delete(id);
    },
    async deleteExpiredFiles(now) {
      let n = 0;
      for (const [id, e] of files)
        if (e.file.expiresAt !== undefined && e.file.expiresAt <= now) {
          files.delete(id);
          n++;
        }
      return n;
    },

    async createBatch(batch) {
      batches.set(batch.id, copy(batch));
    },
    async getBatch(id, owner) {
      const b = owned(batches.get(id), owner);
      return b && copy(b);
    },
    async listBatches(owner, after, limit) {
      let list = [...batches.values()].filter((b) => b.owner === owner).sort(byTimeThenId);
      list.reverse();
      if (after !== undefined) {
        const i = list.findIndex((b) => b.id === after);
        list = i < 0 ? [] : list.slice(i + 1);
      }
      return list.slice(0, limit).map(copy);
    },
    async listAllBatches(q) {
      const finished = (b: StoredBatch) => FINISHED_BATCH_STATUSES.includes(b.status);
      const at = q.after === undefined ? undefined : batches.get(q.after);
      if (q.after !== undefined && !at) return [];
      return [...batches.values()]
        .filter((b) => q.owner === undefined || b.owner === q.owner)
        .filter((b) => q.status === undefined || finished(b) === (q.status === 'finished'))
        .filter((b) => !at || byTimeThenId(b, at) < 0)
        .sort(byTimeThenId)
        .reverse()
        .slice(0, q.limit)
        .map(copy);
    },
    async findBatch(id) {
      const b = batches.get(id);
      return b && copy(b);
    },
    async deleteBatch(id, owner) {
      if (!owned(batches.get(id), owner)) return false;
      leases.delete(id);
      results.delete(id);
      return batches.delete(id);
    },
    async deleteFinishedBatches(q) {
      const finishedAt = (b: StoredBatch) =>
        FINISHED_BATCH_STATUSES.includes(b.status)
          ? (docFinishedAt(b.status, b.doc) ?? b.createdAt)
          : undefined;
      const due = [...batches.values()]
        .map((b) => ({ b, at: finishedAt(b) }))
        .filter((x): x is { b: StoredBatch; at: number } => x.at !== undefined)
        .filter((x) => x.at <= q.finishedBy)
        .sort((x, y) => x.at - y.at)
        .slice(0, q.limit);
      for (const { b } of due) {
        for (const id of q.filesOf(copy(b)))
          if (files.get(id)?.file.owner === b.owner) files.delete(id);
        leases.delete(b.id);
        results.delete(b.id);
        batches.delete(b.id);
      }
      return due.length;
    },
    async requestCancel(id, owner, at) {
      const b = owned(batches.get(id), owner);
      if (!b) return undefined;
      if (!FINISHED_BATCH_STATUSES.includes(b.status)) b.cancelRequestedAt ??= at;
      return copy(b);
    },
    async claimBatch(worker, now, leaseUntil, exclude) {
      const free = [...batches.values()]
        .filter((b) => UNFINISHED.has(b.status) && !exclude.includes(b.id))
        .filter((b) => {
          const lease = leases.get(b.id);
          return !lease || lease.until < now;
        })
        .sort(byTimeThenId)[0];
      if (!free) return undefined;
      leases.set(free.id, { worker, until: leaseUntil });
      return copy(free);
    },
    async renewLease(id, worker, leaseUntil) {
      const lease = leases.get(id);
      if (!lease || lease.worker !== worker) return { held: false };
      lease.until = leaseUntil;
      const at = batches.get(id)?.cancelRequestedAt;
      return { held: true, ...(at !== undefined ? { cancelRequestedAt: at } : {}) };
    },
    async updateBatch(id, worker, status, doc, deliveries = []) {
      const b = batches.get(id);
      if (!b || leases.get(id)?.worker !== worker) return false;
      b.status = status;
      b.doc = doc;
      addDeliveries(deliveries);
      return true;
    },
    async releaseLease(id, worker) {
      if (leases.get(id)?.worker === worker) leases.delete(id);
    },

    async putResults(batchId, list) {
      let m = results.get(batchId);
      if (!m) results.set(batchId, (m = new Map()));
      for (const r of list) m.set(r.line, { ok: r.ok, json: r.json });
    },
    async resultLines(batchId) {
      return [...(results.get(batchId)?.keys() ?? [])].sort((a, b) => a - b);
    },
    async readResults(batchId, ok) {
      return [...(results.get(batchId)?.entries() ?? [])]
        .filter(([, r]) => r.ok === ok)
        .sort(([a], [b]) => a - b)
        .map(([, r]) => r.json);
    },
    async deleteResults(batchId) {
      results.delete(batchId);
    },
  };
}
