// What the PDF pool tells operators: each PDF's outcome counted (PdfTextMetrics, and the series in
// telemetry/metrics.ts), each lost thread logged (the server's pino logger): a thread that fails to
// start (a worker script that is not there; one Node refuses outright), crashes, exits, runs out of
// heap, passes its buffer cap or is terminated at the deadline. Before, all of these showed only
// as files the filter did not read. The threads run test/helpers/faulty-pdf-extractor.mjs.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { bombPdf } from '../../test/helpers/bomb-pdf.js';
import { tinyPdf } from '../../test/helpers/tiny-pdf.js';
import { createLogger } from '../telemetry/logger.js';
import { metricsText, pdfTextMetrics } from '../telemetry/metrics.js';
import { PdfTextPool, type PdfTextOutcome, type PdfTextPoolOptions } from './pdf-text.js';

const FAULTY = new URL('../../test/helpers/faulty-pdf-extractor.mjs', import.meta.url);
const LIMITS = { maxPages: 10, timeoutMs: 10_000 };
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

let pools: PdfTextPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

/** A pool whose outcomes and log lines the test reads. */
function observed(options: PdfTextPoolOptions = {}) {
  const outcomes: PdfTextOutcome[] = [];
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const pool = new PdfTextPool({
    extractor: FAULTY,
    threads: 1,
    logger: createLogger({ level: 'info', stream }),
    metrics: {
      extracted: (outcome, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        outcomes.push(outcome);
      },
    },
    ...options,
  });
  pools.push(pool);
  const logged = () => lines.map((l) => ({ level: l.level, msg: l.msg, outcome: l.outcome }));
  return { pool, outcomes, lines, logged };
}

const settled = (reading: Promise<unknown>) =>
  reading.then(
    () => 'read',
    (err: Error) => err.message,
  );

const WARN = 40;
const ERROR = 50;

