// The wasm kernels: each emits one function `(no params) -> ()` that reads and writes fixed
// addresses chosen by the memory plan. Shapes are static; loops are generated for them.
import type { binaryen } from './emit.js';
import { f32, FnBuilder, i32, v128, type Expr } from './emit.js';

export type Activation = { kind: 'none' } | { kind: 'relu' } | { kind: 'clip'; lo: number; hi: number };

export function actVec(m: binaryen.Module, a: Activation, v: Expr): Expr {
  if (a.kind === 'relu') return m.f32x4.max(v, m.f32x4.splat(m.f32.const(0)));
  if (a.kind === 'clip') return m.f32x4.min(m.f32x4.max(v, m.f32x4.splat(m.f32.const(a.lo))), m.f32x4.splat(m.f32.const(a.hi)));
  return v;
}
function actScalar(m: binaryen.Module, a: Activation, v: Expr): Expr {
  if (a.kind === 'relu') return m.f32.max(v, m.f32.const(0));
  if (a.kind === 'clip') return m.f32.min(m.f32.max(v, m.f32.const(a.lo)), m.f32.const(a.hi));
  return v;
}

export interface DenseMatmul {
  x: number; w: number; bias?: number; y: number;
  M: number; K: number; N: number;
  act: Activation;
}

/**
 * y[M, N] = act(x[M, K] @ w[K, N] + bias[N]); w is stored [K, N] (transposed at compile time when
 * the model has [N, K]) so it streams contiguously. Rows of y are done four at a time (each weight
 * vector loaded once for four rows), vectorised over N with a scalar tail; the activation is applied
 * in a last sweep over the rows.
 */
export function denseMatmul(mod: binaryen.Module, name: string, p: DenseMatmul): void {
  const fb = new FnBuilder(mod, []);
  const m = fb.local(i32), n = fb.local(i32), k = fb.local(i32), wv = fb.local(v128), wrow = fb.local(i32), ws = fb.local(f32);
  const xs = [fb.local(v128), fb.local(v128), fb.local(v128), fb.local(v128)];
  const yrow = [fb.local(i32), fb.local(i32), fb.local(i32), fb.local(i32)];
  const { M, K, N } = p;
  const N4 = N - (N % 4);
  const M4 = M - (M % 4);
  const rowsBlock = (rows: number, mStart: Expr, mEnd: Expr, step: number): Expr =>
    fb.for(m, mStart, mEnd, step, [
      ...Array.from({ length: rows }, (_, r) => fb.set(yrow[r]!, fb.at(fb.c(p.y), fb.mul(fb.add(fb.get(m), fb.c(r)), fb.c(N))))),
      // y rows start as the bias (or zero)
      ...Array.from({ length: rows }, (_, r) => fb.for(n, fb.c(0), fb.c(N), 1, [
        mod.f32.store(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)), p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(n))) : mod.f32.const(0)),
      ])),
      fb.for(k, fb.c(0), fb.c(K), 1, [
        ...Array.from({ length: rows }, (_, r) => fb.set(xs[r]!, mod.f32x4.splat(mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.add(fb.mul(fb.add(fb.get(m), fb.c(r)), fb.c(K)), fb.get(k))))))),
        fb.set(wrow, fb.at(fb.c(p.w), fb.mul(fb.get(k), fb.c(N)))),
        fb.for(n, fb.c(0), fb.c(N4), 4, [
          fb.set(wv, mod.v128.load(0, 4, fb.at(fb.get(wrow), fb.get(n)))),
          ...Array.from({ length: rows }, (_, r) => mod.v128.store(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)),
            mod.f32x4.add(mod.v128.load(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n))), mod.f32x4.mul(fb.get(xs[r]!, v128), fb.get(wv, v128))))),
        ]),
        fb.for(n, fb.c(N4), fb.c(N), 1, [
          fb.set(ws, mod.f32.load(0, 4, fb.at(fb.get(wrow), fb.get(n)))),
          ...Array.from({ length: rows }, (_, r) => mod.f32.store(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)),
            mod.f32.add(mod.f32.load(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n))), mod.f32.mul(mod.f32x4.extract_lane(fb.get(xs[r]!, v128), 0), fb.get(ws, f32))))),
        ]),
      ]),
      ...(p.act.kind === 'none' ? [] : Array.from({ length: rows }, (_, r) => fb.for(n, fb.c(0), fb.c(N), 1, [
        mod.f32.store(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)), actScalar(mod, p.act, mod.f32.load(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n))))),
      ]))),
    ]);
  fb.finish(name, [rowsBlock(4, fb.c(0), fb.c(M4), 4), rowsBlock(1, fb.c(M4), fb.c(M), 1)]);
}

