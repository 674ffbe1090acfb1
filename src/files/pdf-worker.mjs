// @ts-check
// The thread in which PDFs' text is extracted (started by pdf-text.ts's PdfTextPool): unpdf
// (Mozilla's pdf.js built for servers) runs here, never on the server's event loop, so a PDF that
// is slow to parse stalls only this thread, which the pool terminates at the deadline. Plain
// JavaScript so that it runs as it is under vitest (from src/) and, emitted by tsc (allowJs),
// from dist/. One job at a time: the pool sends the next only after the answer.
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The exit code of a thread whose buffers passed its `maxBufferMb` (pdf-text.ts maps it to
 * `too_large`); apart from Node's own codes (1: an uncaught error or running out of heap).
 */
export const BUFFER_LIMIT_EXIT_CODE = 86;

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
 * Answers each job with its text, or with the error pdf.js gave (its name and message); while
 * one is read, `watch` runs every WATCH_MS.
 * @param {import('node:worker_threads').MessagePort} port
 * @param {typeof extractText} extract
 * @param {() => void} [watch]
 */
function serve(port, extract, watch) {
  port.on('message', async (/** @type {PdfJob} */ job) => {
    const watching = watch && setInterval(watch, WATCH_MS);
    try {
      port.postMessage({ id: job.id, ...(await extract(job.bytes, job.maxPages)) });
    } catch (err) {
      const error =
        err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
      port.postMessage({ id: job.id, error });
    } finally {
      clearInterval(watching);
    }
  });
}

/** How often a thread reading a PDF looks at its buffers (pdf.js inflating with zlib yields). */
const WATCH_MS = 10;

/**
 * Ends this thread (BUFFER_LIMIT_EXIT_CODE) before it holds much more than `limitBytes` in
 * ArrayBuffers, memory that its heap cap (resourceLimits) does not count. pdf.js inflates a
 * stream two ways: with zlib (DecompressionStream), gathering its chunks and then joining them,
 * and in JavaScript, into a Uint8Array it doubles as it grows. PDFs of 8 to 500 KB whose stream
 * inflates to 512 MB grew the process by 1-1.6 GB (scripts/measure-pdf-worker.mjs). So the thread's
 * `arrayBuffers` (garbage not yet collected included) is read by the returned check, which runs
 * every WATCH_MS (zlib's chunks come between turns of the loop), and inside the typed-array and
 * ArrayBuffer constructors, as the JavaScript inflating is one synchronous loop in which no timer
 * runs: what they allocated since the last look is added up, and read again only when a new
 * buffer would pass the limit by that sum. Exiting, rather than throwing, as pdf.js catches errors
 * (a font that fails to load is replaced) and would read on, past text it skipped.
 * @param {number} limitBytes
 * @returns {() => void}
 */
function capBuffers(limitBytes) {
  let known = process.memoryUsage().arrayBuffers;
  let since = 0;
  /** @param {number} bytes */
  const check = (bytes) => {
    known = process.memoryUsage().arrayBuffers;
    since = 0;
    if (known + bytes > limitBytes) process.exit(BUFFER_LIMIT_EXIT_CODE);
  };
  /** @param {number} bytes */
  const allocate = (bytes) => {
    if (!(bytes > 0)) return;
    since += bytes;
    if (known + since > limitBytes) check(bytes);
  };
  const BUFFERS = /** @type {const} */ ([
    'ArrayBuffer',
    'SharedArrayBuffer',
    'Int8Array',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int16Array',
    'Uint16Array',
    'Int32Array',
    'Uint32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
  ]);
  for (const name of BUFFERS) {
    const Buffers = /** @type {any} */ (globalThis)[name];
    if (!Buffers) continue;
    const unit = Buffers.BYTES_PER_ELEMENT ?? 1;
    // A Proxy, not a subclass: what it makes stays a plain Uint8Array (its prototype, its
    // species); pdf.js looks its constructors up on the global object when it calls them.
    /** @type {any} */
    const counted = new Proxy(Buffers, {
      /** @returns {object} */
      construct(target, args, newTarget) {
        const [size] = args;
        // A number: a new buffer of that many elements; an array or array-like: a copy of it; a
        // buffer: a view on it, which allocates nothing.
        if (typeof size === 'number') allocate(size * unit);
        else if (size && typeof size === 'object' && typeof size.length === 'number')
          allocate(size.length * unit);
        // Made by the constructor itself, not as `new` of the Proxy: V8 gives the latter a map
        // of its own, and every read of it took the slow path (pdf.js ran ~1.8 times as long).
        return Reflect.construct(target, args, newTarget === counted ? target : newTarget);
      },
    });
    /** @type {any} */ (globalThis)[name] = counted;
  }
  return () => check(0);
}

// Started by the pool (not merely imported): `extractor` is a test's stand-in for pdf.js (one
// that hangs or crashes), a module URL exporting `extractText`; loaded without a top-level await,
// as it may import this module. `ready` tells the pool the thread started (a missing script or a
// failing import ends it before).
if (parentPort && workerData?.role === 'pdf-text') {
  const watch = workerData.maxBufferMb ? capBuffers(workerData.maxBufferMb * 1048576) : undefined;
  /** @type {Promise<typeof extractText>} */
  const extract = workerData.extractor
    ? import(workerData.extractor).then((m) => m.extractText)
    : Promise.resolve(extractText);
  serve(parentPort, async (bytes, maxPages) => (await extract)(bytes, maxPages), watch);
  parentPort.postMessage({ ready: true });
}
