// The PDF reader threads' buffer cap (pdf-worker.mjs): a small PDF whose stream inflates to 512 MB
// is reported too large (413) and the process does not grow by the inflated size (before the cap:
// by 1-1.6 GB, the heap cap not counting pdf.js's buffers); the next PDF is read. Both ways pdf.js
// inflates: in JavaScript (synchronously: caught as the buffer is allocated) and with zlib (chunk
// by chunk: caught by the thread's watch). Each takes a few seconds (the thread inflates up to its
// cap): 3-5 s each on a loaded 2-core machine; before the cap, up to their 15 s deadlines.
import { afterEach, describe, expect, it } from 'vitest';
import { bombPdf } from '../../test/helpers/bomb-pdf.js';
import { tinyPdf } from '../../test/helpers/tiny-pdf.js';
import { readFileText, type FileText } from './file-text.js';
import { PdfTextPool, type PdfTextPoolOptions } from './pdf-text.js';

const LIMITS = { maxBytes: 10_000_000, maxPdfPages: 10, pdfTimeoutMs: 15_000 };
const dataUrl = (pdf: Buffer) => `data:application/pdf;base64,${pdf.toString('base64')}`;

let pools: PdfTextPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

/** A one-thread pool whose thread has started and loaded pdf.js (so RSS growth is the PDF's). */
async function warmPool(options: PdfTextPoolOptions = {}): Promise<PdfTextPool> {
  const pool = new PdfTextPool({ threads: 1, ...options });
  pools.push(pool);
  await pool.extract(tinyPdf(['warm']), { maxPages: 1, timeoutMs: 10_000 });
  return pool;
}

/** What `pdf` reads as, and by how many MB this process's RSS grew at most meanwhile. */
async function readSampled(pdf: Buffer, pool: PdfTextPool) {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const read = await readFileText(dataUrl(pdf), 'bomb.pdf', LIMITS, pool);
  clearInterval(sampler);
  return { read, grewMb: (peak - before) / 2 ** 20 };
}

async function readsNext(pool: PdfTextPool): Promise<FileText> {
  return readFileText(dataUrl(tinyPdf(['after the bomb'])), 'next.pdf', LIMITS, pool);
}

describe('PDF reader threads: the buffer cap', () => {
  it('stops a PDF inflating in JavaScript at the default 256 MB: 413, the process well under +400 MB', async () => {
    const bomb = await bombPdf(512, 'flate+runlength');
    expect(bomb.length).toBeLessThan(20_000);
    const pool = await warmPool();
    const { read, grewMb } = await readSampled(bomb, pool);
    expect(read).toEqual({
      kind: 'unreadable',
      code: 413,
      reason: 'a PDF whose decompressed streams pass the 256 MB its reader may hold',
    });
    expect(grewMb).toBeLessThan(400);
    expect(await readsNext(pool)).toMatchObject({ kind: 'pdf', text: 'after the bomb' });
  }, 30_000);

  it('stops a PDF zlib inflates at the cap (64 MB here): 413, the process well under +200 MB', async () => {
    const bomb = await bombPdf(512, 'flate');
    expect(bomb.length).toBeLessThan(1_000_000);
    const pool = await warmPool({ maxBufferMb: 64 });
    const { read, grewMb } = await readSampled(bomb, pool);
    expect(read).toEqual({
      kind: 'unreadable',
      code: 413,
      reason: 'a PDF whose decompressed streams pass the 64 MB its reader may hold',
    });
    expect(grewMb).toBeLessThan(200);
    expect(await readsNext(pool)).toMatchObject({ kind: 'pdf', text: 'after the bomb' });
  }, 30_000);
});