export interface CsrMatmul {
  x: number; y: number; bias?: number;
  /** CSR over the weight [N, K]: row (output) starts, column (input) indices as u16 or i32, values. */
  rowPtr: number; cols: number; vals: number; colBytes: 2 | 4;
  M: number; K: number; N: number;
  act: Activation;
}

/**
 * y[m, n] = act(bias[n] + sum over nonzeros j of row n: vals[j] * x[m, cols[j]]). The nonzeros of a
 * row are taken four at a time into four accumulators (independent adds), then a scalar tail.
 */
export function csrMatmul(mod: binaryen.Module, name: string, p: CsrMatmul): void {
  const fb = new FnBuilder(mod, []);
  const m = fb.local(i32), n = fb.local(i32), j = fb.local(i32), end = fb.local(i32), end4 = fb.local(i32), xrow = fb.local(i32);
  const acc = [fb.local(f32), fb.local(f32), fb.local(f32), fb.local(f32)];
  const colAt = (off: number) => (p.colBytes === 2
    ? mod.i32.load16_u(0, 2, fb.add(fb.c(p.cols), fb.mul(fb.add(fb.get(j), fb.c(off)), fb.c(2))))
    : mod.i32.load(0, 4, fb.at(fb.c(p.cols), fb.add(fb.get(j), fb.c(off)))));
  const term = (off: number) => mod.f32.mul(mod.f32.load(0, 4, fb.at(fb.c(p.vals), fb.add(fb.get(j), fb.c(off)))), mod.f32.load(0, 4, fb.at(fb.get(xrow), colAt(off))));
  fb.finish(name, [
    fb.for(m, fb.c(0), fb.c(p.M), 1, [
      fb.set(xrow, fb.at(fb.c(p.x), fb.mul(fb.get(m), fb.c(p.K)))),
      fb.for(n, fb.c(0), fb.c(p.N), 1, [
        ...acc.map((a, q) => fb.set(a, q === 0 && p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(n))) : mod.f32.const(0))),
        fb.set(j, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.get(n)))),
        fb.set(end, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.add(fb.get(n), fb.c(1))))),
        fb.set(end4, mod.i32.sub(fb.get(end), fb.c(3))),
        fb.for(j, fb.get(j), fb.get(end4), 4, acc.map((a, q) => fb.set(a, mod.f32.add(fb.get(a, f32), term(q))))),
        fb.for(j, fb.get(j), fb.get(end), 1, [fb.set(acc[0]!, mod.f32.add(fb.get(acc[0]!, f32), term(0)))]),
        mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(p.N)), fb.get(n))),
          actScalar(mod, p.act, mod.f32.add(mod.f32.add(fb.get(acc[0]!, f32), fb.get(acc[1]!, f32)), mod.f32.add(fb.get(acc[2]!, f32), fb.get(acc[3]!, f32))))),
      ]),
    ]),
  ]);
}

export interface CsrMatmulBatched extends CsrMatmul {
  /** Scratch for x transposed [K, M] and y transposed [N, M]. */
  scratch: number;
}

/**
 * CSR matmul for a batch (M a multiple of 4, at most 32): x is transposed to [K, M] so each nonzero
 * weight is broadcast and multiplied with M/4 vectors of the batch (the "Fast Sparse ConvNets" idea
 * applied to the batch dimension); the [N, M] result is transposed back.
 */
