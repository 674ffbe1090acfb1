// The end of a batch: its output file (the lines that succeeded) and error file (the rest), in
// input order, then its final status. Safe to run again after a crash part way: the files' ids
// come from the batch's id, so a second run replaces them instead of adding others. The final
// status is written with the batch's webhook deliveries (`end`), and `end` is told once it is.
import type { Clock } from '../core/clock.js';
import type { BatchStore, StoredBatch } from '../store/batch-store.js';
import type { NewWebhookDelivery } from '../store/webhook-outbox.js';
import type { BatchDoc } from './batch-object.js';
import type { BatchRunnerDeps } from './batch-runner-deps.js';
import type { FinishedStatus } from './webhook-event.js';

export type BatchEnding = 'completed' | 'cancelled' | 'expired';

/** What a batch's final status is written with, and who hears of it once it is. */
export interface BatchEnd {
  /** The webhook deliveries recorded with the final status (the same write). */
  deliveries(endedAt: number): readonly NewWebhookDelivery[];
  /** The final status (and its deliveries) is written. */
  ended(endedAt: number): void;
}

/** `batch`'s end as the runner's deps see it: their webhooks' deliveries, then `onFinished`. */
export function batchEnd(
  deps: Pick<BatchRunnerDeps, 'webhooksFor' | 'onFinished'>,
  batch: StoredBatch,
  status: FinishedStatus,
): BatchEnd {
  return {
    deliveries: (at) => deps.webhooksFor?.(batch, status, at) ?? [],
    ended: (at) => deps.onFinished?.(batch, status, at),
  };
}

export async function finishBatch(
  store: BatchStore,
  worker: string,
  stored: StoredBatch,
  doc: BatchDoc,
  ending: BatchEnding,
  clock: Clock,
  end?: BatchEnd,
): Promise<void> {
  const write = async (
    status: StoredBatch['status'],
    deliveries?: readonly NewWebhookDelivery[],
  ) => {
    if (!(await store.updateBatch(stored.id, worker, status, JSON.stringify(doc), deliveries)))
      throw new Error('another replica holds the batch now');
  };
  const now = clock.now();
  doc.ending = ending;
  doc.finalizingAt ??= now;
  await write('finalizing');
  const suffix = stored.id.replace(/^batch_/, '');
  const expiresAt =
    doc.outputExpiresAfterSeconds !== undefined
      ? now + doc.outputExpiresAfterSeconds * 1000
      : undefined;
  const files = [
    { ok: true, id: `file-out-${suffix}`, filename: `${stored.id}_output.jsonl` },
    { ok: false, id: `file-err-${suffix}`, filename: `${stored.id}_error.jsonl` },
  ];
  for (const f of files) {
    const lines = await store.readResults(stored.id, f.ok);
    if (lines.length === 0) continue;
    const content = Buffer.from(lines.join('\n') + '\n', 'utf8');
    await store.deleteFile(f.id, stored.owner);
    await store.putFile(
      {
        id: f.id,
        owner: stored.owner,
        purpose: doc.outputPurpose ?? 'batch_output',
        filename: f.filename,
        bytes: content.length,
        createdAt: now,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      },
      content,
    );
    if (f.ok) doc.outputFileId = f.id;
    else doc.errorFileId = f.id;
  }
  const at = clock.now();
  if (ending === 'completed') doc.completedAt = at;
  else if (ending === 'cancelled') doc.cancelledAt = at;
  else doc.expiredAt = at;
  await write(ending, end?.deliveries(at));
  end?.ended(at);
  await store.deleteResults(stored.id);
  await store.releaseLease(stored.id, worker);
}

/**
 * Writes a batch whose input did not validate as `failed` (its doc says when and why) with its
 * webhook deliveries, and tells `onFinished`; nothing when another replica holds the batch now.
 */
export async function failBatch(
  deps: Pick<BatchRunnerDeps, 'store' | 'webhooksFor' | 'onFinished'>,
  worker: string,
  stored: StoredBatch,
  doc: BatchDoc,
): Promise<void> {
  const end = batchEnd(deps, stored, 'failed');
  const at = doc.failedAt ?? stored.createdAt;
  const json = JSON.stringify(doc);
  if (await deps.store.updateBatch(stored.id, worker, 'failed', json, end.deliveries(at)))
    end.ended(at);
}
