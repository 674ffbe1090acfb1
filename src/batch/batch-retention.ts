// Retention of finished batches (`batches.retentionDays`): a batch that finished (completed,
// failed, expired or cancelled) that long ago is deleted with the files it wrote, its output and
// error files, and a Message Batch's own input file (made from its request body), at most
// BATCHES_PER_PASS a pass of the batch service's sweep (every replica; idempotent). Files a client
// uploaded stay: they have their own lifetime (`expires_after`, `DELETE /v1/files/{id}`). Webhook
// deliveries delivered or given up that long ago go too (deleteOldDeliveries); pending ones stay.
import { isMessageBatch } from '../http/anthropic/message-batches-routes.js';
import type { BatchStore, StoredBatch } from '../store/batch-store.js';
import type { WebhookOutbox } from '../store/webhook-outbox.js';
import { readDoc, type BatchDoc } from './batch-object.js';

/** Batches one pass deletes at most (each in a short transaction of its own). */
export const BATCHES_PER_PASS = 100;

/** Webhook deliveries one pass deletes at most (one statement). */
export const DELIVERIES_PER_PASS = 1_000;

const DAY_MS = 86_400_000;

/** The files that go with a batch: those it wrote, as its doc names them; none if unreadable. */
export function filesWrittenBy(batch: StoredBatch): string[] {
  let doc: BatchDoc;
  try {
    doc = readDoc(batch);
  } catch {
    return [];
  }
  const own = isMessageBatch(batch) ? [doc.inputFileId] : [];
  return [...own, doc.outputFileId, doc.errorFileId].filter((id) => id !== undefined);
}

type SweepLog = { warn(msg: string): void; info(msg: string): void };

/** One retention pass: `remove(finishedBy)` deletes what ended by then; a failure is logged. */
async function sweep(
  what: string,
  retentionDays: number,
  now: number,
  log: SweepLog,
  remove: (finishedBy: number) => Promise<number>,
): Promise<number> {
  if (retentionDays === 0) return 0;
  try {
    const n = await remove(now - retentionDays * DAY_MS);
    if (n > 0) log.info(`batches: deleted ${n} ${what}, ended ${retentionDays}+ days ago`);
    return n;
  } catch (err) {
    log.warn(`batches: could not delete ${what}: ${(err as Error).message}`);
    return 0;
  }
}

/**
 * Deletes up to BATCHES_PER_PASS batches that finished `retentionDays` or more before `now`
 * (none with 0: kept until deleted); returns how many. A failure is logged, never thrown.
 */
export function deleteOldBatches(
  store: BatchStore,
  retentionDays: number,
  now: number,
  log: SweepLog,
): Promise<number> {
  return sweep('finished batches', retentionDays, now, log, (finishedBy) =>
    store.deleteFinishedBatches({ finishedBy, limit: BATCHES_PER_PASS, filesOf: filesWrittenBy }),
  );
}

/**
 * Deletes up to DELIVERIES_PER_PASS webhook deliveries delivered or given up `retentionDays` or
 * more before `now` (none with 0); returns how many. A failure is logged, never thrown.
 */
export function deleteOldDeliveries(
  store: WebhookOutbox,
  retentionDays: number,
  now: number,
  log: SweepLog,
): Promise<number> {
  return sweep('old webhook deliveries', retentionDays, now, log, (finishedBy) =>
    store.deleteWebhookDeliveries({ finishedBy, limit: DELIVERIES_PER_PASS }),
  );
}
