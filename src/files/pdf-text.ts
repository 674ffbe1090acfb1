// The text of a PDF, for the content filter (src/policy/content-filter-files.ts), extracted off the
// event loop: unpdf (Mozilla's pdf.js) runs in worker threads (./pdf-worker.mjs), because one of
// its steps (the first parse of a document, say) cannot be interrupted and, on the loop, stalled
// every other request for as long as it took (2 s for a crafted 9 MB PDF). A thread past its
// deadline is terminated and one that crashes or runs out of heap is replaced: the PDF is then not
// read (a PdfTextError), never a crash. Threads start on the first PDF and hold no process open.
// Each PDF's outcome is counted and each thread lost logged (pdf-text-outcome.ts).
import { performance } from 'node:perf_hooks';
import { types } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import {
  describeError,
  logThreadLoss,
  lossOfError,
  lossOfExit,
  type PdfTextMetrics,
  type LossContext,
  type PdfTextOutcome,
  type ThreadLoss,
} from './pdf-text-outcome.js';

export type { PdfTextMetrics, PdfTextOutcome } from './pdf-text-outcome.js';

/** What a PDF was found to hold. */
export interface PdfText {
  /** The text of the pages read, joined by blank lines. */
  text: string;
  pages: number;
  /** Pages not read (past `maxPages`). */
  unread: number;
}

/**
 * Why a PDF's text could not be read: its structure (or its reader failing), the deadline, or
 * more decompressed content than the thread's buffers may hold.
 */
export class PdfTextError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'timeout' | 'too_large',
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
  /** What each thread may hold in ArrayBuffers, in MB (default 256; 0: no cap, for measures). */
  maxBufferMb?: number;
  /** Where a thread lost (it failed to start, crashed, timed out) is logged. */
  logger?: Logger;
  metrics?: PdfTextMetrics;
  /** Tests only: a module whose `extractText` the threads run instead of pdf.js's. */
  extractor?: URL;
  /** Tests only: the threads' script instead of ./pdf-worker.mjs (one that is not there). */
  script?: URL;
}

/** Two: one slow or crafted PDF holds one thread to its deadline while the other serves on. */
export const PDF_THREADS = 2;
/**
 * Ten times what pdf.js needed for 100 dense pages (24 MB; a 260 KB manual, 24 MB too:
 * scripts/measure-pdf-worker.mjs). Buffers pdf.js decompresses are outside it (not V8 heap).
 */
export const PDF_THREAD_HEAP_MB = 256;
/**
 * Those buffers, capped as the heap is (pdf-worker.mjs): a 0.5 MB PDF whose stream inflates to
 * 512 MB grew the process by 1.6 GB uncapped, by ~260 MB capped. A PDF whose streams inflate past
 * it is not read (past about half of it where pdf.js inflates in JavaScript, doubling a buffer).
 */
export const PDF_THREAD_BUFFER_MB = 256;

const WORKER_URL = new URL('./pdf-worker.mjs', import.meta.url);

interface Job {
  id: number;
  bytes: Uint8Array;
  /** Its size, for the logs (`bytes` is moved to the thread). */
  size: number;
  maxPages: number;
  /** performance.now() when asked for. */
  asked: number;
  timer: NodeJS.Timeout;
  settle: (result: PdfText | PdfTextError, outcome: PdfTextOutcome) => void;
  thread?: Thread;
}

interface Thread {
  worker: Worker;
  /** The worker's threadId, kept for the logs (-1 once it has exited). */
  id: number;
  /** Its script ran: a thread that dies before has failed to start. */
  ready: boolean;
  job?: Job;
}