export function csrMatmulBatched(mod: binaryen.Module, name: string, p: CsrMatmulBatched): void {
  const fb = new FnBuilder(mod, []);
  const { M, K, N } = p;
  const Q = M / 4;
  const m = fb.local(i32), n = fb.local(i32), k = fb.local(i32), j = fb.local(i32), end = fb.local(i32), base = fb.local(i32), v = fb.local(v128);
  const acc = Array.from({ length: Q }, () => fb.local(v128));
  const xT = p.scratch, yT = p.scratch + K * M * 4;
  const col = () => (p.colBytes === 2 ? mod.i32.load16_u(0, 2, fb.add(fb.c(p.cols), fb.mul(fb.get(j), fb.c(2)))) : mod.i32.load(0, 4, fb.at(fb.c(p.cols), fb.get(j))));
  const biasSplat = () => mod.f32x4.splat(p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(n))) : mod.f32.const(0));
  fb.finish(name, [
    // xT[k, m] = x[m, k]
    fb.for(m, fb.c(0), fb.c(M), 1, [fb.for(k, fb.c(0), fb.c(K), 1, [
      mod.f32.store(0, 4, fb.at(fb.c(xT), fb.add(fb.mul(fb.get(k), fb.c(M)), fb.get(m))), mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.add(fb.mul(fb.get(m), fb.c(K)), fb.get(k))))),
    ])]),
    fb.for(n, fb.c(0), fb.c(N), 1, [
      ...acc.map((a) => fb.set(a, biasSplat())),
      fb.set(end, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.add(fb.get(n), fb.c(1))))),
      fb.for(j, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.get(n))), fb.get(end), 1, [
        fb.set(v, mod.f32x4.splat(mod.f32.load(0, 4, fb.at(fb.c(p.vals), fb.get(j))))),
        fb.set(base, fb.at(fb.c(xT), fb.mul(col(), fb.c(M)))),
        ...acc.map((a, q) => fb.set(a, mod.f32x4.add(fb.get(a, v128), mod.f32x4.mul(fb.get(v, v128), mod.v128.load(q * 16, 4, fb.get(base)))))),
      ]),
      ...acc.map((a, q) => mod.v128.store(q * 16, 4, fb.at(fb.c(yT), fb.mul(fb.get(n), fb.c(M))), actVec(mod, p.act, fb.get(a, v128)))),
    ]),
    // y[m, n] = yT[n, m]
    fb.for(m, fb.c(0), fb.c(M), 1, [fb.for(n, fb.c(0), fb.c(N), 1, [
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(N)), fb.get(n))), mod.f32.load(0, 4, fb.at(fb.c(yT), fb.add(fb.mul(fb.get(n), fb.c(M)), fb.get(m))))),
    ])]),
  ]);
}

/** y[i] = x[idx[i]], fill where idx[i] is -1, unchanged where it is -2 (data movement with a table computed at compile time). */
export function gatherKernel(mod: binaryen.Module, name: string, p: { x: number; y: number; idx: number; size: number; fill: number }): void {
  const fb = new FnBuilder(mod, []);
  const i = fb.local(i32), j = fb.local(i32);
  fb.finish(name, [fb.for(i, fb.c(0), fb.c(p.size), 1, [
    fb.set(j, mod.i32.load(0, 4, fb.at(fb.c(p.idx), fb.get(i)))),
    // -1: padding (fill), -2: written by another copy (leave it), else the source element.
    mod.if(mod.i32.ne(fb.get(j), fb.c(-2)),
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.get(i)), mod.select(mod.i32.lt_s(fb.get(j), fb.c(0)), mod.f32.const(p.fill), mod.f32.load(0, 4, fb.at(fb.c(p.x), mod.i32.and(fb.get(j), fb.c(0x7fffffff))))))),
  ])]);
}

export type BinaryKind = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

