// The text of a PDF, for the content filter (src/policy/content-filter-files.ts), extracted off the
// event loop: unpdf (Mozilla's pdf.js) runs in worker threads (./pdf-worker.mjs), because one of
// its steps (the first parse of a document, say) cannot be interrupted and, on the loop, stalled
// every other request for as long as it took (2 s for a crafted 9 MB PDF). A thread past its
// deadline is terminated and one that crashes or runs out of heap is replaced: the PDF is then not
// read (a PdfTextError), never a crash. Threads start on the first PDF and hold no process open.
import { types } from 'node:util';
import { Worker } from 'node:worker_threads';

/** What a PDF was found to hold. */
export interface PdfText {
  /** The text of the pages read, joined by blank lines. */
  text: string;
  pages: number;
  /** Pages not read (past `maxPages`). */
  unread: number;
}

/** Why a PDF's text could not be read: its structure (or its reader failing), or the deadline. */
export class PdfTextError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'timeout',
  ) {
    super(message);
    this.name = 'PdfTextError';
  }
}

export interface PdfTextLimits {
  maxPages: number;
  /** Counted from the call, so time spent waiting for a free thread counts too. */
  timeoutMs: number;
}

/** What reads PDFs for the filter: a PdfTextPool, or a stand-in. */
export interface PdfTextReader {
  extract(bytes: Uint8Array, limits: PdfTextLimits): Promise<PdfText>;
}

export interface PdfTextPoolOptions {
  /** Threads reading at once (default 2); more PDFs wait in turn, within their deadlines. */
  threads?: number;
  /** Each thread's V8 heap, in MB (default 256): a PDF that needs more fails alone. */
  maxHeapMb?: number;
  /** Tests only: a module whose `extractText` the threads run instead of pdf.js's. */
  extractor?: URL;
}

/** Two: one slow or crafted PDF holds one thread to its deadline while the other serves on. */
export const PDF_THREADS = 2;
/**
 * Ten times what pdf.js needed for 100 dense pages (24 MB; a 260 KB manual, 24 MB too:
 * scripts/measure-pdf-worker.mjs). Buffers pdf.js decompresses are outside it (not V8 heap).
 */
export const PDF_THREAD_HEAP_MB = 256;

const WORKER_URL = new URL('./pdf-worker.mjs', import.meta.url);

interface Job {
  id: number;
  bytes: Uint8Array;
  maxPages: number;
  timer: NodeJS.Timeout;
  settle: (outcome: PdfText | PdfTextError) => void;
  thread?: Thread;
}

interface Thread {
  worker: Worker;
  job?: Job;
}

type Answer = { id: number } & (PdfText | { error: { name?: string; message: string } });

/**
 * A bounded pool of PDF-reading threads with a queue. Each PDF gets its own deadline from the
 * moment it is asked for; past it, a waiting PDF leaves the queue and a PDF being read has its
 * thread terminated (the next PDF starts a fresh one).
 */
export class PdfTextPool implements PdfTextReader {
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private readonly size: number;
  private readonly maxHeapMb: number;
  private nextId = 1;
  private started = 0;
  private ended = 0;
  private closed = false;

  constructor(private readonly options: PdfTextPoolOptions = {}) {
    this.size = Math.max(1, options.threads ?? PDF_THREADS);
    this.maxHeapMb = options.maxHeapMb ?? PDF_THREAD_HEAP_MB;
  }

