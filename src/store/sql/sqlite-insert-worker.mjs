// @ts-check
// The thread that writes the SQLite request log's records (started by sqlite-insert-thread.ts):
// better-sqlite3 is synchronous, so a flush of a few hundred records (30–90 µs each: the rows,
// the indexes, the commit) written on the server's event loop stalled every request in flight for
// as long as it took (docs/benchmarks.md "The request log off the event loop"). Here it stalls
// only this thread. Its own connection to the same file (WAL: the server's connection reads, and
// writes its other tables, beside it; a write waits for the other's lock up to busy_timeout). Plain
// JavaScript so that it runs as it is under vitest (from src/) and, emitted by tsc (allowJs), from
// dist/. Jobs come one at a time per message and are answered in order.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @typedef {{ id: number; rows: unknown[][] }} InsertJob */
/** @typedef {{ id: number; error?: { message: string; code?: string } }} InsertAnswer */

const port = parentPort;
if (!port) throw new Error('sqlite-insert-worker.mjs runs as a worker thread only');
const { path, sql } = /** @type {{ path: string; sql: string }} */ (workerData);

const db = new Database(path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
/** @type {((rows: unknown[][]) => void) | undefined} */
let insertMany;

/**
 * A value as better-sqlite3 binds it: a structured clone turns a Buffer into a plain Uint8Array,
 * which it would refuse.
 * @param {unknown} v
 */
const bindable = (v) =>
  v instanceof Uint8Array && !Buffer.isBuffer(v)
    ? Buffer.from(v.buffer, v.byteOffset, v.length)
    : v;

port.on('message', (/** @type {InsertJob | { close: true }} */ job) => {
  if ('close' in job) {
    db.close();
    port.close();
    return;
  }
  try {
    // Prepared at the first job, once the server's connection has made the table (migrate).
    if (!insertMany) {
      const insert = db.prepare(sql);
      insertMany = db.transaction((/** @type {unknown[][]} */ rows) => {
        for (const row of rows) insert.run(...row.map(bindable));
      });
    }
    insertMany(job.rows);
    port.postMessage(/** @type {InsertAnswer} */ ({ id: job.id }));
  } catch (err) {
    const e = /** @type {{ message?: string; code?: unknown }} */ (err);
    port.postMessage(
      /** @type {InsertAnswer} */ ({
        id: job.id,
        error: {
          message: String(e?.message ?? err),
          ...(typeof e?.code === 'string' ? { code: e.code } : {}),
        },
      }),
    );
  }
});
