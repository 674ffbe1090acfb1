// A batch as the batches routes store it when a client creates one (status `validating`, its
// input file `file-in`), for tests that run a BatchRunner over a store directly.
import { emptyUsage, type BatchDoc } from '../../src/batch/batch-object.js';
import type { BatchStore } from '../../src/store/batch-store.js';

export async function createTestBatch(
  store: BatchStore,
  opts: { id: string; owner: string; expiresAt: number; endpoint?: string },
): Promise<void> {
  const doc: BatchDoc = {
    endpoint: opts.endpoint ?? '/v1/chat/completions',
    inputFileId: 'file-in',
    completionWindow: '24h',
    metadata: null,
    expiresAt: opts.expiresAt,
    requestCounts: { total: 0, completed: 0, failed: 0 },
    usage: emptyUsage(),
  };
  await store.createBatch({
    id: opts.id,
    owner: opts.owner,
    createdAt: Date.now(),
    status: 'validating',
    doc: JSON.stringify(doc),
  });
}
