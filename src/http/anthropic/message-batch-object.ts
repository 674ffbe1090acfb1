// Anthropic's MessageBatch object (anthropic_openapi_curated.yaml `MessageBatch`) from the batch
// as the runner keeps it (OpenAI's statuses and counts, epoch milliseconds): RFC 3339 times, three
// processing statuses, and request counts split five ways.
import { readDoc } from '../../batch/batch-object.js';
import { FINISHED_BATCH_STATUSES, type StoredBatch } from '../../store/batch-store.js';
import type { ResultTally } from './message-batch-results.js';

export type ProcessingStatus = 'in_progress' | 'canceling' | 'ended';

export interface MessageBatchCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

export function processingStatus(batch: StoredBatch): ProcessingStatus {
  if (FINISHED_BATCH_STATUSES.includes(batch.status)) return 'ended';
  return batch.cancelRequestedAt !== undefined ? 'canceling' : 'in_progress';
}

/**
 * Whether the counts need the error file read: only a batch that ended by cancel or expiry can
 * hold lines that never ran, and the runner counts those with the failed ones.
 */
export function needsErrorTally(batch: StoredBatch): boolean {
  const doc = readDoc(batch);
  return (
    processingStatus(batch) === 'ended' &&
    doc.requestCounts.failed > 0 &&
    (batch.status === 'cancelled' || batch.status === 'expired')
  );
}

/**
 * The five counts. While running (and canceling), the lines not yet back are processing, and so
 * are the lines the runner has already written as unrun while it ends the batch (`notRun`): they
 * become canceled or expired only once it has ended, as Anthropic shows them; every other failure
 * is errored. Once ended, `tally` (the error file's split, when `needsErrorTally`) separates
 * canceled and expired, and requests with no result (a batch that failed before running) are errored.
 */
export function messageBatchCounts(batch: StoredBatch, tally?: ResultTally): MessageBatchCounts {
  const doc = readDoc(batch);
  const { total, completed, failed } = doc.requestCounts;
  if (processingStatus(batch) !== 'ended') {
    const errored = Math.max(0, failed - (doc.notRun ?? 0));
    return {
      processing: Math.max(0, total - completed - errored),
      succeeded: completed,
      errored,
      canceled: 0,
      expired: 0,
    };
  }
  const canceled = tally?.canceled ?? 0;
  const expired = tally?.expired ?? 0;
  return {
    processing: 0,
    succeeded: completed,
    errored: Math.max(0, total - completed - canceled - expired),
    canceled,
    expired,
  };
}

/** The MessageBatch object; `resultsUrl` is where its results are read (shown once it ended). */
export function messageBatchObject(
  batch: StoredBatch,
  resultsUrl: string,
  tally?: ResultTally,
): Record<string, unknown> {
  const doc = readDoc(batch);
  const time = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const status = processingStatus(batch);
  const endedAt = doc.completedAt ?? doc.cancelledAt ?? doc.expiredAt ?? doc.failedAt;
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: status,
    request_counts: messageBatchCounts(batch, tally),
    ended_at: status === 'ended' ? time(endedAt) : null,
    created_at: time(batch.createdAt),
    expires_at: time(doc.expiresAt),
    // Results are kept as long as the batch (until it is deleted, by its client or
    // `batches.retentionDays` after it ended): never archived apart from it.
    archived_at: null,
    cancel_initiated_at: time(batch.cancelRequestedAt),
    results_url: status === 'ended' ? resultsUrl : null,
  };
}
