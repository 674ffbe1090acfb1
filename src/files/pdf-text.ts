// The text of a PDF, for the content filter (src/policy/content-filter-files.ts): extracted with
// unpdf (Mozilla's pdf.js built for servers: pure JS, no native parts, no worker thread), loaded on
// the first PDF so a router that never sees one never pays its import (~100-400 ms). Bounded: at
// most `maxPages` pages, and a deadline checked between steps, each of which gives the event loop
// back. A PDF that does not parse is a PdfTextError, never a crash (pdf.js rejects its promises).
import type * as Unpdf from 'unpdf';

type UnpdfModule = typeof Unpdf;

/** What a PDF was found to hold. */
export interface PdfText {
  /** The text of the pages read, joined by blank lines. */
  text: string;
  pages: number;
  /** Pages not read (past `maxPages`). */
  unread: number;
}

/** Why a PDF's text could not be read: its structure, or the deadline. */
export class PdfTextError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'timeout',
  ) {
    super(message);
    this.name = 'PdfTextError';
  }
}

let unpdf: Promise<UnpdfModule> | undefined;

/**
 * The text of the first `maxPages` pages of `bytes`, read within about `timeoutMs`. pdf.js here
 * runs on the event loop and yields only to microtasks, so a timer could not stop it and other
 * requests would wait for a whole PDF (measured: ~0.4 s for 100 dense pages): the loop is given
 * back after each step, and the deadline is checked then.
 */
export async function extractPdfText(
  bytes: Uint8Array,
  limits: { maxPages: number; timeoutMs: number },
): Promise<PdfText> {
  const deadline = performance.now() + limits.timeoutMs;
  const step = async <T>(work: Promise<T>): Promise<T> => {
    const value = await work;
    await new Promise((resolve) => setImmediate(resolve));
    if (performance.now() > deadline)
      throw new PdfTextError('its text took too long to read', 'timeout');
    return value;
  };
  const { getDocumentProxy } = await (unpdf ??= import('unpdf'));
  // pdf.js takes over (and may detach) the buffer it is given: a copy, so the caller's is intact.
  const loading = getDocumentProxy(new Uint8Array(bytes), {
    verbosity: 0, // errors only: its warnings about damaged files are not the server's to log
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  try {
    const doc = await step(loading);
    const pages = doc.numPages;
    const read = Math.min(pages, limits.maxPages);
    const texts: string[] = [];
    for (let n = 1; n <= read; n++) {
      const page = await step(doc.getPage(n));
      const content = await step(page.getTextContent());
      texts.push(
        content.items
          .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
          .join(''),
      );
      page.cleanup();
    }
    return { text: texts.join('\n\n'), pages, unread: pages - read };
  } catch (err) {
    if (err instanceof PdfTextError) throw err;
    const name = err instanceof Error ? err.name : '';
    const said = err instanceof Error ? err.message : String(err);
    throw new PdfTextError(`not a readable PDF (${name ? `${name}: ` : ''}${said})`, 'invalid');
  } finally {
    // Frees pdf.js's parser state whatever happened.
    loading.then((d) => d.destroy()).catch(() => undefined);
  }
}