/** y[i] = a[ia[i]] op b[ib[i]] (index tables for broadcasting; absent: the element itself). */
export function binaryKernel(mod: binaryen.Module, name: string, p: { kind: BinaryKind; a: number; b: number; y: number; size: number; ia?: number; ib?: number }): void {
  const fb = new FnBuilder(mod, []);
  const i = fb.local(i32);
  const load = (base: number, table?: number) => mod.f32.load(0, 4, fb.at(fb.c(base), table === undefined ? fb.get(i) : mod.i32.load(0, 4, fb.at(fb.c(table), fb.get(i)))));
  const a = load(p.a, p.ia), b = load(p.b, p.ib);
  const v = { add: mod.f32.add, sub: mod.f32.sub, mul: mod.f32.mul, div: mod.f32.div, max: mod.f32.max, min: mod.f32.min }[p.kind](a, b);
  fb.finish(name, [fb.for(i, fb.c(0), fb.c(p.size), 1, [mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.get(i)), v)])]);
}

export type UnaryKind = 'relu' | 'neg' | 'abs' | 'sqrt' | 'floor' | 'ceil' | 'leaky_relu' | 'clip' | 'reciprocal' | 'exp' | 'log' | 'tanh' | 'sigmoid' | 'erf' | 'softplus' | 'softsign' | 'hard_sigmoid' | 'hard_swish' | 'elu' | 'selu' | 'gelu' | 'gelu_tanh';

/** Math functions the loader provides (f64 -> f64), for what wasm has no instruction for. */
export const HOST_MATH = ['exp', 'log', 'tanh', 'erf'] as const;

export function declareHostMath(mod: binaryen.Module): void {
  for (const f of HOST_MATH) mod.addFunctionImport(f, 'env', f, binaryen_f64_params(), binaryen_f64());
}
import binaryenModule from 'binaryen';
const binaryen_f64 = () => binaryenModule.f64;
const binaryen_f64_params = () => binaryenModule.createType([binaryenModule.f64]);

/** y = f(x) element by element; p1, p2 are the op's parameters (alpha, bounds...). */
export function unaryKernel(mod: binaryen.Module, name: string, p: { kind: UnaryKind; x: number; y: number; size: number; p1?: number; p2?: number }): void {
  const fb = new FnBuilder(mod, []);
  const i = fb.local(i32), v = fb.local(f32);
  const x = () => fb.get(v, f32);
  const c = (n: number) => mod.f32.const(n);
  const host = (f: string, e: Expr) => mod.f32.demote(mod.call(f, [mod.f64.promote(e)], binaryenModule.f64));
  const sig = () => mod.f32.div(c(1), mod.f32.add(c(1), host('exp', mod.f32.neg(x()))));
  const a1 = p.p1 ?? 0, a2 = p.p2 ?? 0;
  const expr: Record<UnaryKind, () => Expr> = {
    relu: () => mod.f32.max(x(), c(0)),
    neg: () => mod.f32.neg(x()),
    abs: () => mod.f32.abs(x()),
    sqrt: () => mod.f32.sqrt(x()),
    floor: () => mod.f32.floor(x()),
    ceil: () => mod.f32.ceil(x()),
    reciprocal: () => mod.f32.div(c(1), x()),
    leaky_relu: () => mod.select(mod.f32.ge(x(), c(0)), x(), mod.f32.mul(x(), c(a1))),
    clip: () => mod.f32.min(mod.f32.max(x(), c(a1)), c(a2)),
    exp: () => host('exp', x()),
    log: () => host('log', x()),
    tanh: () => host('tanh', x()),
    erf: () => host('erf', x()),
    sigmoid: sig,
    softplus: () => host('log', mod.f32.add(host('exp', x()), c(1))),
    softsign: () => mod.f32.div(x(), mod.f32.add(c(1), mod.f32.abs(x()))),
    hard_sigmoid: () => mod.f32.max(c(0), mod.f32.min(c(1), mod.f32.add(mod.f32.mul(x(), c(a1)), c(a2)))),
    hard_swish: () => mod.f32.mul(x(), mod.f32.max(c(0), mod.f32.min(c(1), mod.f32.add(mod.f32.div(x(), c(6)), c(0.5))))),
    elu: () => mod.select(mod.f32.ge(x(), c(0)), x(), mod.f32.mul(c(a1), mod.f32.sub(host('exp', x()), c(1)))),
    selu: () => mod.select(mod.f32.gt(x(), c(0)), mod.f32.mul(c(a2), x()), mod.f32.mul(c(a2 * a1), mod.f32.sub(host('exp', x()), c(1)))),
    gelu: () => mod.f32.mul(mod.f32.mul(c(0.5), x()), mod.f32.add(c(1), host('erf', mod.f32.mul(x(), c(Math.SQRT1_2))))),
    gelu_tanh: () => mod.f32.mul(mod.f32.mul(c(0.5), x()), mod.f32.add(c(1), host('tanh', mod.f32.mul(c(Math.sqrt(2 / Math.PI)), mod.f32.add(x(), mod.f32.mul(c(0.044715), mod.f32.mul(x(), mod.f32.mul(x(), x())))))))),
  };
  fb.finish(name, [fb.for(i, fb.c(0), fb.c(p.size), 1, [
    fb.set(v, mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.get(i)))),
    mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.get(i)), expr[p.kind]()),
  ])]);
}

