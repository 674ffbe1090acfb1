// What became of each PDF the pool was asked for, and how a lost reader thread is told: counted by
// outcome (PdfTextMetrics, telemetry/metrics.ts) and logged, so that a missing worker script, a
// crashing thread or every PDF timing out shows as such, not only as files the filter did not read.
import type { Logger } from 'pino';
import { BUFFER_LIMIT_EXIT_CODE } from './pdf-worker.mjs';

/**
 * What became of a PDF asked for: read in full (`ok`) or its first pages (`too_many_pages`);
 * pdf.js could not parse it (`unreadable`); its deadline passed while a thread read it (`timeout`,
 * the thread terminated) or while it waited for one (`timeout_waiting`); its thread crashed or
 * exited (`crashed`), ran out of heap (`out_of_memory`), passed its buffer cap (`too_large`) or
 * never started (`not_started`); or the pool closed (`shutdown`).
 */
export type PdfTextOutcome =
  | 'ok'
  | 'too_many_pages'
  | 'unreadable'
  | 'timeout'
  | 'timeout_waiting'
  | 'crashed'
  | 'out_of_memory'
  | 'too_large'
  | 'not_started'
  | 'shutdown';

/** Where the pool counts outcomes (telemetry/metrics.ts's pdfTextMetrics, or a test's). */
export interface PdfTextMetrics {
  /** A PDF's outcome, `seconds` after it was asked for (waiting for a thread included). */
  extracted(outcome: PdfTextOutcome, seconds: number): void;
}

/** How a reader thread was lost, and the reason its PDF (if any) gets. */
export interface ThreadLoss {
  outcome: 'crashed' | 'out_of_memory' | 'too_large' | 'not_started';
  why: string;
  err?: unknown;
  exitCode?: number;
}

/** What a thread's `error` event means: out of heap, a start that failed, or a crash. */
export function lossOfError(ready: boolean, err: unknown): ThreadLoss {
  const why = `its reader failed: ${describeError(err)}`;
  if ((err as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return { outcome: 'out_of_memory', why, err };
  return { outcome: ready ? 'crashed' : 'not_started', why, err };
}

/** What a thread's exit (one the pool did not ask for) means. */
export function lossOfExit(ready: boolean, exitCode: number, maxBufferMb: number): ThreadLoss {
  if (exitCode === BUFFER_LIMIT_EXIT_CODE)
    return {
      outcome: 'too_large',
      why: `a PDF whose decompressed streams pass the ${maxBufferMb} MB its reader may hold`,
      exitCode,
    };
  const why = `its reader stopped (exit code ${exitCode})`;
  return { outcome: ready ? 'crashed' : 'not_started', why, exitCode };
}

/** The thread, its script and caps, and the PDF it was reading (if any) for a loss's log line. */
export interface LossContext {
  threadId: number;
  script: string;
  maxHeapMb: number;
  maxBufferMb: number;
  pdf?: { bytes: number; ms: number };
}

/** A thread lost: failing to start is an error (no PDF will be read), the rest warnings. */
export function logThreadLoss(log: Logger | undefined, loss: ThreadLoss, at: LossContext): void {
  if (!log) return;
  const fields = {
    outcome: loss.outcome,
    threadId: at.threadId,
    ...(loss.exitCode !== undefined ? { exitCode: loss.exitCode } : {}),
    ...(loss.err !== undefined ? { err: loss.err } : {}),
    ...(at.pdf ? { pdfBytes: at.pdf.bytes, ms: at.pdf.ms } : {}),
  };
  const pdf = at.pdf ? 'its PDF is not read' : 'it was reading none';
  if (loss.outcome === 'not_started')
    log.error(
      { ...fields, script: at.script },
      'a PDF reader thread failed to start: attached PDFs are not read',
    );
  else if (loss.outcome === 'out_of_memory')
    log.warn(fields, `a PDF reader thread ran out of its ${at.maxHeapMb} MB heap: ${pdf}`);
  else if (loss.outcome === 'too_large')
    log.warn(
      fields,
      `a PDF reader thread passed its ${at.maxBufferMb} MB of buffers decompressing: ${pdf}`,
    );
  else log.warn(fields, `a PDF reader thread crashed: ${pdf}`);
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
}
