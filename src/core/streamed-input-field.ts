// Reads the string of one field out of JSON arriving in pieces (a streamed function call's
// `arguments`), handing out its decoded text as it comes, in linear time: the custom-tool bridge
// (src/gateway/custom-tool-bridge.ts) streams `{"input": "…"}` back as a custom call's input.
// Arguments of another shape are kept whole and read once they end.

/** The text before a value: `{`, `"input"`, `:`, `"`, with any white space between. */
const HEAD = ['{', '"input"', ':', '"'];
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** The `input` of a function call's whole arguments: its string, else the arguments as sent. */
export function inputOfArguments(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'string') return parsed;
    if (
      parsed &&
      typeof parsed === 'object' &&
      typeof (parsed as { input?: unknown }).input === 'string'
    )
      return (parsed as { input: string }).input;
  } catch {
    // Not JSON: the model wrote the input bare.
  }
  return args;
}

export class StreamedInputField {
  private raw = '';
  private state: 'head' | 'string' | 'tail' | 'whole' = 'head';
  /** In `head`: which token of HEAD is next, and how much of it has been seen. */
  private token = 0;
  private matched = 0;
  /** In `string`: an escape begun in one piece and ended in another. */
  private escape = '';

  /** Adds a piece of the arguments; returns the input text it completes (maybe ''). */
  push(piece: string): string {
    // Kept only while they may have to be read whole.
    if (this.state === 'head' || this.state === 'whole') this.raw += piece;
    let out = '';
    let i = 0;
    while (i < piece.length && (this.state === 'head' || this.state === 'string')) {
      if (this.state === 'head') {
        this.readHead(piece[i++]!);
        continue;
      }
      if (this.escape) {
        out += this.readEscape(piece[i++]!);
        continue;
      }
      // Plain text up to the next quote or backslash, in one slice.
      let j = i;
      while (j < piece.length) {
        const c = piece.charCodeAt(j);
        if (c === QUOTE || c === BACKSLASH) break;
        j++;
      }
      out += piece.slice(i, j);
      if (j === piece.length) break;
      if (piece.charCodeAt(j) === QUOTE) this.state = 'tail';
      else this.escape = '\\';
      i = j + 1;
    }
    return out;
  }

  /** The arguments ended: the input not handed out yet (all of it when they had another shape). */
  end(): string {
    return this.state === 'head' || this.state === 'whole' ? inputOfArguments(this.raw) : '';
  }

  private readHead(ch: string): void {
    const want = HEAD[this.token]!;
    if (this.matched === 0 && /\s/.test(ch)) return;
    if (ch !== want[this.matched]) {
      this.state = 'whole';
      return;
    }
    this.matched++;
    if (this.matched < want.length) return;
    this.token++;
    this.matched = 0;
    if (this.token === HEAD.length) this.state = 'string';
  }

  /** The next character of an escape begun with a backslash: the text it stands for, once whole. */
  private readEscape(ch: string): string {
    this.escape += ch;
    if (this.escape.length === 2 && ch !== 'u') {
      this.escape = '';
      return ESCAPES[ch] ?? ch;
    }
    if (this.escape.length < 6) return '';
    const decoded = String.fromCharCode(parseInt(this.escape.slice(2), 16));
    this.escape = '';
    return decoded;
  }
}