export interface ConvGeometry2d {
  C: number; H: number; W: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; ph: number; pw: number;
  OH: number; OW: number;
}

/** col[(c * kh + i) * kw + j, oh * OW + ow] = x[cStart + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside), for one image. */
export function im2col(mod: binaryen.Module, name: string, p: ConvGeometry2d & { x: number; col: number; cStart: number; cCount: number }): void {
  const fb = new FnBuilder(mod, [i32]); // param 0: byte offset of the image
  const c = fb.local(i32), i = fb.local(i32), j = fb.local(i32), oh = fb.local(i32), ow = fb.local(i32), ih = fb.local(i32), iw = fb.local(i32), row = fb.local(i32), ok = fb.local(i32);
  const P = p.OH * p.OW;
  fb.finish(name, [
    fb.for(c, fb.c(0), fb.c(p.cCount), 1, [fb.for(i, fb.c(0), fb.c(p.kh), 1, [fb.for(j, fb.c(0), fb.c(p.kw), 1, [
      fb.set(row, fb.mul(fb.add(fb.mul(fb.add(fb.mul(fb.get(c), fb.c(p.kh)), fb.get(i)), fb.c(p.kw)), fb.get(j)), fb.c(P))),
      fb.for(oh, fb.c(0), fb.c(p.OH), 1, [
        fb.set(ih, fb.add(mod.i32.sub(fb.mul(fb.get(oh), fb.c(p.sh)), fb.c(p.ph)), fb.mul(fb.get(i), fb.c(p.dh)))),
        fb.for(ow, fb.c(0), fb.c(p.OW), 1, [
          fb.set(iw, fb.add(mod.i32.sub(fb.mul(fb.get(ow), fb.c(p.sw)), fb.c(p.pw)), fb.mul(fb.get(j), fb.c(p.dw)))),
          fb.set(ok, mod.i32.and(mod.i32.lt_u(fb.get(ih), fb.c(p.H)), mod.i32.lt_u(fb.get(iw), fb.c(p.W)))),
          mod.f32.store(0, 4, fb.at(fb.c(p.col), fb.add(fb.get(row), fb.add(fb.mul(fb.get(oh), fb.c(p.OW)), fb.get(ow)))),
            mod.select(fb.get(ok),
              mod.f32.load(0, 4, fb.at(fb.add(fb.get(0), fb.c(p.x)), mod.select(fb.get(ok), fb.add(fb.mul(fb.add(fb.mul(fb.add(fb.get(c), fb.c(p.cStart)), fb.c(p.H)), fb.get(ih)), fb.c(p.W)), fb.get(iw)), fb.c(0)))),
              mod.f32.const(0))),
        ]),
      ]),
    ])])]),
  ]);
}

export interface WeightCols {
  /** Dense weight [M, CK] row-major, or CSR (rowPtr, cols i32, vals) over [M, CK]. */
  dense?: number;
  csr?: { rowPtr: number; cols: number; vals: number };
  col: number; y: number; bias?: number;
  M: number; CK: number; P: number;
  /** First output row (channel) of this group; the bias is indexed by it too. */
  mStart: number;
  act: Activation;
}

/**
 * y[mStart + m, p] = act(bias + sum_ck w[m, ck] * col[ck, p]) for one image (param 0: byte offset
 * of its output), vectorised over spatial positions p, four at a time, and a scalar tail. With a
 * CSR weight only the nonzeros are visited ("Fast Sparse ConvNets": each nonzero is broadcast over
 * the spatial positions).
 */
