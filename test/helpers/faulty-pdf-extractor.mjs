// @ts-check
// A stand-in for pdf.js in PdfTextPool's threads (its test-only `extractor` option): a PDF whose
// bytes are `%PDF-hang` never finishes (a synchronous loop, as an uninterruptible pdf.js step is),
// `%PDF-crash` throws outside any promise, `%PDF-exit` ends the thread, `%PDF-oom` fills its heap;
// any other PDF is read by the real extractor.
import { extractText as readWithPdfJs } from '../../src/files/pdf-worker.mjs';

/**
 * @param {Uint8Array} bytes
 * @param {number} maxPages
 */
export async function extractText(bytes, maxPages) {
  const head = Buffer.from(bytes.subarray(0, 16)).toString('latin1');
  if (head === '%PDF-hang') for (;;);
  if (head === '%PDF-crash') {
    setImmediate(() => {
      throw new Error('the reader crashed');
    });
    return new Promise(() => undefined);
  }
  if (head === '%PDF-exit') process.exit(3);
  if (head === '%PDF-oom') {
    const hoard = [];
    for (;;) hoard.push(new Array(100_000).fill(hoard.length));
  }
  return readWithPdfJs(bytes, maxPages);
}
