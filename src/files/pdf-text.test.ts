// PdfTextPool: PDFs read in worker threads. A read that never ends is cut at its deadline and its
// thread replaced; a thread that crashes, exits or runs out of heap makes that PDF unreadable and
// the next is read; several PDFs at once share the threads, each deadline counted from its ask.
// The threads run test/helpers/faulty-pdf-extractor.mjs: special bytes hang or crash, the rest go
// to pdf.js.
import { afterEach, describe, expect, it } from 'vitest';
import { tinyPdf } from '../../test/helpers/tiny-pdf.js';
import { PdfTextError, PdfTextPool, type PdfText, type PdfTextPoolOptions } from './pdf-text.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const FAULTY = new URL('../../test/helpers/faulty-pdf-extractor.mjs', import.meta.url);
const LIMITS = { maxPages: 10, timeoutMs: 10_000 };

let pools: PdfTextPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});

function pool(options: PdfTextPoolOptions = {}): PdfTextPool {
  const p = new PdfTextPool({ extractor: FAULTY, ...options });
  pools.push(p);
  return p;
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

/** What `extract` settled with: the text read, or the PdfTextError's reason and message. */
async function outcome(reading: Promise<PdfText>) {
  try {
    return await reading;
  } catch (err) {
    if (!(err instanceof PdfTextError)) throw err;
    return { reason: err.reason, message: err.message };
  }
}

describe('PdfTextPool', () => {
  it('cuts a read that never ends at its deadline, the loop ticking; a fresh thread reads the next', async () => {
    const pdfs = pool({ threads: 1 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const hung = await outcome(pdfs.extract(bytes('%PDF-hang'), { ...LIMITS, timeoutMs: 200 }));
    clearInterval(ticker);
    expect(hung).toEqual({ reason: 'timeout', message: 'its text took too long to read' });
    // The loop ticked on through the read. A loaded machine ticks far less than a quiet one (a bare
    // 1 ms interval: 22 in 200 ms at load 15; file-text.test.ts: 17 in 300 ms), a blocked loop once.
    expect(ticks).toBeGreaterThanOrEqual(3);
    // The spinning thread was terminated (left alone, it would never exit)...
    await waitFor(() => expect(pdfs.stats().ended).toBe(1));
    // ...and, one thread only, another started for this one.
    expect(await pdfs.extract(tinyPdf(['after the hang']), LIMITS)).toEqual({
      text: 'after the hang',
      pages: 1,
      unread: 0,
    });
    expect(pdfs.stats()).toEqual({ threads: 1, started: 2, ended: 1, reading: 0, waiting: 0 });
  });

  it.each([
    ['%PDF-crash', /^not a readable PDF \(its reader failed: the reader crashed\)$/],
    ['%PDF-exit', /^not a readable PDF \(its reader stopped \(exit code 3\)\)$/],
    ['%PDF-oom', /^not a readable PDF \(its reader failed: ERR_WORKER_OUT_OF_MEMORY: .*memory/],
  ])('a thread that dies (%s) leaves that PDF unread; the next is read', async (head, said) => {
    const pdfs = pool({ threads: 1, maxHeapMb: 32 });
    const died = await outcome(pdfs.extract(bytes(head), LIMITS));
    expect(died).toEqual({ reason: 'invalid', message: expect.stringMatching(said) });
    expect(await pdfs.extract(tinyPdf(['still reading']), LIMITS)).toMatchObject({
      text: 'still reading',
    });
    expect(pdfs.stats()).toMatchObject({ threads: 1, started: 2, ended: 1 });
  });

  it("says pdf.js's own error for a PDF it cannot parse, and keeps the thread", async () => {
    const pdfs = pool({ threads: 1 });
    expect(await outcome(pdfs.extract(bytes('%PDF-1.4\nnot really'), LIMITS))).toEqual({
      reason: 'invalid',
      message: expect.stringMatching(/^not a readable PDF \(\w+: /),
    });
    await pdfs.extract(tinyPdf(['fine']), LIMITS);
    expect(pdfs.stats().started).toBe(1);
  });

  it('reads on a second thread while the first is stuck', async () => {
    const pdfs = pool({ threads: 2 });
    const hung = outcome(pdfs.extract(bytes('%PDF-hang'), LIMITS));
    const read = await pdfs.extract(tinyPdf(['beside it']), LIMITS);
    expect(read.text).toBe('beside it');
    expect(pdfs.stats()).toMatchObject({ threads: 2, reading: 1 });
    await pdfs.close();
    expect(await hung).toMatchObject({ reason: 'invalid' });
  });

  it('counts a waiting PDF’s deadline from its ask: behind a stuck one, it times out waiting', async () => {
    const pdfs = pool({ threads: 1 });
    const hung = outcome(pdfs.extract(bytes('%PDF-hang'), { ...LIMITS, timeoutMs: 600 }));
    const waiting = outcome(pdfs.extract(tinyPdf(['behind it']), { ...LIMITS, timeoutMs: 200 }));
    expect(pdfs.stats()).toMatchObject({ reading: 1, waiting: 1 });
    expect(await waiting).toEqual({ reason: 'timeout', message: 'its text took too long to read' });
    expect(pdfs.stats()).toMatchObject({ threads: 1, started: 1, reading: 1, waiting: 0 });
    expect(await hung).toMatchObject({ reason: 'timeout' });
    expect(pdfs.stats()).toMatchObject({ threads: 0, started: 1, reading: 0, waiting: 0 });
  });

  it('moves a buffer it owns to the thread, and copies a view into a larger one', async () => {
    const pdfs = pool();
    const owned = new Uint8Array(tinyPdf(['moved']));
    expect((await pdfs.extract(owned, LIMITS)).text).toBe('moved');
    expect(owned.byteLength).toBe(0); // detached: transferred, not copied
    const pdf = tinyPdf(['copied']);
    const backing = new Uint8Array(pdf.length + 16); // as a Buffer from Node's shared pool is
    backing.set(pdf, 16);
    const view = backing.subarray(16);
    expect((await pdfs.extract(view, LIMITS)).text).toBe('copied');
    expect(Buffer.from(view).toString('latin1', 0, 5)).toBe('%PDF-');
    expect(backing.byteLength).toBe(pdf.length + 16);
  });

  it('close() ends the threads: a PDF being read or waiting is not read, later ones neither', async () => {
    const pdfs = pool({ threads: 1 });
    const hung = outcome(pdfs.extract(bytes('%PDF-hang'), LIMITS));
    const waiting = outcome(pdfs.extract(tinyPdf(['never']), LIMITS));
    await pdfs.close();
    const shut = { reason: 'invalid', message: 'the router is shutting down' };
    expect(await hung).toEqual(shut);
    expect(await waiting).toEqual(shut);
    expect(await outcome(pdfs.extract(tinyPdf(['later']), LIMITS))).toEqual(shut);
    expect(pdfs.stats()).toMatchObject({ threads: 0, reading: 0, waiting: 0 });
  });
});
