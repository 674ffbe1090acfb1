// @ts-check
// The thread in which PDFs' text is extracted (started by pdf-text.ts's PdfTextPool): unpdf
// (Mozilla's pdf.js built for servers) runs here, never on the server's event loop, so a PDF that
// is slow to parse stalls only this thread, which the pool terminates at the deadline. Plain
// JavaScript so that it runs as it is under vitest (from src/) and, emitted by tsc (allowJs),
// from dist/. One job at a time: the pool sends the next only after the answer.
import { parentPort, workerData } from 'node:worker_threads';

/** @typedef {{ text: string; pages: number; unread: number }} PdfPages */
/** @typedef {{ id: number; bytes: Uint8Array; maxPages: number }} PdfJob */

/** @type {Promise<typeof import('unpdf')> | undefined} */
let unpdf;

/**
 * The text of the first `maxPages` pages of `bytes`, joined by blank lines. pdf.js takes over
 * (and may detach) `bytes`. Runs in whichever thread calls it: the pool's, or a benchmark's.
 * @param {Uint8Array} bytes
 * @param {number} maxPages
 * @returns {Promise<PdfPages>}
 */
export async function extractText(bytes, maxPages) {
  const { getDocumentProxy } = await (unpdf ??= import('unpdf'));
  const loading = getDocumentProxy(bytes, {
    verbosity: 0, // errors only: its warnings about damaged files are not the server's to log
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  try {
    const doc = await loading;
    const pages = doc.numPages;
    const read = Math.min(pages, maxPages);
    const texts = [];
    for (let n = 1; n <= read; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      texts.push(
        content.items
          .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
          .join(''),
      );
      page.cleanup();
    }
    return { text: texts.join('\n\n'), pages, unread: pages - read };
  } finally {
    // Frees pdf.js's parser state whatever happened.
    loading.then((d) => d.destroy()).catch(() => undefined);
  }
}

/**
 * Answers each job with its text, or with the error pdf.js gave (its name and message).
 * @param {import('node:worker_threads').MessagePort} port
 * @param {typeof extractText} extract
 */
function serve(port, extract) {
  port.on('message', async (/** @type {PdfJob} */ job) => {
    try {
      port.postMessage({ id: job.id, ...(await extract(job.bytes, job.maxPages)) });
    } catch (err) {
      const error =
        err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
      port.postMessage({ id: job.id, error });
    }
  });
}

// Started by the pool (not merely imported): `extractor` is a test's stand-in for pdf.js (one
// that hangs or crashes), a module URL exporting `extractText`; loaded without a top-level await,
// as it may import this module.
if (parentPort && workerData?.role === 'pdf-text') {
  /** @type {Promise<typeof extractText>} */
  const extract = workerData.extractor
    ? import(workerData.extractor).then((m) => m.extractText)
    : Promise.resolve(extractText);
  serve(parentPort, async (bytes, maxPages) => (await extract)(bytes, maxPages));
}
