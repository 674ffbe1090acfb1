// The SQLite request log's file has two writers: the server's connection (stored objects) and the
// writer thread's (request rows). A transaction that reads before it writes, started as SQLite's
// default deferred one, holds a read snapshot when it asks for the write lock, and SQLite does not
// wait on a lock held by the other connection then (the busy handler runs only for a connection
// with no transaction open): it fails at once with SQLITE_BUSY, a 503 to the client. Found by
// test/route-access-matrix.test.ts (DELETE /v1/chat/completions/{id} answered 503 SQLITE_BUSY
// while the writer thread was writing). Such transactions begin IMMEDIATE: they wait for the lock
// (busy_timeout) before reading.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogStore } from '../request-log.js';
import { createSqliteRequestStore } from './sqlite-request-store.js';

// A second connection that takes the write lock, says so, holds it a second, then commits: the
// writer thread's part, made deterministic.
const HOLD_WRITE_LOCK = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(9999, 'x');
parentPort.postMessage('locked');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
db.exec('ROLLBACK');
db.close();
`;

let open: RequestLogStore | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function storeWithOtherWriter(): Promise<{
  store: RequestLogStore;
  /** Runs `write` while the other connection holds the write lock (it lets go after a second). */
  whileLocked<T>(write: () => Promise<T>): Promise<T>;
}> {
  const path = join(mkdtempSync(join(tmpdir(), 'mr-hsec-busy-')), 'requests.db');
  const store = createSqliteRequestStore(path, { writerThread: false });
  open = store;
  await store.migrate();
  return {
    store,
    async whileLocked(write) {
      const worker = new Worker(HOLD_WRITE_LOCK, {
        eval: true,
        workerData: {
          path,
          holdMs: 1_000,
          module: createRequire(import.meta.url).resolve('better-sqlite3'),
        },
      });
      await once(worker, 'message');
      try {
        return await write();
      } finally {
        await once(worker, 'exit');
      }
    },
  };
}

describe('SQLite stored objects while another connection writes', () => {
  it('deleting a stored chat completion waits for the lock instead of failing SQLITE_BUSY', async () => {
    const { store, whileLocked } = await storeWithOtherWriter();
    await store.saveChatCompletion({
      id: 'chatcmpl-1',
      owner: 'team-a',
      createdAt: 1,
      model: 'small',
      metadata: {},
      completion: { id: 'chatcmpl-1' },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(await whileLocked(() => store.deleteChatCompletion('chatcmpl-1', 'team-a'))).toBe(true);
  });

  it('adding and deleting conversation items wait for the lock too', async () => {
    const { store, whileLocked } = await storeWithOtherWriter();
    await store.createConversationObject(
      { id: 'conv_1', owner: 'team-a', createdAt: 1, metadata: {} },
      [],
    );
    const item = { id: 'msg_1', type: 'message', role: 'user', content: 'hi' };
    const appended = await whileLocked(() =>
      store.appendConversationItems('conv_1', 'team-a', [item], 2),
    );
    expect(appended).toEqual({ kind: 'appended', added: [item] });
    expect(
      await whileLocked(() => store.deleteConversationItem('conv_1', 'team-a', 'msg_1', 3)),
    ).toBe('deleted');
  });
});
