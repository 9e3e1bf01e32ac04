// The textual IR parser: reads what printer.ts writes (and hand-written IR), with errors that give
// line, column, what was expected and what was found. Syntax only: verifier.ts checks meaning.
import { type Attr, type AttrDict, type DenseAttr } from './attributes.js';
import { ENCODINGS, isEncodingKind, type Encoding } from './encodings.js';
import { Func, Module, Op, Value } from './core.js';
import { isNumericName, parseFloatLiteral } from './format.js';
import { Lexer, ParseError, type Token } from './lexer.js';
import { Tensor } from './tensor.js';
import { DYNAMIC, elementInfo, intRange, isElementType, TensorType, type Dim, type ElementType } from './types.js';
import { LimitError } from '../util/errors.js';
import { checkTensorSize, elide, MAX_NESTING } from '../util/limits.js';

export { ParseError } from './lexer.js';

export interface ParseOptions {
  /** File name used in error messages. */
  file?: string;
}

export function parseModule(text: string, opts: ParseOptions = {}): Module {
  return new Parser(text, opts.file).module();
}

/** Parses a single type such as `tensor<1x3xf32, #csr<idx = 16>>`. */
export function parseType(text: string): TensorType {
  const p = new Parser(text);
  const t = p.type();
  p.expectEnd();
  return t;
}

/** Parses a single attribute value (e.g. `[1, 2]` or `dense<1.0> : tensor<2xf32>`); resources are not allowed. */
export function parseAttr(text: string): Attr {
  const p = new Parser(text);
  const a = p.attr();
  p.expectEnd();
  p.finishResources();
  return a;
}

type Literal =
  | { kind: 'dense'; body: Nested | 'empty'; start: number }
  | { kind: 'resource'; name: string; start: number }
  | { kind: 'elided'; count: number; nnz: number; hash: string; start: number };
type Nested = Token | Nested[];

interface PendingResource {
  attr: DenseAttr;
  elementType: ElementType;
  shape: number[];
  start: number;
}

const FORWARD = '<forward-ref>';

class Parser {
  private readonly lx: Lexer;
  private readonly pendingResources = new Map<string, PendingResource>();
  private readonly filledResources = new Set<string>();
  /** Open brackets around the current token (see nest). */
  private depth = 0;

  constructor(text: string, file?: string) {
    this.lx = new Lexer(text, file);
  }

  // ---- token helpers ----
  private fail(t: Token, expected: string, found = this.lx.describe(t)): never {
    throw this.lx.error(t.start, expected, found);
  }
  private expect(text: string, what = `'${text}'`): Token {
    const t = this.lx.next();
    if ((t.kind !== 'punct' && t.kind !== 'ident') || t.text !== text) this.fail(t, what);
    return t;
  }
  private accept(text: string): boolean {
    const t = this.lx.peek();
    if ((t.kind === 'punct' || t.kind === 'ident') && t.text === text) {
      this.lx.next();
      return true;
    }
    return false;
  }
  private expectKind(kind: Token['kind'], what: string): Token {
    const t = this.lx.next();
    if (t.kind !== kind) this.fail(t, what);
    return t;
  }
  expectEnd(): void {
    const t = this.lx.peek();
    if (t.kind !== 'eof') this.fail(t, 'end of input');
  }
  private name(): string {
    const t = this.lx.next();
    if (t.kind !== 'ident' && t.kind !== 'string') this.fail(t, 'a name');
    return t.text;
  }
  private int(what: string): number {
    const t = this.lx.next();
    if (t.kind !== 'number' || !/^-?[0-9]+$/.test(t.text)) this.fail(t, what);
    return Number(t.text);
  }

  // ---- module structure ----
  module(): Module {
    const m = new Module();
    this.expect('module', "'module'");
    this.expect('{');
    while (!this.accept('}')) {
      const t = this.lx.peek();
      if (t.kind === 'ident' && t.text === 'func') m.addFunc(this.func());
      else this.fail(t, "'func' or '}'");
    }
    if (this.accept('resources')) this.resources();
    this.expectEnd();
    this.finishResources();
    return m;
  }

