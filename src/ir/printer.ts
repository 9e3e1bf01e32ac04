// The textual IR printer: MLIR-like, deterministic, and read back exactly by parser.ts.
// Large tensors go to a resource table after the module (or are elided to a summary).
import { elide, type Attr, type AttrDict, type DenseAttr } from './attributes.js';
import { printEncoding } from './encodings.js';
import type { Block, Func, Module, Op, Value } from './core.js';
import { formatFloat, formatName, formatScalar, isNumericName, sanitizeValueName } from './format.js';
import type { Tensor } from './tensor.js';
import { printShape, printType, type TensorType } from './types.js';

export interface PrintOptions {
  /** Tensors with more elements than this go to the resource table (or are elided). Default 16. */
  inlineLimit?: number;
  /** Print large tensors as a summary (shape, element count, nonzeros, hash) instead of their data. */
  elideWeights?: boolean;
  /** Print `loc(...)` labels. Default true. */
  locations?: boolean;
}

export function printModule(m: Module, opts: PrintOptions = {}): string {
  return new Printer(opts).module(m);
}

/** One op on one line, with names as the function would print them (for error messages). */
export function printOp(op: Op): string {
  const p = new Printer({ elideWeights: true });
  const f = op.parent?.parent;
  if (f) p.nameValues(f);
  return p.op(op).trim();
}

/** A value's printed name, e.g. `%conv1` or `%3`. */
export function valueName(v: Value): string {
  const op = v.definingOp;
  const f = op ? op.parent?.parent : (v.owner as Block).parent;
  if (!f) return `%${v.name ?? '?'}`;
  const p = new Printer({});
  p.nameValues(f);
  return p.ref(v);
}

/** Names for every value of a function as it prints them (one naming pass, many lookups). */
export function valueNamer(f: Func): (v: Value) => string {
  const p = new Printer({});
  p.nameValues(f);
  return (v) => p.ref(v);
}

class Printer {
  private readonly names = new Map<Value, string>();
  private readonly resources = new Map<DenseAttr, string>();
  private readonly resourceOrder: DenseAttr[] = [];
  private readonly usedResourceNames = new Set<string>();
  private readonly inlineLimit: number;

  constructor(private readonly opts: PrintOptions) {
    this.inlineLimit = opts.inlineLimit ?? 16;
  }

  module(m: Module): string {
    const parts = ['module {\n'];
    m.funcs.forEach((f, i) => {
      if (i > 0) parts.push('\n');
      parts.push(this.func(f));
    });
    parts.push('}\n');
    if (this.resourceOrder.length) parts.push(this.resourceTable());
    return parts.join('');
  }

  /** Gives every value of the function a unique printed name: its hint when it has one, else a number. */
  nameValues(f: Func): void {
    const used = new Set<string>();
    const hinted: [Value, string][] = [];
    const all: Value[] = [...f.args];
    for (const op of f.body) all.push(...op.results);
    for (const v of all) {
      if (v.name === undefined || isNumericName(v.name)) continue;
      let n = sanitizeValueName(v.name);
      if (used.has(n)) {
        let k = 1;
        while (used.has(`${n}_${k}`)) k++;
        n = `${n}_${k}`;
      }
      used.add(n);
      hinted.push([v, n]);
    }
    for (const [v, n] of hinted) this.names.set(v, n);
    let next = 0;
    for (const v of all) if (!this.names.has(v)) this.names.set(v, String(next++));
  }

  ref(v: Value): string {
    return `%${this.names.get(v) ?? `<<unnamed:${v.name ?? '?'}>>`}`;
  }

  private func(f: Func): string {
    this.nameValues(f);
    const args = f.args.map((a, i) => `${this.ref(a)}: ${printType(a.type)}${this.attrDict(f.argAttrs[i])}`);
    const results = f.resultTypes.map((t, i) => `${printType(t)}${this.attrDict(f.resultAttrs[i])}`);
    const lines = [`  func @${formatName(f.name)}(${args.join(', ')}) -> (${results.join(', ')}) {\n`];
    for (const op of f.body) lines.push(this.op(op));
    lines.push('  }\n');
    return lines.join('');
  }

