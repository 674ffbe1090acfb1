// The SQLite request log's inserts in a worker thread (./sqlite-insert-worker.mjs), off the event
// loop: the server makes each record's row (toRow) and the thread writes them, a batch a
// transaction, on its own connection to the file. On the loop a flush of a few hundred records
// stalled every request in flight for tens of milliseconds (docs/benchmarks.md "The request log
// off the event loop"). The thread starts at the first insert and holds the process open only
// while a batch is being written, or while close() waits for it to stop. One that fails to start,
// errors or exits fails the batches it held (the request log keeps them and tries again:
// request-log.ts) and the next insert starts another.
import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./sqlite-insert-worker.mjs', import.meta.url);

interface Answer {
  id: number;
  error?: { message: string; code?: string };
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/** An error the thread answered with: SQLite's message and code (SQLITE_BUSY, …). */
export class SqliteInsertError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SqliteInsertError';
  }
}

export class SqliteInsertThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  /** The inserts not yet settled, which close() waits for. */
  private readonly writing = new Set<Promise<void>>();
  private nextId = 0;
  private closed = false;

  /** `sql`: the INSERT of one row, its values bound by position (toRow's order). */
  constructor(
    private readonly path: string,
    private readonly sql: string,
  ) {}

  /** Writes `rows` in one transaction; resolves once committed, rejects with SQLite's error. */
  insert(rows: readonly unknown[][]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the request log is closed'));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    const written = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref(); // a batch being written holds the process open; an idle thread does not
      worker.postMessage({ id, rows });
    });
    this.writing.add(written);
    const done = () => void this.writing.delete(written);
    written.then(done, done);
    return written;
  }

  /** Waits for the batches being written, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled(this.writing);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // The idle thread is unref'd: waiting for it to stop must hold the process, or where nothing
    // else does (a server's shutdown, once its sockets are closed) Node exits here and what
    // follows close() never runs.
    worker.ref();
    worker.postMessage({ close: true });
    await exited;
    this.worker = undefined;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_URL, {
      workerData: { path: this.path, sql: this.sql },
      // Not the server's own node flags: some stop a thread from starting (`--input-type`).
      execArgv: [],
    });
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const p = this.pending.get(answer.id);
      if (!p) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if (answer.error) p.reject(new SqliteInsertError(answer.error.message, answer.error.code));
      else p.resolve();
    });
    const lose = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      const err = new Error(`the request log's writer thread ${why}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => lose(`failed: ${err.message}`));
    worker.on('exit', (code) => lose(`exited (code ${code})`));
    return worker;
  }
}