  private func(): Func {
    const kw = this.expect('func');
    const sym = this.expectKind('symbol', 'a function name such as @main');
    const f = new Func(sym.text);
    f.pos = this.lx.lineCol(kw.start);
    const scope = new Scope(this.lx);
    this.expect('(');
    if (!this.accept(')')) {
      do {
        const v = this.expectKind('value', 'an argument name such as %x');
        this.expect(':');
        const arg = f.addArgument(this.type(), isNumericName(v.text) ? undefined : v.text, this.optAttrDict());
        scope.define(v, arg);
      } while (this.accept(','));
      this.expect(')', "',' or ')'");
    }
    this.expect('->');
    this.expect('(');
    if (!this.accept(')')) {
      do {
        f.resultTypes.push(this.type());
        f.resultAttrs.push(this.optAttrDict());
      } while (this.accept(','));
      this.expect(')', "',' or ')'");
    }
    this.expect('{');
    while (!this.accept('}')) f.body.append(this.op(scope));
    scope.finish();
    return f;
  }

  private op(scope: Scope): Op {
    const first = this.lx.peek();
    const results: Token[] = [];
    if (first.kind === 'value') {
      do results.push(this.expectKind('value', 'a result name such as %0'));
      while (this.accept(','));
      this.expect('=', "'=' after the result names");
    }
    const nameTok = this.lx.next();
    if (nameTok.kind !== 'ident') this.fail(nameTok, "an op name such as nn.conv, or '}'");
    let op: Op;
    if (nameTok.text === 'return') {
      if (results.length) this.fail(nameTok, "an op with results ('return' has none)");
      const operands: Value[] = [];
      if (this.lx.peek().kind === 'value') {
        do operands.push(scope.use(this.expectKind('value', 'a value such as %0')));
        while (this.accept(','));
      }
      op = new Op('return', operands, []);
    } else if (nameTok.text === 'nn.constant' && this.lx.peek().kind === 'ident' && this.lx.peek().text.startsWith('dense')) {
      const lit = this.literal();
      this.expect(':');
      const t = this.type();
      op = new Op('nn.constant', [], [t], { value: this.materialize(lit, t) });
    } else {
      this.expect('(', "'(' and the operands");
      const operands: Value[] = [];
      if (!this.accept(')')) {
        do operands.push(scope.use(this.expectKind('value', 'an operand such as %0')));
        while (this.accept(','));
        this.expect(')', "',' or ')'");
      }
      const attrs = this.optAttrDict();
      const types: TensorType[] = [];
      this.expect(':', "':' and the result types");
      if (results.length > 0) {
        do types.push(this.type());
        while (this.accept(','));
      } else if (this.lx.peek().kind === 'ident' && this.lx.peek().text === 'tensor') {
        this.fail(this.lx.peek(), `no result type: the op has no result names`);
      } else {
        this.expect('(', "'()' for an op without results");
        this.expect(')');
      }
      op = new Op(nameTok.text, operands, types, attrs);
    }
    if (nameTok.text !== 'return' && op.results.length !== results.length) {
      throw this.lx.error(nameTok.start, `${results.length} result type(s) for ${results.length} result name(s)`, `${op.results.length}`);
    }
    op.pos = this.lx.lineCol(first.start);
    if (this.accept('loc')) {
      this.expect('(');
      op.loc = this.expectKind('string', 'a location string').text;
      this.expect(')');
    }
    results.forEach((t, i) => scope.define(t, op.results[i]!));
    return op;
  }

