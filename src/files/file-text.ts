// What an inline file (a chat `file` part's `file_data`: a data URL, or bare base64) says, for the
// content filter: the text of a text file, with a way to write it back in its own encoding; the
// text of a PDF (pdf-text.ts, read in a worker thread); an image, which is not read; or why it
// could not be read.
import { IMAGE_TYPES, detectMimeType, isTextType } from './file-type.js';
import { PdfTextError, sharedPdfTextPool, type PdfTextReader } from './pdf-text.js';

export type FileText =
  | {
      kind: 'text';
      text: string;
      /** The `file_data` holding `text` instead, in the same data URL header and encoding. */
      rewrite: (text: string) => string;
    }
  | {
      kind: 'pdf';
      text: string;
      /** Pages not read past the page cap, said for the filter results. */
      unread?: string;
    }
  | { kind: 'image' }
  /** Not read: `code` as an HTTP status says why (413 over a cap, 408 too slow, 422 unreadable). */
  | { kind: 'unreadable'; code: number; reason: string };

export interface FileTextLimits {
  maxBytes: number;
  maxPdfPages: number;
  pdfTimeoutMs: number;
}

const DATA_URL_HEAD = /^data:([^,]*),/;

/** Charsets Node decodes and encodes itself; others are decoded, and written back as UTF-8. */
const NODE_ENCODINGS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'us-ascii': 'utf8', // ASCII is UTF-8; Node's 'ascii' would drop the high bit of stray bytes
  ascii: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'utf-16le': 'utf16le',
};

/** Text a model reads as text: file-type.ts's, and the structured `+json` / `+xml` kinds. */
function readsAsText(mime: string): boolean {
  return isTextType(mime) || /\+(json|xml)$/.test(mime) || mime === 'application/x-ndjson';
}

/** What `fileData` holds, read within `limits` (a PDF by `pdfs`); never throws. */
export async function readFileText(
  fileData: string,
  filename: string | undefined,
  limits: FileTextLimits,
  pdfs: PdfTextReader = sharedPdfTextPool(),
): Promise<FileText> {
  const head = DATA_URL_HEAD.exec(fileData.slice(0, 512));
  const params = head ? head[1]!.split(';').map((p) => p.trim()) : [];
  const base64 = !head || params.includes('base64');
  const payload = head ? fileData.slice(head[0].length) : fileData;
  // Bounded before decoding: base64 is 4 characters for 3 bytes.
  const bytes = base64 ? Math.floor((payload.length * 3) / 4) : payload.length;
  if (bytes > limits.maxBytes)
    return unreadable(413, `larger than contentFilter.files.maxBytes (${limits.maxBytes} bytes)`);
  let content: Buffer;
  if (base64) content = Buffer.from(payload, 'base64');
  else {
    try {
      content = Buffer.from(decodeURIComponent(payload), 'utf8');
    } catch {
      return unreadable(422, 'a data URL whose percent-encoding is malformed');
    }
  }
  const declared = params[0]?.toLowerCase() || undefined;
  const mime = detectMimeType(content, filename ?? '', declared);
  if (IMAGE_TYPES.has(mime) || mime.startsWith('image/')) return { kind: 'image' };
  if (mime === 'application/pdf') return readPdf(content, limits, pdfs);
  if (!readsAsText(mime)) return unreadable(422, `of type ${mime}, which the filter cannot read`);
  const charset = params
    .find((p) => p.toLowerCase().startsWith('charset='))
    ?.slice(8)
    .toLowerCase();
  const encoding = charset === undefined ? 'utf8' : NODE_ENCODINGS[charset];
  let text: string;
  if (encoding) text = content.toString(encoding);
  else {
    try {
      text = new TextDecoder(charset, { ignoreBOM: true }).decode(content);
    } catch {
      return unreadable(422, `in charset ${charset}, which the filter cannot decode`);
    }
  }
  // The header as sent (the type, its name, other parameters); only a charset Node cannot write
  // becomes utf-8, as the text is then written.
  const header = head
    ? `data:${params.map((p) => (encoding || !p.toLowerCase().startsWith('charset=') ? p : 'charset=utf-8')).join(';')},`
    : '';
  const rewrite = (next: string) => {
    const encoded = Buffer.from(next, encoding ?? 'utf8');
    return header + (base64 ? encoded.toString('base64') : encodeURIComponent(next));
  };
  return { kind: 'text', text, rewrite };
}

async function readPdf(
  content: Buffer,
  limits: FileTextLimits,
  pdfs: PdfTextReader,
): Promise<FileText> {
  try {
    // `content` is handed over (not used again here): a large one moves to the thread uncopied.
    const pdf = await pdfs.extract(content, {
      maxPages: limits.maxPdfPages,
      timeoutMs: limits.pdfTimeoutMs,
    });
    return {
      kind: 'pdf',
      text: pdf.text,
      ...(pdf.unread > 0
        ? {
            unread: `pages ${limits.maxPdfPages + 1}-${pdf.pages} not read (contentFilter.files.maxPdfPages is ${limits.maxPdfPages})`,
          }
        : {}),
    };
  } catch (err) {
    if (err instanceof PdfTextError && err.reason === 'too_large')
      return unreadable(413, err.message);
    if (err instanceof PdfTextError && err.reason === 'timeout')
      return unreadable(
        408,
        `a PDF whose text took longer than contentFilter.files.pdfTimeoutMs (${limits.pdfTimeoutMs} ms) to read`,
      );
    return unreadable(422, err instanceof Error ? err.message : 'not a readable PDF');
  }
}

function unreadable(code: number, reason: string): FileText {
  return { kind: 'unreadable', code, reason };
}
