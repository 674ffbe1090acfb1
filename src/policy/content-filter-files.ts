// The files a prompt attaches inline, for the content filter (content-filter.ts): chat `file`
// parts with `file_data`, which is also what Responses `input_file` items, Messages `document`
// blocks with a base64 source and the router's own files named by `file_id` are by the time the
// filter runs (convert-input.ts, messages-convert.ts, resolve-chat-files.ts). Their text is
// checked as message text is; a redaction rewrites a text file in the copy sent upstream. Before
// (security review, 2026-12-06), a rule was bypassed by pasting its text into an attached file.
import type { Config } from '../config/schema.js';
import { CLIENT_PATH, type ChatMessage } from '../core/wire-types.js';
import { readFileText, type FileText } from '../files/file-text.js';
import type { PdfTextReader } from '../files/pdf-text.js';
import type { InputVerdict } from './filters/filter-types.js';
import { scanText, type CompiledRule } from './filters/pattern-filter.js';

export type FileCheckOptions = Config['contentFilter']['files'];

/** An inline file part of the prompt and where it is. */
export interface AttachedFile {
  message: number;
  part: number;
  filename?: string;
  /** Its `filename` quoted, else its place in the client's request, for messages. */
  name: string;
  fileData: string;
}

/** A file read: what it says, if anything. */
export interface ReadFile extends AttachedFile {
  read: FileText;
}

type FilePart = {
  type?: unknown;
  file?: { file_data?: unknown; filename?: unknown };
  [CLIENT_PATH]?: string;
};

/**
 * Every inline file part of `messages`; undefined for none. One pass that allocates nothing
 * unless a part is a file (the hot path: most prompts have none).
 */
export function findAttachedFiles(messages: readonly ChatMessage[]): AttachedFile[] | undefined {
  let found: AttachedFile[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const content = (messages[i] as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (let j = 0; j < content.length; j++) {
      const p = content[j] as FilePart | null;
      if (p?.type !== 'file' || typeof p.file?.file_data !== 'string') continue;
      const filename = typeof p.file.filename === 'string' ? p.file.filename : undefined;
      const where = p[CLIENT_PATH] ?? `messages[${i}].content[${j}].file.file_data`;
      (found ??= []).push({
        message: i,
        part: j,
        ...(filename ? { filename } : {}),
        name: filename ? JSON.stringify(filename) : `at ${where}`,
        fileData: p.file.file_data,
      });
    }
  }
  return found;
}

/**
 * Each file read in turn, PDFs by `pdfs` (worker threads): one request's PDFs each get their own
 * `pdfTimeoutMs` and never take every thread from other requests at once.
 */
export async function readAttachedFiles(
  files: readonly AttachedFile[],
  options: FileCheckOptions,
  pdfs?: PdfTextReader,
): Promise<ReadFile[]> {
  const out: ReadFile[] = [];
  for (const f of files)
    out.push({ ...f, read: await readFileText(f.fileData, f.filename, options, pdfs) });
  return out;
}

/** The text of a file read, or undefined where there is none to check. */
export function textOf(f: ReadFile): string | undefined {
  return f.read.kind === 'text' || f.read.kind === 'pdf' ? f.read.text : undefined;
}

/** Why a file was not read in full, or undefined when it was (an image is not read: not asked). */
export function unreadOf(f: ReadFile): { code: number; message: string } | undefined {
  if (f.read.kind === 'unreadable')
    return { code: f.read.code, message: `attached file ${f.name} not checked: ${f.read.reason}` };
  if (f.read.kind === 'pdf' && f.read.unread)
    return { code: 413, message: `attached file ${f.name} checked in part: ${f.read.unread}` };
  return undefined;
}

/** A verdict that checked nothing and reports a file not read, as a moderation failure is. */
export function unreadVerdict(error: { code: number; message: string }): InputVerdict {
  return { hits: [], evaluated: [], error };
}

/** The names of the files whose text holds a match of a `block` rule (for the error). */
export function filesBlocked(files: readonly ReadFile[], rules: readonly CompiledRule[]): string[] {
  const blocking = rules.filter((r) => r.action === 'block');
  if (!blocking.length) return [];
  return files.filter((f) => scanText(textOf(f) ?? '', blocking).length > 0).map((f) => f.name);
}

/**
 * `messages` with each checked file whose text changed written back: a text file in its own
 * encoding; a PDF, which cannot be rewritten, as a text part of its redacted text (`pdfRedaction:
 * text`). `checked[i]` is the text of `files[i]` after the plug-ins (undefined: not checked).
 */
export function withCheckedFiles(
  messages: ChatMessage[],
  files: readonly ReadFile[],
  checked: readonly unknown[],
): ChatMessage[] {
  let out = messages;
  files.forEach((f, i) => {
    const now = checked[i];
    if (typeof now !== 'string' || now === textOf(f)) return;
    if (out === messages) out = [...messages];
    const message = out[f.message] as { content: FilePart[] };
    const parts = [...message.content];
    const part = parts[f.part]!;
    if (f.read.kind === 'text')
      parts[f.part] = { ...part, file: { ...part.file, file_data: f.read.rewrite(now) } };
    else
      parts[f.part] = {
        type: 'text',
        text: `The text of the attached PDF ${f.name}, redacted by the router's content filter (the PDF itself was not sent):\n\n${now}`,
      } as FilePart;
    out[f.message] = { ...message, content: parts } as unknown as ChatMessage;
  });
  return out;
}

/** The names of the PDFs whose text a rule redacted (which cannot be redacted in the PDF). */
export function pdfsRedacted(files: readonly ReadFile[], checked: readonly unknown[]): string[] {
  return files
    .filter(
      (f, i) =>
        f.read.kind === 'pdf' && typeof checked[i] === 'string' && checked[i] !== f.read.text,
    )
    .map((f) => f.name);
}
