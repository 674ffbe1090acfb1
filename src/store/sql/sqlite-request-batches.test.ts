// The SQLite request store's batches, written through one prepared transaction (made at the first
// insert, not per batch): every batch's records are written, and a batch the database refuses
// leaves none of its rows and does not hold back the next.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RequestLog } from '../request-log.js';
import { createSqliteRequestStore } from './sqlite-request-store.js';
import { sampleRecord as rec } from '../../../test/helpers/request-records.js';

const path = () => join(mkdtempSync(join(tmpdir(), 'mr-sqlite-batches-')), 'requests.db');

describe('SQLite request store batches', () => {
  it('writes every batch, one after another, and rolls back a refused one whole', async () => {
    const store = createSqliteRequestStore(path());
    await store.migrate();
    await store.insert([rec(1), rec(2)]);
    await store.insert([rec(3)]);
    // A value SQLite cannot bind (an object) in the second row: the batch fails, its first row
    // is not left behind.
    const bad = rec(5, { status: { not: 'a number' } as unknown as number });
    await expect(store.insert([rec(4), bad])).rejects.toThrow();
    await store.insert([rec(6), rec(7), rec(8)]);
    const ids = (await store.query(0)).map((r) => r.requestId);
    expect(ids).toEqual(['req_1', 'req_2', 'req_3', 'req_6', 'req_7', 'req_8']);
    await store.close();
  });

  it('loses no record the writer queued, paced a few a flush, and none on close', async () => {
    const file = path();
    const store = createSqliteRequestStore(file);
    const log = new RequestLog(store, { maxBuffer: 100, storeText: false, retentionDays: 30 });
    // Records of now: the writer's first flush also deletes those past retention.
    const now = (i: number) => rec(i, { time: Date.now() + i });
    for (let i = 1; i <= 9; i++) {
      log.record(now(i));
      if (i % 3 === 0) await log.flush();
    }
    log.record(now(10));
    await log.close();
    const reopened = createSqliteRequestStore(file);
    const ids = (await reopened.query(0)).map((r) => r.requestId);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `req_${i + 1}`));
    await reopened.close();
  });
});