export function weightTimesCols(mod: binaryen.Module, name: string, p: WeightCols): void {
  const fb = new FnBuilder(mod, [i32]);
  const m = fb.local(i32), pp = fb.local(i32), k = fb.local(i32), end = fb.local(i32), acc = fb.local(v128), s = fb.local(f32), w = fb.local(f32), ck = fb.local(i32), yrow = fb.local(i32);
  const P4 = p.P - (p.P % 4);
  const b = () => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.add(fb.get(m), fb.c(p.mStart)))) : mod.f32.const(0));
  const colAt = (lane: boolean) => (lane ? mod.v128.load(0, 4, fb.at(fb.c(p.col), fb.add(fb.mul(fb.get(ck), fb.c(p.P)), fb.get(pp)))) : mod.f32.load(0, 4, fb.at(fb.c(p.col), fb.add(fb.mul(fb.get(ck), fb.c(p.P)), fb.get(pp)))));
  const loopWeights = (body: Expr[]): Expr => {
    if (p.dense !== undefined) {
      return fb.for(k, fb.c(0), fb.c(p.CK), 1, [fb.set(ck, fb.get(k)), fb.set(w, mod.f32.load(0, 4, fb.at(fb.c(p.dense), fb.add(fb.mul(fb.get(m), fb.c(p.CK)), fb.get(k))))), ...body]);
    }
    const c = p.csr!;
    return mod.block(null, [
      fb.set(end, mod.i32.load(0, 4, fb.at(fb.c(c.rowPtr), fb.add(fb.get(m), fb.c(1))))),
      fb.for(k, mod.i32.load(0, 4, fb.at(fb.c(c.rowPtr), fb.get(m))), fb.get(end), 1, [
        fb.set(ck, mod.i32.load(0, 4, fb.at(fb.c(c.cols), fb.get(k)))),
        fb.set(w, mod.f32.load(0, 4, fb.at(fb.c(c.vals), fb.get(k)))),
        ...body,
      ]),
    ]);
  };
  const perRow = (mFrom: Expr) => fb.for(m, mFrom, fb.c(p.M), 1, [
    fb.set(yrow, fb.at(fb.add(fb.get(0), fb.c(p.y)), fb.mul(fb.add(fb.get(m), fb.c(p.mStart)), fb.c(p.P)))),
    fb.for(pp, fb.c(0), fb.c(P4), 4, [
      fb.set(acc, mod.f32x4.splat(b())),
      loopWeights([fb.set(acc, mod.f32x4.add(fb.get(acc, v128), mod.f32x4.mul(mod.f32x4.splat(fb.get(w, f32)), colAt(true))))]),
      mod.v128.store(0, 4, fb.at(fb.get(yrow), fb.get(pp)), actVec(mod, p.act, fb.get(acc, v128))),
    ]),
    fb.for(pp, fb.c(P4), fb.c(p.P), 1, [
      fb.set(s, b()),
      loopWeights([fb.set(s, mod.f32.add(fb.get(s, f32), mod.f32.mul(fb.get(w, f32), colAt(false))))]),
      mod.f32.store(0, 4, fb.at(fb.get(yrow), fb.get(pp)), actScalar(mod, p.act, fb.get(s, f32))),
    ]),
  ]);
  if (p.dense === undefined || p.M < 4) {
    fb.finish(name, [perRow(fb.c(0))]);
    return;
  }
  // Dense weights: four output channels at a time share each loaded column vector.
  const M4 = p.M - (p.M % 4);
  const accs = [fb.local(v128), fb.local(v128), fb.local(v128), fb.local(v128)];
  const cv = fb.local(v128);
  const bAt = (r: number) => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.add(fb.add(fb.get(m), fb.c(r)), fb.c(p.mStart)))) : mod.f32.const(0));
  const wAt = (r: number) => mod.f32.load(0, 4, fb.at(fb.c(p.dense!), fb.add(fb.mul(fb.add(fb.get(m), fb.c(r)), fb.c(p.CK)), fb.get(k))));
  const yAt = (r: number) => fb.at(fb.add(fb.get(0), fb.c(p.y)), fb.add(fb.mul(fb.add(fb.add(fb.get(m), fb.c(r)), fb.c(p.mStart)), fb.c(p.P)), fb.get(pp)));
  fb.finish(name, [
    fb.for(m, fb.c(0), fb.c(M4), 4, [
      fb.for(pp, fb.c(0), fb.c(P4), 4, [
        ...accs.map((a, r) => fb.set(a, mod.f32x4.splat(bAt(r)))),
        fb.for(k, fb.c(0), fb.c(p.CK), 1, [
          fb.set(cv, mod.v128.load(0, 4, fb.at(fb.c(p.col), fb.add(fb.mul(fb.get(k), fb.c(p.P)), fb.get(pp))))),
          ...accs.map((a, r) => fb.set(a, mod.f32x4.add(fb.get(a, v128), mod.f32x4.mul(mod.f32x4.splat(wAt(r)), fb.get(cv, v128))))),
        ]),
        ...accs.map((a, r) => mod.v128.store(0, 4, yAt(r), actVec(mod, p.act, fb.get(a, v128)))),
      ]),
      // scalar tail of positions for these four rows
      fb.for(pp, fb.c(P4), fb.c(p.P), 1, [
        ...[0, 1, 2, 3].map((r) => mod.block(null, [
          fb.set(s, bAt(r)),
          fb.for(k, fb.c(0), fb.c(p.CK), 1, [
            fb.set(s, mod.f32.add(fb.get(s, f32), mod.f32.mul(wAt(r), mod.f32.load(0, 4, fb.at(fb.c(p.col), fb.add(fb.mul(fb.get(k), fb.c(p.P)), fb.get(pp))))))),
          ]),
          mod.f32.store(0, 4, yAt(r), actScalar(mod, p.act, fb.get(s, f32))),
        ])),
      ]),
    ]),
    perRow(fb.c(M4)),
  ]);
}

