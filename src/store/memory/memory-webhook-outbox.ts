// The batch webhooks' outbox in this process's memory (no request log: one replica, lost on
// restart). Same contract as the SQL stores (webhook-outbox.test.ts).
import {
  deliveryState,
  type NewWebhookDelivery,
  type WebhookDelivery,
  type WebhookOutbox,
} from '../webhook-outbox.js';

interface Row extends WebhookDelivery {
  leaseHolder?: string;
}

/** The outbox, and `add` for the batch store's `updateBatch` (synchronous: one step with it). */
export function createMemoryWebhookOutbox(): WebhookOutbox & {
  add(list: readonly NewWebhookDelivery[]): void;
} {
  const rows = new Map<string, Row>();
  const show = ({ leaseHolder: _, ...d }: Row): WebhookDelivery => ({ ...d });
  const newestFirst = (a: Row, b: Row) =>
    b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const add = (list: readonly NewWebhookDelivery[]) => {
    for (const d of list)
      if (!rows.has(d.id))
        rows.set(d.id, { ...d, status: 'pending', attempts: 0, nextAttemptAt: d.createdAt });
  };
  return {
    add,
    async addWebhookDeliveries(list) {
      add(list);
    },
    async claimWebhookDelivery(worker, now, leaseUntil) {
      const due = [...rows.values()]
        .filter((r) => r.status === 'pending' && r.nextAttemptAt! <= now)
        .sort((a, b) => a.nextAttemptAt! - b.nextAttemptAt! || (a.id < b.id ? -1 : 1))[0];
      if (!due) return undefined;
      due.leaseHolder = worker;
      due.nextAttemptAt = leaseUntil;
      return show(due);
    },
    async endWebhookAttempt(id, worker, end) {
      const r = rows.get(id);
      if (!r || r.status !== 'pending' || r.leaseHolder !== worker) return false;
      delete r.leaseHolder;
      if (end.status !== 'failed' || end.sent) r.attempts++;
      r.status = end.status;
      if (end.status === 'delivered') delete r.lastError;
      else r.lastError = end.error;
      if (end.status === 'pending') r.nextAttemptAt = end.nextAttemptAt;
      else {
        delete r.nextAttemptAt;
        r.finishedAt = end.at;
      }
      return true;
    },
    async listWebhookDeliveries(q) {
      const at = q.after === undefined ? undefined : rows.get(q.after);
      if (q.after !== undefined && !at) return [];
      return [...rows.values()]
        .filter((r) => q.status === undefined || r.status === q.status)
        .filter((r) => q.batchId === undefined || r.batchId === q.batchId)
        .filter((r) => !at || newestFirst(at, r) < 0)
        .sort(newestFirst)
        .slice(0, q.limit)
        .map(show);
    },
    async retryWebhookDelivery(id, now) {
      const r = rows.get(id);
      if (!r) return undefined;
      if (r.status === 'failed') {
        r.status = 'pending';
        r.attempts = 0;
        r.nextAttemptAt = now;
        delete r.finishedAt;
        delete r.leaseHolder;
      }
      return show(r);
    },
    async countWebhookDeliveries(now) {
      const counts = { pending: 0, delivering: 0, delivered: 0, failed: 0 };
      for (const r of rows.values())
        counts[deliveryState(r.status, r.leaseHolder !== undefined, r.nextAttemptAt, now)]++;
      return counts;
    },
    async deleteWebhookDeliveries(q) {
      const due = [...rows.values()]
        .filter((r) => r.status !== 'pending' && r.finishedAt! <= q.finishedBy)
        .sort((a, b) => a.finishedAt! - b.finishedAt!)
        .slice(0, q.limit);
      for (const r of due) rows.delete(r.id);
      return due.length;
    },
  };
}