describe('PdfTextPool outcomes: counted and logged', () => {
  it('counts a PDF read, one read in part and one pdf.js cannot parse, logging none of them', async () => {
    const { pool, outcomes, lines } = observed();
    await pool.extract(tinyPdf(['one']), LIMITS);
    await pool.extract(tinyPdf(['one', 'two', 'three']), { ...LIMITS, maxPages: 1 });
    await settled(pool.extract(bytes('%PDF-1.4\nnot really'), LIMITS));
    expect(outcomes).toEqual(['ok', 'too_many_pages', 'unreadable']);
    expect(lines).toEqual([]);
  });

  it.each([
    ['%PDF-crash', 'crashed', 'a PDF reader thread crashed: its PDF is not read'],
    ['%PDF-exit', 'crashed', 'a PDF reader thread crashed: its PDF is not read'],
    [
      '%PDF-oom',
      'out_of_memory',
      'a PDF reader thread ran out of its 32 MB heap: its PDF is not read',
    ],
  ])('logs and counts a thread that dies (%s) as %s', async (head, outcome, msg) => {
    const { pool, outcomes, lines, logged } = observed({ maxHeapMb: 32 });
    await settled(pool.extract(bytes(head), LIMITS));
    expect(outcomes).toEqual([outcome]);
    expect(logged()).toEqual([{ level: WARN, msg, outcome }]);
    expect(lines[0]).toMatchObject({ pdfBytes: head.length, threadId: expect.any(Number) });
    expect(lines[0]!.threadId).toBeGreaterThan(0);
    if (head === '%PDF-exit') expect(lines[0]).toMatchObject({ exitCode: 3 });
    else expect(lines[0]).toHaveProperty('err.message');
  });

  it('logs and counts a PDF cut at its deadline, and one that timed out waiting behind it', async () => {
    const { pool, outcomes, logged } = observed();
    const hung = settled(pool.extract(bytes('%PDF-hang'), { ...LIMITS, timeoutMs: 600 }));
    const waiting = settled(pool.extract(tinyPdf(['behind']), { ...LIMITS, timeoutMs: 200 }));
    expect(await waiting).toBe('its text took too long to read');
    expect(await hung).toBe('its text took too long to read');
    expect(outcomes).toEqual(['timeout_waiting', 'timeout']);
    expect(logged()).toEqual([
      {
        level: WARN,
        msg: 'a PDF waited for a free reader thread past its deadline: not read',
        outcome: 'timeout_waiting',
      },
      {
        level: WARN,
        msg: 'a PDF reader thread was terminated at the deadline: its PDF is not read',
        outcome: 'timeout',
      },
    ]);
  });

  it('logs and counts a PDF whose streams pass the buffer cap as too_large', async () => {
    const { pool, outcomes, lines, logged } = observed({ maxBufferMb: 16 });
    const bomb = await bombPdf(64, 'flate+runlength');
    expect(await settled(pool.extract(bomb, LIMITS))).toBe(
      'a PDF whose decompressed streams pass the 16 MB its reader may hold',
    );
    expect(outcomes).toEqual(['too_large']);
    expect(logged()).toEqual([
      {
        level: WARN,
        msg: 'a PDF reader thread passed its 16 MB of buffers decompressing: its PDF is not read',
        outcome: 'too_large',
      },
    ]);
    expect(lines[0]).toMatchObject({ exitCode: 86, pdfBytes: bomb.length });
  });

  it('logs an error naming the script when a thread fails to start; each PDF counts not_started', async () => {
    const script = new URL('./no-such-pdf-worker.mjs', import.meta.url);
    const { pool, outcomes, lines, logged } = observed({ script });
    for (let i = 0; i < 2; i++)
      expect(await settled(pool.extract(tinyPdf(['never']), LIMITS))).toMatch(
        /^not a readable PDF \(its reader failed: .*no-such-pdf-worker\.mjs/,
      );
    expect(outcomes).toEqual(['not_started', 'not_started']);
    const failed = {
      level: ERROR,
      msg: 'a PDF reader thread failed to start: attached PDFs are not read',
      outcome: 'not_started',
    };
    expect(logged()).toEqual([failed, failed]);
    expect(lines[0]).toMatchObject({ script: script.href, err: { message: expect.any(String) } });
  });

  it('does the same when Node refuses to make the thread at all, and the server serves on', async () => {
    const { pool, outcomes, lines } = observed({ script: new URL('https://example.com/w.mjs') });
    expect(await settled(pool.extract(tinyPdf(['never']), LIMITS))).toMatch(
      /^not a readable PDF \(/,
    );
    expect(outcomes).toEqual(['not_started']);
    expect(lines).toMatchObject([{ level: ERROR, outcome: 'not_started', threadId: -1 }]);
  });

  it('counts PDFs not read because the pool closed', async () => {
    const { pool, outcomes, lines } = observed();
    const hung = settled(pool.extract(bytes('%PDF-hang'), LIMITS));
    await pool.close();
    await hung;
    await settled(pool.extract(tinyPdf(['later']), LIMITS));
    expect(outcomes).toEqual(['shutdown', 'shutdown']);
    expect(lines).toEqual([]);
  });

  it('serves the outcomes as model_router_pdf_text_extractions_total and _duration_seconds', async () => {
    // Read as differences: test files share this process's registry.
    const values = async () => {
      const text = await metricsText();
      return (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return Number(line?.slice(series.length + 1) ?? 0);
      };
    };
    const SERIES = [
      'model_router_pdf_text_extractions_total{outcome="timeout"}',
      'model_router_pdf_text_extractions_total{outcome="ok"}',
      'model_router_pdf_text_duration_seconds_count{outcome="ok"}',
      'model_router_pdf_text_duration_seconds_bucket{le="10",outcome="timeout"}',
      'model_router_pdf_text_duration_seconds_bucket{le="5",outcome="timeout"}',
    ];
    const was = await values();
    pdfTextMetrics.extracted('timeout', 5.2);
    pdfTextMetrics.extracted('ok', 0.04);
    pdfTextMetrics.extracted('ok', 0.02);
    const now = await values();
    expect(SERIES.map((s) => now(s) - was(s))).toEqual([1, 2, 2, 1, 0]);
  });
});