/** Pooling through a window table: for output o, `win` entries of input indices (-1 = padding). */
export function windowPool(mod: binaryen.Module, name: string, p: { kind: 'max' | 'avg'; x: number; y: number; table: number; outs: number; win: number; countPad: boolean }): void {
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), k = fb.local(i32), j = fb.local(i32), s = fb.local(f32), n = fb.local(f32);
  fb.finish(name, [fb.for(o, fb.c(0), fb.c(p.outs), 1, [
    fb.set(s, mod.f32.const(p.kind === 'max' ? -Infinity : 0)),
    fb.set(n, mod.f32.const(0)),
    fb.for(k, fb.c(0), fb.c(p.win), 1, [
      fb.set(j, mod.i32.load(0, 4, fb.at(fb.c(p.table), fb.add(fb.mul(fb.get(o), fb.c(p.win)), fb.get(k))))),
      mod.if(mod.i32.ge_s(fb.get(j), fb.c(0)), mod.block(null, [
        fb.set(s, p.kind === 'max' ? mod.f32.max(fb.get(s, f32), mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.get(j)))) : mod.f32.add(fb.get(s, f32), mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.get(j))))),
        fb.set(n, mod.f32.add(fb.get(n, f32), mod.f32.const(1))),
      ]), p.countPad ? mod.if(mod.i32.eq(fb.get(j), fb.c(-1)), fb.set(n, mod.f32.add(fb.get(n, f32), mod.f32.const(1)))) : undefined),
    ]),
    mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.get(o)), p.kind === 'max' ? fb.get(s, f32) : mod.f32.div(fb.get(s, f32), fb.get(n, f32))),
  ])]);
}