  op(op: Op): string {
    const loc = op.loc !== undefined && this.opts.locations !== false ? ` loc(${JSON.stringify(op.loc)})` : '';
    if (op.name === 'return') {
      const vals = op.operands.map((v) => this.ref(v)).join(', ');
      return `    return${vals ? ' ' + vals : ''}${loc}\n`;
    }
    const lhs = op.results.length ? `${op.results.map((r) => this.ref(r)).join(', ')} = ` : '';
    const types = op.results.length ? op.results.map((r) => printType(r.type)).join(', ') : '()';
    const value = op.attrs.get('value');
    if (op.name === 'nn.constant' && op.attrs.size === 1 && value && (value.kind === 'dense' || value.kind === 'elided')) {
      return `    ${lhs}nn.constant ${this.tensorLiteral(value, op.results[0]?.name)} : ${types}${loc}\n`;
    }
    const operands = op.operands.map((v) => this.ref(v)).join(', ');
    return `    ${lhs}${op.name}(${operands})${this.attrDict(op.attrs)} : ${types}${loc}\n`;
  }

  private attrDict(d: AttrDict | undefined): string {
    if (!d || d.size === 0) return '';
    const keys = [...d.keys()].sort();
    return ` {${keys.map((k) => `${formatName(k)} = ${this.attr(d.get(k)!)}`).join(', ')}}`;
  }

  attr(a: Attr): string {
    switch (a.kind) {
      case 'int':
        return String(a.value);
      case 'float':
        return formatFloat(a.value, 'f32');
      case 'bool':
        return a.value ? 'true' : 'false';
      case 'string':
        return JSON.stringify(a.value);
      case 'array':
        return `[${a.value.map((x) => this.attr(x)).join(', ')}]`;
      case 'type':
        return typeof a.value === 'string' ? a.value : printType(a.value);
      case 'encoding':
        return printEncoding(a.value);
      case 'dense':
        return `${this.tensorLiteral(a)} : tensor<${printShape(a.value.shape)}${a.value.shape.length ? 'x' : ''}${a.value.elementType}>`;
      case 'elided':
        return `${this.tensorLiteral(a)} : tensor<${printShape(a.shape)}${a.shape.length ? 'x' : ''}${a.elementType}>`;
    }
  }

  private tensorLiteral(a: Attr & { kind: 'dense' | 'elided' }, hint?: string): string {
    if (a.kind === 'elided') return elidedLiteral(a.shape, a.nnz, a.hash);
    const t = a.value;
    if (t.size <= this.inlineLimit || (t.size > 1 && t.isSplat())) return `dense<${denseBody(t)}>`;
    if (this.opts.elideWeights) {
      const e = elide(t);
      return elidedLiteral(e.shape, e.nnz, e.hash);
    }
    return `dense_resource<${formatName(this.resourceName(a, hint))}>`;
  }

  private resourceName(a: DenseAttr, hint: string | undefined): string {
    const known = this.resources.get(a);
    if (known) return known;
    let base = a.resource ?? (hint !== undefined && !isNumericName(hint) ? hint : `r${this.resourceOrder.length}`);
    if (this.usedResourceNames.has(base)) {
      let k = 1;
      while (this.usedResourceNames.has(`${base}_${k}`)) k++;
      base = `${base}_${k}`;
    }
    this.usedResourceNames.add(base);
    this.resources.set(a, base);
    this.resourceOrder.push(a);
    return base;
  }

  private resourceTable(): string {
    const parts = ['\nresources {\n'];
    for (const a of this.resourceOrder) {
      const b = a.value.bytes();
      parts.push(`  ${formatName(this.resources.get(a)!)}: "`, Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'), '"\n');
    }
    parts.push('}\n');
    return parts.join('');
  }
}

function elidedLiteral(shape: readonly number[], nnz: number, hash: string): string {
  const count = shape.reduce((x, y) => x * y, 1);
  return `dense_elided<count = ${count}, nnz = ${nnz}, hash = "${hash}">`;
}

/** The body of `dense<...>`: empty for no elements, a splat scalar, or nested lists following the shape. */
export function denseBody(t: Tensor): string {
  if (t.size === 0) return '';
  if (t.shape.length === 0 || (t.size > 1 && t.isSplat())) return formatScalar(t.get(0), t.elementType);
  let k = 0;
  const level = (d: number): string => {
    const n = t.shape[d]!;
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(d === t.shape.length - 1 ? formatScalar(t.get(k++), t.elementType) : level(d + 1));
    return `[${items.join(', ')}]`;
  };
  return level(0);
}

export function typeToString(t: TensorType): string {
  return printType(t);
}
