// Text for a response header. Node refuses a header value with a line break or a character past
// Latin-1 (`ERR_INVALID_CHAR`), and refuses it only when the response is written: after the
// upstream has answered and billed, as a 500 in no API's shape, or, for a stream, as a response
// that never starts. Warnings quote client input (a tool type, a plugin id, `transforms`) and our
// own typography (`0–1`), so every `x-router-warnings` is made header-safe here, and kept short:
// fetch clients (the `openai` SDK's undici) refuse headers past about 16 KB.

import type { OutgoingHttpHeaders } from 'node:http';

/** Typography our messages use, in ASCII. */
const ASCII: Record<string, string> = {
  '–': '-',
  '—': '-',
  '−': '-',
  '…': '...',
  '×': 'x',
  '≤': '<=',
  '≥': '>=',
  '→': '->',
  '←': '<-',
  '↔': '<->',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '≈': '~',
};

/** Longest `x-router-warnings` value; past it the list is cut, and says so. */
export const MAX_WARNINGS_HEADER = 4096;

/** `text` as a header value: printable ASCII, our typography spelt in it, anything else `?`. */
export function headerText(text: string): string {
  // The common case, checked first: nothing to change.
  if (/^[\x20-\x7e\t]*$/.test(text)) return text;
  return text.replace(/[^\x20-\x7e\t]/gu, (c) => ASCII[c] ?? '?');
}

/** Warnings as one `x-router-warnings` value: `; `-joined, header-safe, at most 4 KB. */
export function warningsHeader(warnings: readonly string[]): string {
  const text = headerText(warnings.join('; '));
  if (text.length <= MAX_WARNINGS_HEADER) return text;
  const more = ' ... (cut at 4 KB)';
  return text.slice(0, MAX_WARNINGS_HEADER - more.length) + more;
}

/** `headers` with every text value made header-safe (the last resort of a stream's first write). */
export function headerSafe(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const safe = (v: string) => headerText(v.replace(/[\r\n]+/g, ' '));
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [
      k,
      typeof v === 'string' ? safe(v) : Array.isArray(v) ? v.map(safe) : v,
    ]),
  );
}
