// Element-wise maps of any arity and element type: y[i] = f(x0[i0], x1[i1], ...), where each input
// is read at i, at element 0 (a scalar), or through a broadcast index table made at compile time.
// All-f32 maps compute in f32 (SIMD when no input is broadcast through a table); everything else
// computes in f64 and converts on store, as the reference interpreter does.
import { binaryen, f32, f64, FnBuilder, i32, i64, v128, type Expr } from '../emit.js';
import type { Num as NumOf } from '../../../src/lower/exprs.js';
import { addMathFunctions, VecMath } from './math.js';
import { elemBytes, type WasmElementType } from '../dtype.js';
import { copyElement, i64const, loadF64, loadI64, storeF64, storeI64 } from './element.js';

/** Math functions the loader provides (f64 -> f64, pow: (f64, f64) -> f64); exp and erf are wasm functions (kernels/math.ts). */
export const HOST_MATH = ['log', 'tanh', 'pow'] as const;

export function declareHostMath(mod: binaryen.Module): void {
  for (const f of HOST_MATH) mod.addFunctionImport(f, 'env', f, binaryen.createType(f === 'pow' ? [f64, f64] : [f64]), f64);
  addMathFunctions(mod);
}

/** Arithmetic in the compute type (f32, f64 or f32x4 lanes): src/lower/exprs.ts's Num over binaryen expressions. */
export interface Num extends NumOf<Expr> {
  readonly type: number;
  readonly simd: boolean;
}

export function scalarNum(m: binaryen.Module, t: 'f32' | 'f64'): Num {
  const o = t === 'f32' ? m.f32 : m.f64;
  const type = t === 'f32' ? f32 : f64;
  return {
    type, simd: false,
    c: (n) => o.const(n),
    add: o.add, sub: o.sub, mul: o.mul, div: o.div, min: o.min, max: o.max,
    neg: o.neg, abs: o.abs, sqrt: o.sqrt, floor: o.floor, ceil: o.ceil, trunc: o.trunc,
    lt: o.lt, le: o.le, gt: o.gt, ge: o.ge, eq: o.eq, ne: o.ne,
    select: (c, a, b) => m.select(c, a, b),
    or: (a, b) => m.i32.or(a, b),
    math: (f, ...args) => (t === 'f64'
      ? m.call(f, args, f64)
      : m.f32.demote(m.call(f, args.map((a) => m.f64.promote(a)), f64))),
  };
}

function simdNum(m: binaryen.Module, vm: VecMath): Num {
  const o = m.f32x4;
  return {
    type: v128, simd: true,
    c: (n) => o.splat(m.f32.const(n)),
    add: o.add, sub: o.sub, mul: o.mul, div: o.div, min: o.min, max: o.max,
    neg: o.neg, abs: o.abs, sqrt: o.sqrt, floor: o.floor, ceil: o.ceil, trunc: o.trunc,
    lt: o.lt, le: o.le, gt: o.gt, ge: o.ge, eq: o.eq, ne: o.ne,
    select: (c, a, b) => m.v128.bitselect(a, b, c),
    or: (a, b) => m.v128.or(a, b),
    math: (f, ...args) => {
      if (f === 'exp') return vm.exp(args[0]!);
      if (f === 'erf') return vm.erf(args[0]!);
      throw new Error(`internal: ${f} in a SIMD map`);
    },
  };
}

/**
 * Exact integer arithmetic on i64 (wrapping, as two's complement does): what integer add, sub,
 * mul, div, max and min compute when the inputs and the result have one integer type. Narrower
 * types are sign- or zero-extended, so signed i64 operations give their low bits exactly;
 * `unsigned` (u64) switches division and comparisons to their unsigned forms.
 */
export interface IntNum {
  add(a: Expr, b: Expr): Expr; sub(a: Expr, b: Expr): Expr; mul(a: Expr, b: Expr): Expr;
  /** Truncating division; by 0 gives 0, MIN / -1 wraps to MIN (the interpreter's rules), never a trap. */
  div(a: () => Expr, b: () => Expr): Expr;
  /** The largest / smallest of any number of operands (folded through a local). */
  max(xs: (() => Expr)[]): Expr; min(xs: (() => Expr)[]): Expr;
}

/** `acc`: an i64 local the variadic max and min fold through. */
export function intNum(m: binaryen.Module, unsigned: boolean, acc: number): IntNum {
  const zero = () => i64const(m, 0n);
  const one = () => i64const(m, 1n);
  return {
    add: m.i64.add, sub: m.i64.sub, mul: m.i64.mul,
    div: (a, b) => {
      if (unsigned) return m.select(m.i64.eqz(b()), zero(), m.i64.div_u(a(), m.select(m.i64.eqz(b()), one(), b())));
      const minusOne = () => m.i64.eq(b(), i64const(m, -1n));
      const safe = m.select(m.i32.or(m.i64.eqz(b()), minusOne()), one(), b());
      return m.select(m.i64.eqz(b()), zero(), m.select(minusOne(), m.i64.sub(zero(), a()), m.i64.div_s(a(), safe)));
    },
    max: (xs) => extreme(unsigned ? m.i64.ge_u : m.i64.ge_s, xs),
    min: (xs) => extreme(unsigned ? m.i64.le_u : m.i64.le_s, xs),
  };
  function extreme(keep: (a: Expr, b: Expr) => Expr, xs: (() => Expr)[]): Expr {
    const a = () => m.local.get(acc, i64);
    return m.block(null, [
      m.local.set(acc, xs[0]!()),
      ...xs.slice(1).map((x) => m.local.set(acc, m.select(keep(a(), x()), a(), x()))),
      a(),
    ], i64);
  }
}