  private resources(): void {
    this.expect('{');
    while (!this.accept('}')) {
      const name = this.name();
      this.expect(':');
      const blob = this.expectKind('string', 'a base64 string');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(blob.text) || blob.text.length % 4 !== 0) this.fail(blob, `base64 data for resource '${name}'`);
      const p = this.pendingResources.get(name);
      if (!p) {
        if (this.filledResources.has(name)) this.fail(blob, `one entry for resource '${name}'`, `a second entry`);
        this.fail(blob, `only resources that constants use ('${name}' is used by none)`, `an entry for '${name}'`);
      }
      this.filledResources.add(name);
      const bytes = Buffer.from(blob.text, 'base64');
      const t = Tensor.zeros(p.elementType, p.shape);
      if (bytes.byteLength !== t.data.byteLength) {
        throw this.lx.error(blob.start, `${t.data.byteLength} bytes of base64 data for resource '${name}' (${p.elementType}, shape [${p.shape.join('x')}])`, `${bytes.byteLength} bytes`);
      }
      (p.attr as { value: Tensor }).value = Tensor.fromBytes(p.elementType, p.shape, bytes);
      this.pendingResources.delete(name);
    }
  }

  finishResources(): void {
    for (const [name, p] of this.pendingResources) throw this.lx.error(p.start, `an entry for resource '${name}' in the resources table`, 'none');
  }

  // ---- types ----
  /** Reads `tensor<dims x elt [, #encoding]>` character by character. */
  type(): TensorType {
    const t = this.lx.next();
    if (t.kind !== 'ident' || t.text !== 'tensor') this.fail(t, 'a type such as tensor<1x3xf32>');
    const s = this.lx.text;
    this.lx.pos = t.end;
    if (s[this.lx.pos] !== '<') throw this.lx.error(this.lx.pos, "'<' right after 'tensor'");
    this.lx.pos++;
    const shape: Dim[] = [];
    let et: ElementType | undefined;
    while (et === undefined) {
      const p = this.lx.skipSpace();
      const c = s[p] ?? '';
      if (/[0-9]/.test(c)) {
        let q = p;
        while (/[0-9]/.test(s[q] ?? '')) q++;
        const dim = Number(s.slice(p, q));
        if (!Number.isSafeInteger(dim)) throw this.lx.error(p, `a dim of at most ${Number.MAX_SAFE_INTEGER}`, elide(s.slice(p, q)));
        shape.push(dim);
        this.lx.pos = q;
      } else if (c === '?') {
        shape.push(DYNAMIC);
        this.lx.pos = p + 1;
      } else if (c === '{') {
        const q = s.indexOf('}', p);
        const nl = s.indexOf('\n', p);
        if (q < 0 || (nl >= 0 && nl < q) || q === p + 1) throw this.lx.error(p, "a dim name and '}' such as {N}");
        shape.push(s.slice(p + 1, q));
        this.lx.pos = q + 1;
      } else if (/[a-z]/.test(c)) {
        let q = p;
        while (/[a-z0-9]/.test(s[q] ?? '')) q++;
        const name = s.slice(p, q);
        if (!isElementType(name)) throw this.lx.error(p, 'an element type (f32, f16, f64, i64, i32, i16, i8, u64, u32, u16, u8, bool)', `'${name}'`);
        et = name;
        this.lx.pos = q;
        break;
      } else throw this.lx.error(p, 'a dim (a number, {name} or ?) or an element type');
      if (s[this.lx.pos] !== 'x') throw this.lx.error(this.lx.pos, "'x' after a dim");
      this.lx.pos++;
    }
    let enc: Encoding | undefined;
    if (this.accept(',')) enc = this.encoding();
    this.expect('>', "'>' closing the tensor type");
    return new TensorType(shape, et, enc);
  }

  private encoding(): Encoding {
    const h = this.expectKind('hash', 'an encoding such as #csr<idx = 32>');
    if (!isEncodingKind(h.text)) this.fail(h, `an encoding (${Object.keys(ENCODINGS).map((k) => '#' + k).join(', ')})`);
    const def = ENCODINGS[h.text];
    const params: Record<string, number | number[]> = {};
    this.expect('<');
    if (!this.accept('>')) {
      do {
        const k = this.lx.next();
        if (k.kind !== 'ident' || !(k.text in def.params)) this.fail(k, `a parameter of #${def.kind} (${Object.keys(def.params).join(', ')})`);
        this.expect('=');
        if (def.params[k.text] === 'int-pair') {
          this.expect('[');
          const a = this.int('an integer');
          this.expect(',');
          const b = this.int('an integer');
          this.expect(']');
          params[k.text] = [a, b];
        } else params[k.text] = this.int('an integer');
      } while (this.accept(','));
      this.expect('>', "',' or '>'");
    }
    try {
      return def.make(params);
    } catch (e) {
      throw this.lx.error(h.start, `a valid #${def.kind} encoding`, (e as Error).message);
    }
  }

  // ---- attributes ----
  private optAttrDict(): AttrDict {
    const d: AttrDict = new Map();
    if (this.lx.peek().kind !== 'punct' || this.lx.peek().text !== '{') return d;
    this.lx.next();
    if (this.accept('}')) return d;
    do {
      const kt = this.lx.peek();
      const k = this.name();
      if (d.has(k)) this.fail(kt, `a new attribute name ('${k}' is given twice)`);
      this.expect('=');
      d.set(k, this.attr());
    } while (this.accept(','));
    this.expect('}', "',' or '}'");
    return d;
  }

  attr(): Attr {
    const t = this.lx.peek();
    if (t.kind === 'number') {
      this.lx.next();
      return /^-?[0-9]+$/.test(t.text) ? { kind: 'int', value: Number(t.text) } : { kind: 'float', value: Math.fround(Number(t.text)) };
    }
    if (t.kind === 'string') {
      this.lx.next();
      return { kind: 'string', value: t.text };
    }
    if (t.kind === 'hash') return { kind: 'encoding', value: this.encoding() };
    if (t.kind === 'punct' && t.text === '[') {
      this.lx.next();
      const items: Attr[] = [];
      this.nest(t, () => {
        if (this.accept(']')) return;
        do items.push(this.attr());
        while (this.accept(','));
        this.expect(']', "',' or ']'");
      });
      return { kind: 'array', value: items };
    }
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') {
        this.lx.next();
        return { kind: 'bool', value: t.text === 'true' };
      }
      if (t.text === 'nan' || t.text === 'inf' || t.text === '-inf' || t.text === '-nan') {
        this.lx.next();
        return { kind: 'float', value: parseFloatLiteral(t.text, 'f32') };
      }
      if (t.text === 'tensor') return { kind: 'type', value: this.type() };
      if (isElementType(t.text)) {
        this.lx.next();
        return { kind: 'type', value: t.text };
      }
      if (t.text === 'dense' || t.text === 'dense_resource' || t.text === 'dense_elided') {
        const lit = this.literal();
        this.expect(':', "':' and the tensor's type");
        return this.materialize(lit, this.type());
      }
    }
    return this.fail(t, 'an attribute value (integer, float, string, [...], type, #encoding or dense<...>)');
  }

  /** Runs `body` one bracket level deeper; refuses nesting past MAX_NESTING (before the stack would overflow). */
  private nest(open: Token, body: () => void): void {
    if (++this.depth > MAX_NESTING) throw this.lx.error(open.start, `at most ${MAX_NESTING} nested brackets`, 'deeper nesting');
    try {
      body();
    } finally {
      this.depth--;
    }
  }

  private literal(): Literal {
    const t = this.expectKind('ident', 'dense<...>, dense_resource<...> or dense_elided<...>');
    this.expect('<');
    let lit: Literal;
    if (t.text === 'dense') {
      // `dense<>`: a tensor with no elements (however large its other dims).
      const p = this.lx.peek();
      lit = { kind: 'dense', body: p.kind === 'punct' && p.text === '>' ? 'empty' : this.nested(), start: t.start };
    }
    else if (t.text === 'dense_resource') lit = { kind: 'resource', name: this.name(), start: t.start };
    else if (t.text === 'dense_elided') {
      const field = (k: string) => {
        this.expect(k, `'${k}'`);
        this.expect('=');
      };
      field('count');
      const count = this.int('an element count');
      this.expect(',');
      field('nnz');
      const nnz = this.int('a nonzero count');
      this.expect(',');
      field('hash');
      lit = { kind: 'elided', count, nnz, hash: this.expectKind('string', 'a hash string').text, start: t.start };
    } else this.fail(t, 'dense, dense_resource or dense_elided');
    this.expect('>');
    return lit;
  }

  private nested(): Nested {
    const t = this.lx.next();
    if (t.kind === 'punct' && t.text === '[') {
      const items: Nested[] = [];
      this.nest(t, () => {
        if (this.accept(']')) return;
        do items.push(this.nested());
        while (this.accept(','));
        this.expect(']', "',' or ']'");
      });
      return items;
    }
    if (t.kind === 'number' || (t.kind === 'ident' && ['true', 'false', 'nan', 'inf', '-inf', '-nan'].includes(t.text))) return t;
    return this.fail(t, 'a number, true/false, nan/inf, or [');
  }

  /** Turns a literal into an attribute once its type is known. */
  private materialize(lit: Literal, type: TensorType): Attr {
    if (!type.isStatic) throw this.lx.error(lit.start, 'a tensor literal with a static shape', type.toString());
    const shape = type.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (lit.kind === 'elided') {
      if (lit.count !== count) throw this.lx.error(lit.start, `count = ${count} for ${type}`, `count = ${lit.count}`);
      return { kind: 'elided', elementType: type.elementType, shape, nnz: lit.nnz, hash: lit.hash };
    }
    if (lit.kind === 'resource') {
      const known = this.pendingResources.get(lit.name);
      if (known) {
        if (known.elementType !== type.elementType || known.shape.join('x') !== shape.join('x')) {
          throw this.lx.error(lit.start, `resource '${lit.name}' used with one type (it was used as tensor<${known.shape.join('x')}x${known.elementType}> before)`, type.toString());
        }
        return known.attr;
      }
      const attr: DenseAttr = { kind: 'dense', value: Tensor.zeros(type.elementType, []), resource: lit.name };
      this.pendingResources.set(lit.name, { attr, elementType: type.elementType, shape, start: lit.start });
      return attr;
    }
    try {
      checkTensorSize(shape, elementInfo(type.elementType).bytes, `constant of type ${type}`);
    } catch (e) {
      if (e instanceof LimitError) throw this.lx.error(lit.start, 'a constant within the size limits', e.message);
      throw e;
    }
    const t = Tensor.zeros(type.elementType, shape);
    if (lit.body === 'empty') {
      if (count !== 0) throw this.lx.error(lit.start, `${count} values for ${type}`, 'dense<>, which holds none');
      return { kind: 'dense', value: t };
    }
    if (!Array.isArray(lit.body)) {
      const v = this.scalar(lit.body, type.elementType);
      for (let i = 0; i < count; i++) t.set(i, v);
      return { kind: 'dense', value: t };
    }
    let k = 0;
    const walk = (n: Nested, d: number): void => {
      if (!Array.isArray(n)) {
        if (d !== shape.length) throw this.lx.error(n.start, `a list nested ${shape.length} deep for shape [${shape.join('x')}]`, `a number at depth ${d}`);
        t.set(k++, this.scalar(n, type.elementType));
        return;
      }
      if (d >= shape.length) throw this.lx.error(lit.start, `a literal for shape [${shape.join('x')}]`, `a list nested deeper than ${shape.length}`);
      if (n.length !== shape[d]) throw this.lx.error(lit.start, `${shape[d]} entries at depth ${d} for shape [${shape.join('x')}]`, `${n.length}`);
      for (const x of n) walk(x, d + 1);
    };
    walk(lit.body, 0);
    return { kind: 'dense', value: t };
  }

  private scalar(t: Token, et: ElementType): number | bigint | boolean {
    if (et === 'bool') {
      if (t.text === 'true' || t.text === '1') return true;
      if (t.text === 'false' || t.text === '0') return false;
      return this.fail(t, 'true or false');
    }
    if (et === 'f32' || et === 'f16' || et === 'f64') return parseFloatLiteral(t.text, et);
    if (!/^-?[0-9]+$/.test(t.text)) return this.fail(t, `an integer for ${et}`);
    const v = BigInt(t.text);
    const r = intRange(et)!;
    if (v < r.min || v > r.max) return this.fail(t, `an integer in the range of ${et} (${r.min} to ${r.max})`);
    return et === 'i64' || et === 'u64' ? v : Number(v);
  }
}

