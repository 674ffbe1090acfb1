// Reads the string of one field out of JSON arriving in pieces (a streamed function call's
// `arguments`), handing out its decoded text as it comes, in linear time: the custom-tool bridge
// (src/gateway/custom-tool-bridge.ts) streams `{"input": "…"}` back as a custom call's input.
// Arguments of another shape are kept whole and read once they end.

/** The text before a value: `{`, `"input"`, `:`, `"`, with any white space between. */
const HEAD = ['{', '"input"', ':', '"'];
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
    this.raw += piece;
    let out = '';
    for (const ch of piece) {
      if (this.state === 'head') this.readHead(ch);
      else if (this.state === 'string') out += this.readString(ch);
      else break; // tail (ignored) or whole (read at the end)
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

  private readString(ch: string): string {
    if (this.escape) {
      this.escape += ch;
      if (this.escape.length === 2 && this.escape !== '\\u') {
        const decoded = ESCAPES[ch] ?? ch;
        this.escape = '';
        return decoded;
      }
      if (this.escape.length < 6) return '';
      const decoded = String.fromCharCode(parseInt(this.escape.slice(2), 16));
      this.escape = '';
      return decoded;
    }
    if (ch === '\\') {
      this.escape = ch;
      return '';
    }
    if (ch === '"') {
      this.state = 'tail';
      return '';
    }
    return ch;
  }
}
