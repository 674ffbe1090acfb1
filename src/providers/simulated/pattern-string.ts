// A string that matches a JSON Schema `pattern` (ECMA-262 syntax), for the simulated fleet's
// structured outputs: clients such as the Vercel AI SDK validate the JSON they get against the
// schema they sent (zod's `.regex()`, `.email()`, `.uuid()`, `.iso.date()` all become patterns).
// Deterministic and minimal: the first alternative, the first character of a class, a quantifier's
// least count (plus `stretch` where it may repeat more, to reach a `minLength`). Lookarounds and
// back-references are not generated: the caller tests the result and falls back.

const ESCAPE_CHARS: Record<string, string> = {
  d: '0',
  D: 'a',
  w: 'a',
  W: '-',
  s: ' ',
  S: 'a',
  t: '\t',
  n: '\n',
  r: '\r',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/** Characters tried, in order, for `.` and a negated class such as `[^,]`. */
const ANY_CANDIDATES = ['a', 'A', '0', 'x', '-', '_', ' ', '.', 'z'];

/** A string `pattern` matches, or undefined when the pattern is beyond this generator. */
export function stringForPattern(pattern: string, stretch = 0): string | undefined {
  const gen = new PatternGenerator(pattern, stretch);
  try {
    const out = gen.alternation();
    return gen.atEnd() ? out : undefined;
  } catch {
    return undefined;
  }
}

class PatternGenerator {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly stretch: number,
  ) {}

  atEnd(): boolean {
    return this.i >= this.src.length;
  }

  /** `a|b|c`: the first alternative; the others are parsed and dropped. */
  alternation(): string {
    const first = this.sequence();
    while (this.src[this.i] === '|') {
      this.i++;
      this.sequence();
    }
    return first;
  }

  private sequence(): string {
    let out = '';
    while (!this.atEnd() && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const atom = this.atom();
      out += this.quantified(atom);
    }
    return out;
  }

  private quantified(atom: string): string {
    const c = this.src[this.i];
    let min = 1;
    let max = 1;
    if (c === '?' || c === '*' || c === '+') {
      this.i++;
      [min, max] = c === '?' ? [0, 1] : c === '*' ? [0, Infinity] : [1, Infinity];
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal `{`, as ECMA-262 reads it outside unicode mode
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
    } else return atom;
    if (this.src[this.i] === '?') this.i++; // lazy: the same strings match
    return atom.repeat(Math.min(max, min + this.stretch));
  }

  private atom(): string {
    const c = this.src[this.i++]!;
    switch (c) {
      case '^':
      case '$':
        return '';
      case '.':
        return 'a';
      case '(':
        return this.group();
      case '[':
        return this.charClass();
      case '\\':
        return this.escape(false);
      default:
        return c;
    }
  }

  private group(): string {
    let lookaround = false;
    if (this.src[this.i] === '?') {
      const head = this.src.slice(this.i, this.i + 3);
      if (head.startsWith('?:')) this.i += 2;
      else if (/^\?<[A-Za-z_$]/.test(head)) this.i = this.src.indexOf('>', this.i) + 1;
      else if (/^\?(=|!|<=|<!)/.test(head)) {
        lookaround = true;
        this.i += head.startsWith('?<') ? 3 : 2;
      } else throw new Error('unsupported group');
    }
    const inner = this.alternation();
    if (this.src[this.i++] !== ')') throw new Error('unclosed group');
    return lookaround ? '' : inner;
  }

  /** `[...]`: its first member; `[^...]`: the first candidate it does not exclude. */
  private charClass(): string {
    const negated = this.src[this.i] === '^';
    if (negated) this.i++;
    const members: Array<[string, string]> = [];
    while (this.src[this.i] !== ']') {
      if (this.atEnd()) throw new Error('unclosed class');
      const lo = this.classChar();
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']') {
        this.i++;
        members.push([lo, this.classChar()]);
      } else members.push([lo, lo]);
    }
    this.i++;
    if (!negated) {
      if (!members[0]) throw new Error('empty class matches nothing');
      return members[0][0];
    }
    const excluded = (ch: string) => members.some(([lo, hi]) => ch >= lo && ch <= hi);
    const pick = ANY_CANDIDATES.find((ch) => !excluded(ch));
    if (pick === undefined) throw new Error('class excludes every candidate');
    return pick;
  }

  private classChar(): string {
    const c = this.src[this.i++]!;
    return c === '\\' ? this.escape(true) : c;
  }

  private escape(inClass: boolean): string {
    const c = this.src[this.i++];
    if (c === undefined) throw new Error('trailing backslash');
    if (c === 'b') {
      if (inClass) return '\b';
      return ''; // a word boundary: nothing to write
    }
    if (c === 'B') return '';
    if (/[1-9]/.test(c) || c === 'k') throw new Error('back-reference');
    if (c === 'p' || c === 'P') {
      // \p{L}, \p{Lu}, \p{N}…: an ASCII member of the usual classes; others are tested after.
      const end = this.src.indexOf('}', this.i);
      const name = this.src.slice(this.i + 1, end);
      this.i = end + 1;
      if (c === 'P') return /^L/.test(name) ? '0' : 'a';
      return name === 'Lu' || name === 'Uppercase_Letter' ? 'A' : /^N/.test(name) ? '0' : 'a';
    }
    if (c === 'x') return this.codeUnit(2);
    if (c === 'u') {
      if (this.src[this.i] === '{') {
        const end = this.src.indexOf('}', this.i);
        const hex = this.src.slice(this.i + 1, end);
        this.i = end + 1;
        return String.fromCodePoint(parseInt(hex, 16));
      }
      return this.codeUnit(4);
    }
    if (c === 'c') return String.fromCharCode(this.src.charCodeAt(this.i++) % 32);
    return ESCAPE_CHARS[c] ?? c;
  }

  private codeUnit(digits: number): string {
    const hex = this.src.slice(this.i, this.i + digits);
    this.i += digits;
    return String.fromCharCode(parseInt(hex, 16));
  }
}
