// The SQLite request log writes a file's records in a worker thread (sqlite-insert-thread.ts; by
// default where the process may use more than one CPU, here asked for whatever the machine): the
// records land whole and readable through the server's connection, a batch the database refuses
// fails with SQLite's words and the next goes through, close() waits for what is being written,
// and a flush leaves the event loop free while the thread writes (on the loop, a setImmediate
// queued before the insert could not run until it had finished).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../request-record.js';
import { createSqliteRequestStore } from './sqlite-request-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dbPath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-sqlite-thread-'));
  dirs.push(dir);
  return join(dir, 'requests.db');
};

const record = (i: number): RequestRecord => ({
  time: 1_700_000_000_000 + i,
  requestId: `req-${i}`,
  endpoint: 'chat',
  tenant: 'team-a',
  router: 'model-router',
  deployment: 'gpt-4.1-mini',
  servedModel: 'gpt-4.1-mini',
  attempts: [
    {
      deployment: 'gpt-4.1-mini',
      model: 'gpt-4.1-mini',
      outcome: 'ok',
      httpStatus: 200,
      latencyMs: 12,
    },
  ],
  stream: false,
  promptTokens: 100 + i,
  cachedTokens: 0,
  completionTokens: 20,
  reasoningTokens: 0,
  costUsd: 0.0001,
  baselineCostUsd: 0.001,
  latencyMs: 12,
  status: 200,
  promptText: `prompt ${i} `.repeat(40),
});

describe('the SQLite request log writes a file in a worker thread', () => {
  it('writes every record, readable at once through the store', async () => {
    const store = createSqliteRequestStore(dbPath(), { writerThread: true });
    await store.migrate();
    await store.insert(Array.from({ length: 300 }, (_, i) => record(i)));
    await store.insert([record(300)]);
    const rows = await store.query(0);
    expect(rows.map((r) => r.requestId)).toEqual(Array.from({ length: 301 }, (_, i) => `req-${i}`));
    expect(rows[7]).toMatchObject({ promptTokens: 107, tenant: 'team-a', status: 200 });
    await store.close();
  });

  it("leaves the event loop free while it writes: a setImmediate queued first runs before the insert's end", async () => {
    const store = createSqliteRequestStore(dbPath(), { writerThread: true });
    await store.migrate();
    await store.insert([record(0)]); // the thread started and the statement prepared
    const order: string[] = [];
    setImmediate(() => order.push('loop turn'));
    await store.insert(Array.from({ length: 500 }, (_, i) => record(i + 1)));
    order.push('insert done');
    expect(order).toEqual(['loop turn', 'insert done']);
    await store.close();
  });

  it("fails a batch the database refuses with SQLite's words, and writes the next", async () => {
    const path = dbPath();
    const store = createSqliteRequestStore(path, { writerThread: true });
    await store.migrate();
    // A unique index the next batch breaks (as a disk error or a schema drift would refuse it).
    const other = new Database(path);
    other.exec('CREATE UNIQUE INDEX requests_id_once ON requests (request_id)');
    other.close();
    await expect(store.insert([record(1), record(1)])).rejects.toThrow(/UNIQUE constraint failed/);
    await store.insert([record(2)]);
    expect((await store.query(0)).map((r) => r.requestId)).toEqual(['req-2']);
    await store.close();
  });

  it('close() waits for the batches being written, and refuses inserts after it', async () => {
    const path = dbPath();
    const store = createSqliteRequestStore(path, { writerThread: true });
    await store.migrate();
    const writing = store.insert(Array.from({ length: 400 }, (_, i) => record(i)));
    await store.close();
    await writing;
    await expect(store.insert([record(401)])).rejects.toThrow(/closed/);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 400 });
    db.close();
  });

  it('close() holds the process open until the thread has stopped: what follows it runs where nothing else would', async () => {
    // The server's shutdown closes the request log, then the key store, tracing, shared state and
    // the logger: with nothing else holding the process, Node used to exit while close() waited
    // for the idle thread to stop, and skipped the rest (`node` exits 13: an await never settled).
    const path = dbPath();
    const script = join(path, '..', 'close.mjs');
    writeFileSync(
      script,
      [
        `const { createSqliteRequestStore } = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), 'dist/src/store/sql/sqlite-request-store.js')).href)});`,
        `const store = createSqliteRequestStore(${JSON.stringify(path)}, { writerThread: true });`,
        'await store.migrate();',
        `await store.insert(${JSON.stringify([record(1), record(2)])});`,
        'await store.close();',
        "console.log('closed');",
      ].join('\n'),
    );
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(run).toEqual({ code: 0, out: 'closed\n' });
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 2 });
    db.close();
  });
});

describe('whether the SQLite request log writes in a thread', () => {
  it('writes on the loop when asked to (one CPU), and the records are the same', async () => {
    const store = createSqliteRequestStore(dbPath(), { writerThread: false });
    await store.migrate();
    const order: string[] = [];
    setImmediate(() => order.push('loop turn'));
    await store.insert(Array.from({ length: 50 }, (_, i) => record(i)));
    order.push('insert done');
    // The insert ended within the turn that began it: the setImmediate has not run yet.
    expect(order).toEqual(['insert done']);
    expect((await store.query(0)).length).toBe(50);
    await store.close();
  });
});
