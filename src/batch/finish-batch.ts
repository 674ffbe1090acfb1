// The end of a batch: its output file (the lines that succeeded) and error file (the rest), in
// input order, then its final status. Safe to run again after a crash part way: the files' ids
// come from the batch's id, so a second run replaces them instead of adding others. `onEnded` is
// told the end time once the final status is written (its webhooks), before the cleanup after it.
import type { Clock } from '../core/clock.js';
import type { BatchStore, StoredBatch } from '../store/batch-store.js';
import type { BatchDoc } from './batch-object.js';

export type BatchEnding = 'completed' | 'cancelled' | 'expired';

export async function finishBatch(
  store: BatchStore,
  worker: string,
  stored: StoredBatch,
  doc: BatchDoc,
  ending: BatchEnding,
  clock: Clock,
  onEnded?: (endedAt: number) => void,
): Promise<void> {
  const write = async (status: StoredBatch['status']) => {
    if (!(await store.updateBatch(stored.id, worker, status, JSON.stringify(doc))))
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
  await write(ending);
  onEnded?.(at);
  await store.deleteResults(stored.id);
  await store.releaseLease(stored.id, worker);
}