/** SSA names of one function: definitions, uses (forward references allowed), and leftovers. */
class Scope {
  private readonly values = new Map<string, { value: Value; start: number }>();
  private readonly forward = new Map<string, { value: Value; start: number }>();

  constructor(private readonly lx: Lexer) {}

  define(t: Token, v: Value): void {
    const prev = this.values.get(t.text);
    if (prev) {
      const { line, col } = this.lx.lineCol(prev.start);
      throw this.lx.error(t.start, `a new value name (%${t.text} is already defined at ${line}:${col})`, `%${t.text}`);
    }
    if (!isNumericName(t.text)) v.name = t.text;
    this.values.set(t.text, { value: v, start: t.start });
    const fwd = this.forward.get(t.text);
    if (fwd) {
      fwd.value.replaceAllUsesWith(v);
      this.forward.delete(t.text);
    }
  }

  use(t: Token): Value {
    const known = this.values.get(t.text) ?? this.forward.get(t.text);
    if (known) return known.value;
    const placeholder = new Op(FORWARD, [], [new TensorType([], 'f32')]).result(0);
    this.forward.set(t.text, { value: placeholder, start: t.start });
    return placeholder;
  }

  finish(): void {
    for (const [name, f] of this.forward) throw this.lx.error(f.start, `a defined value (%${name} is never defined in this function)`, `%${name}`);
  }
}
