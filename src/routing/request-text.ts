// The text the routing features read, taken from a chat request without copying a long prompt:
// its messages as pieces (role markers and contents, white space around each trimmed), and the
// pieces copied into one typed array (a long request: its head and tail only). features.ts scans it.
import type { ChatRequest } from '../core/wire-types.js';

/** Characters scanned: the head and the tail of the text (the question is often at the end). */
export const HEAD_CHARS = 2500;
export const TAIL_CHARS = 1000;

/** The request's text as pieces (role markers and contents, in order): joined, they are the text
 * the features read. Kept apart so a long prompt is never copied whole: only its head and tail. */
export function requestPieces(request: ChatRequest): {
  pieces: string[];
  length: number;
  turns: number;
  hasSystem: boolean;
  lastUser: string;
} {
  const pieces: string[] = [];
  let lastUser = '';
  let length = 0;
  let turns = 0;
  let hasSystem = false;
  const add = (marker: string, part: string) => {
    pieces.push(marker, part);
    length += marker.length + part.length;
  };
  for (const m of request.messages) {
    const content = (m as { content?: unknown }).content;
    let part = '';
    if (typeof content === 'string') part = content;
    else if (Array.isArray(content)) {
      // Joined like a string would be, so one text part reads exactly as plain string content.
      const texts: string[] = [];
      for (const p of content as { type?: unknown; text?: unknown }[])
        if (p && typeof p.text === 'string') texts.push(p.text);
      part = texts.join(' ');
    }
    // White space around a message says nothing about it, but a trailing newline counted as one
    // more line of a short prompt: with 2026-11-30d's llmrouter heads it moved predictions by 0.03
    // on average and changed the best-predicted model for 30% of 2,000 prompts. Since 2026-11-30e.
    part = part.trim();
    if (m.role === 'system' || m.role === 'developer') {
      hasSystem = true;
      add(' zsys ', part);
    } else if (m.role === 'assistant') add(' zasst ', part);
    else if (m.role === 'tool') add(' ztool ', part);
    else {
      turns++;
      lastUser = part;
      add(' ', part);
    }
  }
  return { pieces, length, turns, hasSystem, lastUser };
}

/**
 * The text the features read, as UTF-16 code units: the request's pieces joined, or, for a long
 * request, its first HEAD_CHARS characters, a newline and its last TAIL_CHARS. Copied into one
 * typed array by `Buffer.write` (native, no string is built): the scan reads a typed array about
 * twice as fast as it reads a long prompt's string, which is a slice or a concatenation of the
 * client's strings (one more indirection per character). One slot past the end holds a space, so
 * the last word ends inside the loop.
 */
export const TEXT = new Uint16Array(HEAD_CHARS + 1 + TAIL_CHARS + 1);
const TEXT_BYTES = Buffer.from(TEXT.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies `count` code units of `s` from `from` into TEXT at `at`; returns the units copied. */
function copyText(s: string, from: number, count: number, at: number): number {
  if (count <= 0) return 0;
  if (LITTLE_ENDIAN) {
    const part = from === 0 ? s : s.slice(from, from + count);
    return TEXT_BYTES.write(part, at * 2, count * 2, 'utf16le') >> 1;
  }
  for (let k = 0; k < count; k++) TEXT[at + k] = s.charCodeAt(from + k);
  return count;
}

/** Fills TEXT with the text the features read (see TEXT); returns its length. */
export function fillText(pieces: string[], length: number): number {
  let n = 0;
  if (length <= HEAD_CHARS + TAIL_CHARS) {
    for (const p of pieces) n += copyText(p, 0, p.length, n);
    return n;
  }
  for (const p of pieces) {
    if (n >= HEAD_CHARS) break;
    n += copyText(p, 0, Math.min(p.length, HEAD_CHARS - n), n);
  }
  TEXT[n++] = 10;
  // The tail: from TAIL_CHARS before the end, which falls in piece `i` at offset `from`.
  let i = pieces.length - 1;
  let rest = TAIL_CHARS;
  while (pieces[i]!.length < rest) rest -= pieces[i--]!.length;
  let from = pieces[i]!.length - rest;
  for (; i < pieces.length; i++, from = 0) {
    const p = pieces[i]!;
    n += copyText(p, from, p.length - from, n);
  }
  return n;
}

/** The first (or last) character code of `s` that is not white space; 0 when there is none. */
export function firstVisible(s: string, fromEnd: boolean): number {
  const n = s.length;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(fromEnd ? n - 1 - k : k);
    if (c > 32) return c;
  }
  return 0;
}
