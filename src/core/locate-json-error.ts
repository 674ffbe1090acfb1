// Where a text stops being JSON, for a 400 that points at the mistake. Node 20's JSON.parse names a
// position for some mistakes only ("Unexpected token …, "…" is not valid JSON" names none), so a
// small scanner (RFC 8259's grammar) finds it. It runs only after JSON.parse has failed.

/** Where `text` stops being JSON: offset, 1-based line and column, and what is found there. */
export interface JsonErrorPlace {
  offset: number;
  line: number;
  column: number;
  /** The character found there; undefined when the text ends too soon. */
  found: string | undefined;
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]{4}$/;
const DIGIT = /[0-9]/;

/**
 * The first place where `text` breaks JSON's grammar, or undefined when it is valid JSON.
 * Iterative (an explicit stack), so a deeply nested body cannot overflow the call stack.
 */
export function locateJsonError(text: string): JsonErrorPlace | undefined {
  const at = scan(text);
  if (at === undefined) return undefined;
  const before = text.slice(0, at);
  const lineStart = before.lastIndexOf('\n') + 1;
  return {
    offset: at,
    line: before.split('\n').length,
    column: at - lineStart + 1,
    found: at < text.length ? text[at] : undefined,
  };
}

/** The offset of the first mistake, or undefined when there is none. */
function scan(text: string): number | undefined {
  const open: ('{' | '[')[] = [];
  // A leading byte order mark is dropped by the parser (secure-json-parse), so it is no mistake.
  let i = skipSpace(text, text.startsWith('\uFEFF') ? 1 : 0);
  for (;;) {
    // A value starts at i.
    const c = text[i];
    if (c === '{' || c === '[') {
      i = skipSpace(text, i + 1);
      if (text[i] === (c === '{' ? '}' : ']')) i++;
      else {
        open.push(c);
        if (c === '{') {
          const next = memberName(text, i);
          if (next < 0) return -next - 1;
          i = next;
        }
        continue;
      }
    } else {
      const end = scalarEnd(text, i);
      if (end < 0) return -end - 1;
      i = end;
    }
    // A value ended at i: a comma, the container's end, or (at the top) the text's end follow.
    for (;;) {
      i = skipSpace(text, i);
      const container = open.at(-1);
      if (container === undefined) return i < text.length ? i : undefined;
      if (text[i] === (container === '{' ? '}' : ']')) {
        open.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return i;
      i = skipSpace(text, i + 1);
      if (container === '{') {
        const next = memberName(text, i);
        if (next < 0) return -next - 1;
        i = next;
      }
      break;
    }
  }
}

// The helpers below return the offset after what they read, or -(offset of the mistake) - 1.

function skipSpace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  return i;
}

/** `"name"` then `:`; returns where the member's value starts. */
function memberName(text: string, i: number): number {
  if (text[i] !== '"') return -i - 1;
  const end = stringEnd(text, i);
  if (end < 0) return end;
  const colon = skipSpace(text, end);
  if (text[colon] !== ':') return -colon - 1;
  return skipSpace(text, colon + 1);
}

function scalarEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === 't') return literalEnd(text, i, 'true');
  if (c === 'f') return literalEnd(text, i, 'false');
  if (c === 'n') return literalEnd(text, i, 'null');
  if (c === '-' || (c !== undefined && DIGIT.test(c))) return numberEnd(text, i);
  return -i - 1;
}

function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = text[j];
    if (c === undefined) return -j - 1;
    if (c === '"') return j + 1;
    if (c === '\\') {
      const e = text[j + 1];
      if (e === 'u') {
        if (!HEX.test(text.slice(j + 2, j + 6))) return -(j + 2) - 1;
        j += 6;
      } else if (e !== undefined && ESCAPES.has(e)) j += 2;
      else return -(j + 1) - 1;
      continue;
    }
    // Control characters must be escaped inside a string.
    if (c.charCodeAt(0) < 0x20) return -j - 1;
    j++;
  }
}

function literalEnd(text: string, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (text[i + k] !== word[k]) return -(i + k) - 1;
  return i + word.length;
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function numberEnd(text: string, i: number): number {
  let j = i;
  if (text[j] === '-') j++;
  if (text[j] === '0') j++;
  else {
    const start = j;
    j = digitsEnd(text, j);
    if (j === start) return -j - 1;
  }
  if (text[j] === '.') {
    const start = j + 1;
    j = digitsEnd(text, start);
    if (j === start) return -j - 1;
  }
  if (text[j] === 'e' || text[j] === 'E') {
    j++;
    if (text[j] === '+' || text[j] === '-') j++;
    const start = j;
    j = digitsEnd(text, j);
    if (j === start) return -j - 1;
  }
  return j;
}

function digitsEnd(text: string, j: number): number {
  while (j < text.length && DIGIT.test(text[j]!)) j++;
  return j;
}
