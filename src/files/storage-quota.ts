// A tenant's file storage (`batches.maxStoredMegabytesPerTenant`): every file it keeps in the
// request-log store counts, uploads and batch outputs alike; what is refused is a new upload (or a
// Message Batch's input) that would pass it, with a 413 saying what is stored and how to free it.
// Read before the file is written, so uploads running at the same time may pass it together.
import { GatewayError } from '../core/errors.js';
import type { BatchStore } from '../store/batch-store.js';

// Megabytes as `maxFileMegabytes` counts them (10^6 bytes).
const MB = 1_000_000;

/** Throws 413 `storage_quota_exceeded` when `owner` storing `bytes` more would pass `limitMb`. */
export async function checkStorageQuota(
  store: Pick<BatchStore, 'storedBytes'>,
  owner: string,
  bytes: number,
  limitMb: number,
  what: string,
): Promise<void> {
  const stored = await store.storedBytes(owner);
  if (stored + bytes <= limitMb * MB) return;
  const mb = (n: number) =>
    n < MB ? `${(n / 1e3).toFixed(1)} KB` : `${(n / MB).toFixed(n < 10 * MB ? 2 : 0)} MB`;
  throw new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'storage_quota_exceeded',
    param: null,
    message: `${what} of ${mb(bytes)} would take the files your tenant keeps past its limit: ${mb(stored)} stored of ${mb(limitMb * MB)} (batches.maxStoredMegabytesPerTenant). Delete files you no longer need (DELETE /v1/files/{id}; batches' output files go with their batch after batches.retentionDays), or ask the operator to raise the limit. Nothing was stored.`,
  });
}