  /**
   * The text of the first `maxPages` pages of `bytes`, or a PdfTextError. `bytes` is taken: its
   * memory moves to the thread when it is the whole of its ArrayBuffer (copied otherwise).
   */
  extract(bytes: Uint8Array, limits: PdfTextLimits): Promise<PdfText> {
    if (this.closed)
      return Promise.reject(new PdfTextError('the router is shutting down', 'invalid'));
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const own = owned && types.isArrayBuffer(bytes.buffer) ? bytes : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        bytes: own,
        maxPages: limits.maxPages,
        timer: setTimeout(() => this.expire(job), limits.timeoutMs),
        settle: (outcome) => {
          clearTimeout(job.timer);
          job.settle = () => undefined;
          if (outcome instanceof PdfTextError) reject(outcome);
          else resolve(outcome);
        },
      };
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Threads in use, started and ended so far; PDFs being read and waiting (tests, measures). */
  stats(): { threads: number; started: number; ended: number; reading: number; waiting: number } {
    const { started, ended } = this;
    const reading = [...this.threads].filter((t) => t.job).length;
    return { threads: this.threads.size, started, ended, reading, waiting: this.queue.length };
  }

  /** Ends the threads (the runtime's shutdown); PDFs still waiting or being read are not read. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new PdfTextError('the router is shutting down', 'invalid');
    for (const job of this.queue.splice(0)) job.settle(gone);
    const threads = [...this.threads];
    this.threads.clear();
    for (const t of threads) t.job?.settle(gone);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** Hands waiting PDFs to idle threads, starting threads up to the bound. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = [...this.threads].find((t) => !t.job);
      if (!thread) {
        if (this.threads.size >= this.size) return;
        thread = this.start();
      }
      const job = this.queue.shift()!;
      thread.job = job;
      job.thread = thread;
      thread.worker.ref(); // a PDF being read holds the process open, an idle thread does not
      const { id, bytes, maxPages } = job;
      thread.worker.postMessage({ id, bytes, maxPages }, [bytes.buffer as ArrayBuffer]);
    }
  }

  private start(): Thread {
    const worker = new Worker(WORKER_URL, {
      workerData: { role: 'pdf-text', extractor: this.options.extractor?.href },
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb },
      // Not the server's own node flags: some stop a thread from starting (`--input-type`).
      execArgv: [],
    });
    worker.unref();
    const thread: Thread = { worker };
    worker.on('message', (answer: Answer) => this.answer(thread, answer));
    worker.on('error', (err) => this.lose(thread, `its reader failed: ${describe(err)}`));
    worker.on('messageerror', (err) => this.lose(thread, `its reader failed: ${describe(err)}`));
    worker.on('exit', (code) => {
      this.ended++;
      this.lose(thread, `its reader stopped (exit code ${code})`);
    });
    this.threads.add(thread);
    this.started++;
    return thread;
  }

  private answer(thread: Thread, answer: Answer): void {
    const job = thread.job;
    if (!job || answer.id !== job.id || !this.threads.has(thread)) return;
    thread.job = undefined;
    thread.worker.unref();
    if ('error' in answer) {
      const { name, message } = answer.error;
      job.settle(
        new PdfTextError(`not a readable PDF (${name ? `${name}: ` : ''}${message})`, 'invalid'),
      );
    } else job.settle({ text: answer.text, pages: answer.pages, unread: answer.unread });
    this.dispatch();
  }

  /** A thread that died: its PDF is not read, and the next PDF gets a fresh thread. */
  private lose(thread: Thread, why: string): void {
    if (!this.threads.delete(thread)) return;
    thread.worker.terminate().catch(() => undefined);
    thread.job?.settle(new PdfTextError(`not a readable PDF (${why})`, 'invalid'));
    this.dispatch();
  }

  private expire(job: Job): void {
    const waiting = this.queue.indexOf(job);
    if (waiting >= 0) this.queue.splice(waiting, 1);
    else if (job.thread && this.threads.delete(job.thread))
      job.thread.worker.terminate().catch(() => undefined);
    job.settle(new PdfTextError('its text took too long to read', 'timeout'));
    this.dispatch();
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
}

let fallback: PdfTextPool | undefined;

/**
 * The pool of callers handed none (tests, tools): process-wide, started on its first PDF; its
 * idle threads hold nothing open. The server makes and closes its own (runtime-governance.ts).
 */
export function sharedPdfTextPool(): PdfTextPool {
  return (fallback ??= new PdfTextPool());
}
