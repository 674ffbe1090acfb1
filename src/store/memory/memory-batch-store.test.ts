// deleteBatch: the owner's batch goes with its finished lines and lease; another owner's stays.
import { describe, expect, it } from 'vitest';
import { createMemoryBatchStore } from './memory-batch-store.js';

describe('memory batch store: deleteBatch', () => {
  it("deletes the owner's batch, its results and its lease, and nothing of another owner's", async () => {
    const store = createMemoryBatchStore();
    const batch = { id: 'batch_1', owner: 'acme', createdAt: 1, status: 'in_progress' as const };
    await store.createBatch({ ...batch, doc: '{}' });
    await store.putResults('batch_1', [{ line: 0, ok: true, json: '{}' }]);
    expect(await store.claimBatch('w1', 2, 1_000, [])).toMatchObject({ id: 'batch_1' });

    expect(await store.deleteBatch('batch_1', 'beta')).toBe(false);
    expect(await store.getBatch('batch_1', 'acme')).toBeDefined();

    expect(await store.deleteBatch('batch_1', 'acme')).toBe(true);
    expect(await store.getBatch('batch_1', 'acme')).toBeUndefined();
    expect(await store.resultLines('batch_1')).toEqual([]);
    expect((await store.renewLease('batch_1', 'w1', 2_000)).held).toBe(false);
    expect(await store.deleteBatch('batch_1', 'acme')).toBe(false);
  });
});