export interface MapInput {
  addr: number;
  et: WasmElementType;
  /** 'same': element i; 'scalar': element 0; a number: address of an i32 index table. */
  index: 'same' | 'scalar' | number;
}

export interface MapSpec {
  inputs: MapInput[];
  out: { addr: number; et: WasmElementType };
  size: number;
  /** The element expression over the inputs (as locals of the compute type). */
  expr: (n: Num, x: (i: number) => Expr) => Expr;
  /** False when the expression needs host math or scalar-only operations. */
  simd: boolean;
  /** Exact integer form (inputs and result of one integer type): computed on i64 instead of `expr`. */
  intExpr?: (n: IntNum, x: (i: number) => Expr) => Expr;
}

export const computeType = (s: Pick<MapSpec, 'inputs' | 'out'>): 'f32' | 'f64' =>
  s.inputs.every((x) => x.et === 'f32') && (s.out.et === 'f32' || s.out.et === 'bool') ? 'f32' : 'f64';

export function mapKernel(mod: binaryen.Module, name: string, s: MapSpec): void {
  const fb = new FnBuilder(mod, []);
  const t = computeType(s);
  const i = fb.local(i32), tmp = fb.local(f64);
  const vals = s.inputs.map(() => fb.local(t === 'f32' ? f32 : f64));
  const elemAddr = (x: MapInput, bytes: number) => {
    const idx = x.index === 'same' ? fb.get(i) : x.index === 'scalar' ? fb.c(0) : mod.i32.load(0, 4, fb.at(fb.c(x.index), fb.get(i)));
    return fb.add(fb.c(x.addr), fb.mul(idx, fb.c(bytes)));
  };
  const scalarBody = (n: Num) => {
    const loads = s.inputs.map((x, k) => fb.set(vals[k]!, t === 'f32' ? mod.f32.load(0, 4, elemAddr(x, 4)) : loadF64(mod, x.et, elemAddr(x, elemBytes(x.et)))));
    const v = s.expr(n, (k) => fb.get(vals[k]!, n.type));
    const outAddr = fb.add(fb.c(s.out.addr), fb.mul(fb.get(i), fb.c(elemBytes(s.out.et))));
    let store: Expr;
    if (t === 'f32' && s.out.et === 'f32') store = mod.f32.store(0, 4, outAddr, v);
    else if (t === 'f32') store = storeF64(mod, s.out.et, outAddr, mod.f64.promote(v), tmp);
    else store = storeF64(mod, s.out.et, outAddr, v, tmp);
    return [...loads, store];
  };
  if (s.intExpr) {
    const iv = s.inputs.map(() => fb.local(i64));
    const n = intNum(mod, s.out.et === 'u64', fb.local(i64));
    fb.finish(name, [fb.for(i, fb.c(0), fb.c(s.size), 1, [
      ...s.inputs.map((x, k) => fb.set(iv[k]!, loadI64(mod, x.et, elemAddr(x, elemBytes(x.et))))),
      storeI64(mod, s.out.et, fb.add(fb.c(s.out.addr), fb.mul(fb.get(i), fb.c(elemBytes(s.out.et)))), s.intExpr(n, (k) => fb.get(iv[k]!, i64))),
    ])]);
    return;
  }
  const useSimd = t === 'f32' && s.out.et === 'f32' && s.simd && s.inputs.every((x) => typeof x.index !== 'number') && s.size >= 4;
  if (!useSimd) {
    fb.finish(name, [fb.for(i, fb.c(0), fb.c(s.size), 1, scalarBody(scalarNum(mod, t)))]);
    return;
  }
  const vm = new VecMath(mod, fb);
  const vn = simdNum(mod, vm);
  const vv = s.inputs.map(() => fb.local(v128));
  const n4 = s.size - (s.size % 4);
  const simdBody = [
    ...s.inputs.map((x, k) => fb.set(vv[k]!, x.index === 'scalar' ? mod.v128.load32_splat(0, 4, fb.c(x.addr)) : mod.v128.load(0, 4, fb.at(fb.c(x.addr), fb.get(i))))),
    mod.v128.store(0, 4, fb.at(fb.c(s.out.addr), fb.get(i)), s.expr(vn, (k) => fb.get(vv[k]!, v128))),
  ];
  fb.finish(name, [
    ...vm.prologue,
    fb.for(i, fb.c(0), fb.c(n4), 4, simdBody),
    fb.for(i, fb.c(n4), fb.c(s.size), 1, scalarBody(scalarNum(mod, 'f32'))),
  ]);
}

/** y[i] = cond[ic] != 0 ? a[ia] : b[ib], copying the chosen element's bytes (exact for 64-bit integers). */
export function selectKernel(mod: binaryen.Module, name: string, p: { cond: MapInput; a: MapInput; b: MapInput; y: number; bytes: number; size: number }): void {
  const fb = new FnBuilder(mod, []);
  const i = fb.local(i32);
  const at = (x: MapInput) => {
    const idx = x.index === 'same' ? fb.get(i) : x.index === 'scalar' ? fb.c(0) : mod.i32.load(0, 4, fb.at(fb.c(x.index), fb.get(i)));
    return fb.add(fb.c(x.addr), fb.mul(idx, fb.c(elemBytes(x.et))));
  };
  const to = () => fb.add(fb.c(p.y), fb.mul(fb.get(i), fb.c(p.bytes)));
  const cond = mod.f64.ne(loadF64(mod, p.cond.et, at(p.cond)), mod.f64.const(0));
  fb.finish(name, [fb.for(i, fb.c(0), fb.c(p.size), 1, [
    mod.if(cond, copyElement(mod, p.bytes, to(), at(p.a)), copyElement(mod, p.bytes, to(), at(p.b))),
  ])]);
}