type Answer =
  { ready: true } | ({ id: number } & (PdfText | { error: { name?: string; message: string } }));

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
  private readonly maxBufferMb: number;
  private readonly script: URL;
  private readonly log: Logger | undefined;
  private nextId = 1;
  private started = 0;
  private ended = 0;
  private closed = false;

  constructor(private readonly options: PdfTextPoolOptions = {}) {
    this.size = Math.max(1, options.threads ?? PDF_THREADS);
    this.maxHeapMb = options.maxHeapMb ?? PDF_THREAD_HEAP_MB;
    this.maxBufferMb = options.maxBufferMb ?? PDF_THREAD_BUFFER_MB;
    this.script = options.script ?? WORKER_URL;
    this.log = options.logger;
  }

  /**
   * The text of the first `maxPages` pages of `bytes`, or a PdfTextError. `bytes` is taken: its
   * memory moves to the thread when it is the whole of its ArrayBuffer (copied otherwise).
   */
  extract(bytes: Uint8Array, limits: PdfTextLimits): Promise<PdfText> {
    if (this.closed) {
      this.options.metrics?.extracted('shutdown', 0);
      return Promise.reject(new PdfTextError('the router is shutting down', 'invalid'));
    }
    const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const own = owned && types.isArrayBuffer(bytes.buffer) ? bytes : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        bytes: own,
        size: own.byteLength,
        maxPages: limits.maxPages,
        asked: performance.now(),
        timer: setTimeout(() => this.expire(job), limits.timeoutMs),
        settle: (result, outcome) => {
          clearTimeout(job.timer);
          job.settle = () => undefined;
          this.options.metrics?.extracted(outcome, (performance.now() - job.asked) / 1000);
          if (result instanceof PdfTextError) reject(result);
          else resolve(result);
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
    for (const job of this.queue.splice(0)) job.settle(gone, 'shutdown');
    const threads = [...this.threads];
    this.threads.clear();
    for (const t of threads) t.job?.settle(gone, 'shutdown');
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** Hands waiting PDFs to idle threads, starting threads up to the bound. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread: Thread | ThreadLoss | undefined = [...this.threads].find((t) => !t.job);
      if (!thread) {
        if (this.threads.size >= this.size) return;
        thread = this.start();
      }
      const job = this.queue.shift()!;
      if (!('worker' in thread)) {
        job.settle(
          new PdfTextError(`not a readable PDF (${thread.why})`, 'invalid'),
          thread.outcome,
        );
        continue;
      }
      thread.job = job;
      job.thread = thread;
      thread.worker.ref(); // a PDF being read holds the process open, an idle thread does not
      const { id, bytes, maxPages } = job;
      thread.worker.postMessage({ id, bytes, maxPages }, [bytes.buffer as ArrayBuffer]);
    }
  }

  /** A new thread, or why Node refused to make one (logged). */
  private start(): Thread | ThreadLoss {
    let worker: Worker;
    try {
      worker = new Worker(this.script, {
        workerData: {
          role: 'pdf-text',
          extractor: this.options.extractor?.href,
          maxBufferMb: this.maxBufferMb,
        },
        resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb },
        // Not the server's own node flags: some stop a thread from starting (`--input-type`).
        execArgv: [],
      });
    } catch (err) {
      const loss: ThreadLoss = { outcome: 'not_started', why: describeError(err), err };
      logThreadLoss(this.log, loss, this.lossContext(-1, undefined));
      return loss;
    }
    worker.unref();
    const thread: Thread = { worker, id: worker.threadId, ready: false };
    worker.on('message', (answer: Answer) => this.answer(thread, answer));
    worker.on('error', (err) => this.lose(thread, lossOfError(thread.ready, err)));
    worker.on('messageerror', (err) =>
      this.lose(thread, { outcome: 'crashed', why: `its reader failed: ${describeError(err)}` }),
    );
    worker.on('exit', (code) => {
      this.ended++;
      this.lose(thread, lossOfExit(thread.ready, code, this.maxBufferMb));
    });
    this.threads.add(thread);
    this.started++;
    return thread;
  }

  private answer(thread: Thread, answer: Answer): void {
    if ('ready' in answer) {
      thread.ready = true;
      return;
    }
    const job = thread.job;
    if (!job || answer.id !== job.id || !this.threads.has(thread)) return;
    thread.job = undefined;
    thread.worker.unref();
    if ('error' in answer) {
      const { name, message } = answer.error;
      job.settle(
        new PdfTextError(`not a readable PDF (${name ? `${name}: ` : ''}${message})`, 'invalid'),
        'unreadable',
      );
    } else
      job.settle(
        { text: answer.text, pages: answer.pages, unread: answer.unread },
        answer.unread > 0 ? 'too_many_pages' : 'ok',
      );
    this.dispatch();
  }

  /** A thread that died: its PDF is not read, and the next PDF gets a fresh thread. */
  private lose(thread: Thread, loss: ThreadLoss): void {
    if (!this.threads.delete(thread)) return;
    thread.worker.terminate().catch(() => undefined);
    const job = thread.job;
    logThreadLoss(this.log, loss, this.lossContext(thread.id, job));
    const error =
      loss.outcome === 'too_large'
        ? new PdfTextError(loss.why, 'too_large')
        : new PdfTextError(`not a readable PDF (${loss.why})`, 'invalid');
    job?.settle(error, loss.outcome);
    this.dispatch();
  }

  private lossContext(threadId: number, job: Job | undefined): LossContext {
    const { maxHeapMb, maxBufferMb } = this;
    const pdf = job && { bytes: job.size, ms: elapsedMs(job) };
    return { threadId, script: this.script.href, maxHeapMb, maxBufferMb, ...(pdf ? { pdf } : {}) };
  }

  private expire(job: Job): void {
    const waiting = this.queue.indexOf(job);
    const thread = job.thread;
    if (waiting >= 0) this.queue.splice(waiting, 1);
    else if (thread && this.threads.delete(thread))
      thread.worker.terminate().catch(() => undefined);
    const outcome = waiting >= 0 ? 'timeout_waiting' : 'timeout';
    this.log?.warn(
      { outcome, pdfBytes: job.size, ms: elapsedMs(job), threadId: thread?.id },
      waiting >= 0
        ? 'a PDF waited for a free reader thread past its deadline: not read'
        : 'a PDF reader thread was terminated at the deadline: its PDF is not read',
    );
    job.settle(new PdfTextError('its text took too long to read', 'timeout'), outcome);
    this.dispatch();
  }
}

function elapsedMs(job: Job): number {
  return Math.round(performance.now() - job.asked);
}

let fallback: PdfTextPool | undefined;

/**
 * The pool of callers handed none (tests, tools): process-wide, started on its first PDF; its
 * idle threads hold nothing open. The server makes and closes its own (runtime-governance.ts).
 */
export function sharedPdfTextPool(): PdfTextPool {
  return (fallback ??= new PdfTextPool());
}