/** Softmax (or log-softmax) over the last axis of rows x [rows, len]. */
export function softmaxKernel(mod: binaryen.Module, name: string, p: { x: number; y: number; rows: number; len: number; log: boolean }): void {
  const fb = new FnBuilder(mod, []);
  const r = fb.local(i32), k = fb.local(i32), base = fb.local(i32), mx = fb.local(f32), sum = fb.local(f32);
  const xAt = () => mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.add(fb.get(base), fb.get(k))));
  const yAddr = () => fb.at(fb.c(p.y), fb.add(fb.get(base), fb.get(k)));
  const exp = (e: Expr) => mod.f32.demote(mod.call('exp', [mod.f64.promote(e)], binaryenModule.f64));
  const log = (e: Expr) => mod.f32.demote(mod.call('log', [mod.f64.promote(e)], binaryenModule.f64));
  fb.finish(name, [fb.for(r, fb.c(0), fb.c(p.rows), 1, [
    fb.set(base, fb.mul(fb.get(r), fb.c(p.len))),
    fb.set(mx, mod.f32.const(-Infinity)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [fb.set(mx, mod.f32.max(fb.get(mx, f32), xAt()))]),
    fb.set(sum, mod.f32.const(0)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [
      mod.f32.store(0, 4, yAddr(), exp(mod.f32.sub(xAt(), fb.get(mx, f32)))),
      fb.set(sum, mod.f32.add(fb.get(sum, f32), mod.f32.load(0, 4, yAddr()))),
    ]),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [
      mod.f32.store(0, 4, yAddr(), p.log ? mod.f32.sub(mod.f32.sub(xAt(), fb.get(mx, f32)), log(fb.get(sum, f32))) : mod.f32.div(mod.f32.load(0, 4, yAddr()), fb.get(sum, f32))),
    ]),
  ])]);
}

/** Depthwise 2-d convolution (one input channel per output channel), direct loops, all images. */
export function depthwiseConv(mod: binaryen.Module, name: string, p: ConvGeometry2d & { x: number; w: number; bias?: number; y: number; N: number; act: Activation }): void {
  const fb = new FnBuilder(mod, []);
  const plane = fb.local(i32), oh = fb.local(i32), ow = fb.local(i32), i = fb.local(i32), j = fb.local(i32), ih = fb.local(i32), iw = fb.local(i32), s = fb.local(f32), ch = fb.local(i32), xb = fb.local(i32);
  fb.finish(name, [fb.for(plane, fb.c(0), fb.c(p.N * p.C), 1, [
    fb.set(ch, mod.i32.rem_u(fb.get(plane), fb.c(p.C))),
    fb.set(xb, fb.at(fb.c(p.x), fb.mul(fb.get(plane), fb.c(p.H * p.W)))),
    fb.for(oh, fb.c(0), fb.c(p.OH), 1, [fb.for(ow, fb.c(0), fb.c(p.OW), 1, [
      fb.set(s, p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(ch))) : mod.f32.const(0)),
      fb.for(i, fb.c(0), fb.c(p.kh), 1, [
        fb.set(ih, fb.add(mod.i32.sub(fb.mul(fb.get(oh), fb.c(p.sh)), fb.c(p.ph)), fb.mul(fb.get(i), fb.c(p.dh)))),
        mod.if(mod.i32.lt_u(fb.get(ih), fb.c(p.H)), fb.for(j, fb.c(0), fb.c(p.kw), 1, [
          fb.set(iw, fb.add(mod.i32.sub(fb.mul(fb.get(ow), fb.c(p.sw)), fb.c(p.pw)), fb.mul(fb.get(j), fb.c(p.dw)))),
          mod.if(mod.i32.lt_u(fb.get(iw), fb.c(p.W)), fb.set(s, mod.f32.add(fb.get(s, f32), mod.f32.mul(
            mod.f32.load(0, 4, fb.at(fb.c(p.w), fb.add(fb.mul(fb.add(fb.mul(fb.get(ch), fb.c(p.kh)), fb.get(i)), fb.c(p.kw)), fb.get(j)))),
            mod.f32.load(0, 4, fb.at(fb.get(xb), fb.add(fb.mul(fb.get(ih), fb.c(p.W)), fb.get(iw)))))))),
        ])),
      ]),
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(plane), fb.c(p.OH * p.OW)), fb.add(fb.mul(fb.get(oh), fb.c(p.OW)), fb.get(ow)))), actScalar(mod, p.act, fb.get(s, f32))),
    ])]),
  ])]);
}
