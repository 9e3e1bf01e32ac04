// A pull lexer for the textual IR. Tokens are read on demand so that the parser can switch to
// character-level reading inside `tensor<...>` (where `1x3xf32` is one shape, not three tokens).
import { UserError } from '../util/errors.js';
import { elide } from '../util/limits.js';
export type TokenKind = 'ident' | 'value' | 'symbol' | 'hash' | 'number' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The token's text; for strings, the decoded contents; for value/symbol/hash, the name after the sigil. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** A syntax error with its place in the text and what was expected there. */
export class ParseError extends UserError {
  constructor(
    readonly line: number,
    readonly col: number,
    readonly expected: string,
    readonly found: string,
    readonly file?: string,
  ) {
    super(`${file ? file + ':' : ''}${line}:${col}: expected ${expected}, found ${elide(found, 200)}`);
    this.name = 'ParseError';
  }
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_CHAR = /[A-Za-z0-9_$.]/;
const VALUE_CHAR = /[A-Za-z0-9_$.-]/;
const PUNCT = new Set(['(', ')', '{', '}', '[', ']', '<', '>', ',', ':', '=']);

export class Lexer {
  pos = 0;
  private peeked: Token | undefined;
  private lineStarts: number[] | undefined;

  constructor(readonly text: string, readonly file?: string) {}

  /** 1-based line and column of an offset. */
  lineCol(offset: number): { line: number; col: number } {
    if (!this.lineStarts) {
      const ls = [0];
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) ls.push(i + 1);
      this.lineStarts = ls;
    }
    const ls = this.lineStarts;
    let lo = 0, hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ls[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - ls[lo]! + 1 };
  }

  error(offset: number, expected: string, found?: string): ParseError {
    const { line, col } = this.lineCol(offset);
    return new ParseError(line, col, expected, found ?? this.describeAt(offset), this.file);
  }

  describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    const raw = this.text.slice(t.start, Math.min(t.end, t.start + 40));
    return `'${elide(raw)}${t.end - t.start > 40 ? '...' : ''}'`;
  }

  private describeAt(offset: number): string {
    if (offset >= this.text.length) return 'end of input';
    const m = /^\S{1,20}/.exec(this.text.slice(offset, offset + 20));
    const c = this.text[offset]!;
    return m ? `'${m[0]}'` : c === '\n' || c === '\r' ? 'end of line' : `'${elide(c)}'`;
  }

  peek(): Token {
    if (!this.peeked) this.peeked = this.lex();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** Skips whitespace and `//` comments; returns the offset of the next character. */
  skipSpace(): number {
    if (this.peeked) throw new Error('internal: skipSpace with a peeked token');
    const s = this.text;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 32 || c === 10 || c === 9 || c === 13) p++;
      else if (c === 47 && s.charCodeAt(p + 1) === 47) {
        const nl = s.indexOf('\n', p);
        p = nl < 0 ? s.length : nl + 1;
      } else break;
    }
    this.pos = p;
    return p;
  }

  /** Drops a peeked token so character-level reading can start where it began. */
  rewindPeek(): void {
    if (this.peeked) {
      this.pos = this.peeked.start;
      this.peeked = undefined;
    }
  }

  private lex(): Token {
    const s = this.text;
    const start = this.skipSpace();
    if (start >= s.length) return { kind: 'eof', text: '', start, end: start };
    const c = s[start]!;
    let p = start + 1;
    const tok = (kind: TokenKind, text: string): Token => {
      this.pos = p;
      return { kind, text, start, end: p };
    };
    if (c === '"') return this.lexString(start);
    if (c === '-' && s[p] === '>') {
      p++;
      return tok('punct', '->');
    }
    if (PUNCT.has(c)) return tok('punct', c);
    if (c === '%' || c === '@' || c === '#') {
      if (c === '@' && s[p] === '"') {
        const str = this.lexString(p);
        return { kind: 'symbol', text: str.text, start, end: str.end };
      }
      const re = c === '%' ? VALUE_CHAR : IDENT_CHAR;
      while (p < s.length && re.test(s[p]!)) p++;
      if (p === start + 1) throw this.error(start + 1, c === '%' ? 'a value name after %' : `a name after ${c}`);
      return tok(c === '%' ? 'value' : c === '@' ? 'symbol' : 'hash', s.slice(start + 1, p));
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(s[p] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?/.exec(s.slice(start, start + 64));
      p = start + m![0].length;
      return tok('number', m![0]);
    }
    if (c === '-' && s.startsWith('inf', p)) {
      p += 3;
      return tok('ident', '-inf');
    }
    if (c === '-' && s.startsWith('nan', p)) {
      p += 3;
      return tok('ident', '-nan');
    }
    if (IDENT_START.test(c)) {
      while (p < s.length && IDENT_CHAR.test(s[p]!)) p++;
      return tok('ident', s.slice(start, p));
    }
    throw this.error(start, 'a token', `'${c}'`);
  }

  private backslashAt = -2; // cached offset of the next backslash at or after backslashFrom (-1: none)
  private backslashFrom = 0;
  /** Offset of the first backslash at or after p, or -1; amortised O(1) over a left-to-right scan. */
  private nextBackslash(p: number): number {
    if (this.backslashAt === -2 || p < this.backslashFrom || (this.backslashAt >= 0 && this.backslashAt < p)) {
      this.backslashFrom = p;
      this.backslashAt = this.text.indexOf('\\', p);
    }
    return this.backslashAt;
  }

  private lexString(start: number): Token {
    const s = this.text;
    let p = start + 1;
    let escaped = false;
    for (;;) {
      const q = s.indexOf('"', p);
      const nl = s.indexOf('\n', p);
      if (q < 0 || (nl >= 0 && nl < q)) throw this.error(start, 'a closing quote for this string', 'end of line');
      const bs = this.nextBackslash(p);
      if (bs < 0 || bs > q) {
        p = q + 1;
        break;
      }
      escaped = true;
      let b = q - 1; // an odd number of backslashes before the quote escapes it
      while (s[b] === '\\') b--;
      p = q + 1;
      if ((q - 1 - b) % 2 === 0) break;
    }
    this.pos = p;
    const raw = s.slice(start, p);
    let text: string;
    if (!escaped) text = raw.slice(1, -1);
    else {
      try {
        text = JSON.parse(raw) as string;
      } catch {
        throw this.error(start, 'a string with valid escapes (\\n, \\", \\\\, \\uXXXX)', `'${raw.slice(0, 40)}'`);
      }
    }
    return { kind: 'string', text, start, end: p };
  }
}
