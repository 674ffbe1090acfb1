// What an uploaded file is, for using it as model input: its MIME type from its first bytes (PDF
// and the image types every vision model reads), else its name's extension, else the type the
// client declared, else text when the bytes are UTF-8 with no NUL. The types a model can be given
// are PDFs, images and text (OpenAI's file inputs and Claude's document and image blocks:
// https://platform.openai.com/docs/guides/pdf-files, https://docs.claude.com/en/docs/build-with-claude/pdf-support).

/** The image types OpenAI and Claude both read. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

const BY_EXTENSION: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  text: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  json: 'application/json',
  jsonl: 'application/jsonl',
};

/** The file's MIME type, from its bytes first (a client's declared type is often a guess). */
export function detectMimeType(content: Buffer, filename: string, declared?: string): string {
  const sniffed = sniff(content);
  if (sniffed) return sniffed;
  const dot = filename.lastIndexOf('.');
  const byName = dot >= 0 ? BY_EXTENSION[filename.slice(dot + 1).toLowerCase()] : undefined;
  if (byName) return byName;
  const type = declared?.split(';', 1)[0]?.trim().toLowerCase();
  if (type && type !== 'application/octet-stream' && /^[a-z]+\/[\w.+-]+$/.test(type)) return type;
  return looksLikeText(content) ? 'text/plain' : 'application/octet-stream';
}

/** A type a model can be given: a PDF, an image (IMAGE_TYPES) or text. */
export function isModelInputType(mime: string): boolean {
  return mime === 'application/pdf' || IMAGE_TYPES.has(mime) || isTextType(mime);
}

/** Text a model reads as text (Claude: a plain-text document). */
export function isTextType(mime: string): boolean {
  return (
    mime.startsWith('text/') ||
    mime === 'application/json' ||
    mime === 'application/jsonl' ||
    mime === 'application/xml'
  );
}

/** An image's MIME type read from its first bytes (IMAGE_TYPES), whatever its name or declared type. */
export function sniffImageType(content: Buffer): string | undefined {
  const type = sniff(content);
  return type && IMAGE_TYPES.has(type) ? type : undefined;
}

function sniff(b: Buffer): string | undefined {
  if (b.length >= 5 && b.toString('latin1', 0, 5) === '%PDF-') return 'application/pdf';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a)
    return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'image/gif';
  if (
    b.length >= 12 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP'
  )
    return 'image/webp';
  return undefined;
}

/** UTF-8 with no NUL in the first 8 KB (a cut multi-byte character at the end is allowed). */
function looksLikeText(b: Buffer): boolean {
  const head = b.subarray(0, 8192);
  if (head.includes(0)) return false;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const bad = text.indexOf('\uFFFD');
  return bad === -1 || bad >= text.length - 1;
}
