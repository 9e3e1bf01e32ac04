// Matrix products and convolutions for every element type: each operand is loaded and converted to
// f64, products are summed in f64 in the reference interpreter's order, and the result is stored
// with the interpreter's conversion rules (dtype.ts), so integer and f64 models give the
// interpreter's numbers. The f32 kernels (matmul.ts, conv.ts) read raw f32 bytes and are only
// selected when every operand is f32.
import { f64, FnBuilder, i32, type binaryen, type Expr } from '../emit.js';
import { elemBytes, type WasmElementType } from '../dtype.js';
import { loadF64, storeF64 } from './element.js';
import { scalarNum, type Num } from './map.js';

export interface TypedRef {
  addr: number;
  et: WasmElementType;
}

/** An f64 epilogue over the finished sum (identity when there is none). */
export type F64Epilogue = (n: Num, v: () => Expr) => Expr;

export interface TypedMatmul {
  a: TypedRef; b: TypedRef; y: TypedRef;
  /** y starts as scale * init[i * si + j * sj] (Gemm's beta * C, MatMul's bias), else 0. */
  init?: TypedRef & { si: number; sj: number; scale: number };
  M: number; K: number; N: number;
  /** Scale of every element of a (Gemm's alpha; 1 for MatMul). */
  alpha: number;
  /** Element strides of A[i, k] and B[k, j] within one matrix (transposes are strides). */
  aRow: number; aCol: number; bRow: number; bCol: number;
  /** Output matrices; with a table, batch t reads matrix table[2t] of a and table[2t + 1] of b (i32 pairs), else matrix t of both. */
  batches: number; batchTable?: number;
  act: F64Epilogue;
}

/**
 * y[t, i, j] = act(init + sum_k (alpha * A[i, k]) * B[k, j]), summed over k in order and skipping
 * zero A values, as the interpreter's matmulInto does.
 */
export function typedMatmul(mod: binaryen.Module, name: string, p: TypedMatmul): void {
  const fb = new FnBuilder(mod, []);
  const t = fb.local(i32), i = fb.local(i32), j = fb.local(i32), k = fb.local(i32), aBase = fb.local(i32), bBase = fb.local(i32), yBase = fb.local(i32);
  const acc = fb.local(f64), av = fb.local(f64), tmp = fb.local(f64);
  const n = scalarNum(mod, 'f64');
  const ab = elemBytes(p.a.et), bb = elemBytes(p.b.et), yb = elemBytes(p.y.et);
  const { M, K, N } = p;
  const elem = (base: Expr, index: Expr, bytes: number) => fb.add(base, fb.mul(index, fb.c(bytes)));
  const matrix = (slot: 0 | 1) => (p.batchTable === undefined ? fb.get(t) : mod.i32.load(4 * slot, 4, fb.add(fb.c(p.batchTable), fb.mul(fb.get(t), fb.c(8)))));
  const init = p.init
    ? mod.f64.mul(mod.f64.const(p.init.scale), loadF64(mod, p.init.et, elem(fb.c(p.init.addr), fb.add(fb.mul(fb.get(i), fb.c(p.init.si)), fb.mul(fb.get(j), fb.c(p.init.sj))), elemBytes(p.init.et))))
    : mod.f64.const(0);
  fb.finish(name, [fb.for(t, fb.c(0), fb.c(p.batches), 1, [
    fb.set(aBase, elem(fb.c(p.a.addr), matrix(0), M * K * ab)),
    fb.set(bBase, elem(fb.c(p.b.addr), matrix(1), K * N * bb)),
    fb.set(yBase, elem(fb.c(p.y.addr), fb.get(t), M * N * yb)),
    fb.for(i, fb.c(0), fb.c(M), 1, [fb.for(j, fb.c(0), fb.c(N), 1, [
      fb.set(acc, init),
      fb.for(k, fb.c(0), fb.c(K), 1, [
        fb.set(av, mod.f64.mul(loadF64(mod, p.a.et, elem(fb.get(aBase), fb.add(fb.mul(fb.get(i), fb.c(p.aRow)), fb.mul(fb.get(k), fb.c(p.aCol))), ab)), mod.f64.const(p.alpha))),
        mod.if(mod.f64.ne(fb.get(av, f64), mod.f64.const(0)), fb.set(acc, mod.f64.add(fb.get(acc, f64), mod.f64.mul(fb.get(av, f64),
          loadF64(mod, p.b.et, elem(fb.get(bBase), fb.add(fb.mul(fb.get(k), fb.c(p.bRow)), fb.mul(fb.get(j), fb.c(p.bCol))), bb)))))),
      ]),
      storeF64(mod, p.y.et, elem(fb.get(yBase), fb.add(fb.mul(fb.get(i), fb.c(N)), fb.get(j)), yb), p.act(n, () => fb.get(acc, f64)), tmp),
    ])]),
  ])]);
}

export interface TypedConv {
  x: TypedRef; w: TypedRef; bias?: TypedRef; y: TypedRef;
  N: number; C: number; G: number; Mg: number;
  /** Kernel elements per channel, output positions, input elements per channel. */
  kVol: number; P: number; inPlane: number;
  /** i32 [C * kVol][P]: the input element (channel * inPlane + position) each column reads, or -1 (padding). */
  table: number;
  act: F64Epilogue;
}

/**
 * Convolution of any rank through an im2col table: y[n, m, p] = act(bias[m] + sum_k W[m, k] * col[k, p])
 * with k over the group's Cg * kVol columns, four weights at a time (a group of four zero weights
 * skipped, their products summed before they are added), then one at a time, as the interpreter does.
 */
export function typedConv(mod: binaryen.Module, name: string, p: TypedConv): void {
  const fb = new FnBuilder(mod, []);
  const nn = fb.local(i32), g = fb.local(i32), mo = fb.local(i32), pp = fb.local(i32), k = fb.local(i32), m = fb.local(i32), xBase = fb.local(i32), wRow = fb.local(i32), tRow = fb.local(i32), ti = fb.local(i32);
  const acc = fb.local(f64), tmp = fb.local(f64);
  const ws = [fb.local(f64), fb.local(f64), fb.local(f64), fb.local(f64)];
  const num = scalarNum(mod, 'f64');
  const Cg = p.C / p.G, M = p.G * p.Mg, K = Cg * p.kVol, K4 = K - (K % 4);
  const xb = elemBytes(p.x.et), wb = elemBytes(p.w.et), yb = elemBytes(p.y.et);
  const elem = (base: Expr, index: Expr, bytes: number) => fb.add(base, fb.mul(index, fb.c(bytes)));
  const wAt = (kk: Expr) => loadF64(mod, p.w.et, elem(fb.get(wRow), kk, wb));
  // col[k, p]: the table entry for row k of the group, 0 where it is padding
  const col = (kk: Expr): Expr => mod.block(null, [
    fb.set(ti, mod.i32.load(0, 4, fb.at(fb.get(tRow), fb.add(fb.mul(kk, fb.c(p.P)), fb.get(pp))))),
    mod.if(mod.i32.ge_s(fb.get(ti), fb.c(0)), loadF64(mod, p.x.et, elem(fb.get(xBase), fb.get(ti), xb)), mod.f64.const(0)),
  ], f64);
  const kPlus = (d: number) => fb.add(fb.get(k), fb.c(d));
  const four = ws.slice(1).reduce<Expr>((s, w, d) => mod.f64.add(s, mod.f64.mul(fb.get(w, f64), col(kPlus(d + 1)))), mod.f64.mul(fb.get(ws[0]!, f64), col(fb.get(k))));
  const allZero = ws.map((w) => mod.f64.eq(fb.get(w, f64), mod.f64.const(0))).reduce((a, b) => mod.i32.and(a, b));
  fb.finish(name, [fb.for(nn, fb.c(0), fb.c(p.N), 1, [
    fb.set(xBase, elem(fb.c(p.x.addr), fb.get(nn), p.C * p.inPlane * xb)),
    fb.for(g, fb.c(0), fb.c(p.G), 1, [
      fb.set(tRow, fb.at(fb.c(p.table), fb.mul(fb.get(g), fb.c(K * p.P)))),
      fb.for(mo, fb.c(0), fb.c(p.Mg), 1, [
        fb.set(m, fb.add(fb.mul(fb.get(g), fb.c(p.Mg)), fb.get(mo))),
        fb.set(wRow, elem(fb.c(p.w.addr), fb.get(m), K * wb)),
        fb.for(pp, fb.c(0), fb.c(p.P), 1, [
          fb.set(acc, p.bias ? loadF64(mod, p.bias.et, elem(fb.c(p.bias.addr), fb.get(m), elemBytes(p.bias.et))) : mod.f64.const(0)),
          fb.for(k, fb.c(0), fb.c(K4), 4, [
            ...ws.map((w, d) => fb.set(w, wAt(kPlus(d)))),
            mod.if(mod.i32.eqz(allZero), fb.set(acc, mod.f64.add(fb.get(acc, f64), four))),
          ]),
          fb.for(k, fb.c(K4), fb.c(K), 1, [
            fb.set(ws[0]!, wAt(fb.get(k))),
            mod.if(mod.f64.ne(fb.get(ws[0]!, f64), mod.f64.const(0)), fb.set(acc, mod.f64.add(fb.get(acc, f64), mod.f64.mul(fb.get(ws[0]!, f64), col(fb.get(k)))))),
          ]),
          storeF64(mod, p.y.et, elem(fb.c(p.y.addr), fb.add(fb.mul(fb.add(fb.mul(fb.get(nn), fb.c(M)), fb.get(m)), fb.c(p.P)), fb.get(pp)), yb), p.act(num, () => fb.get(acc, f64)), tmp),
        ]),
      ]),
    ]),
  ])]);
}

export interface TypedConvTranspose {
  x: TypedRef; w: TypedRef; bias?: TypedRef; y: TypedRef;
  N: number; C: number; G: number; Mg: number; Pin: number; Pout: number; kVol: number;
  /** i32 [Pin][kVol]: the output position each input position and kernel element adds to, or -1. */
  table: number;
  /** f64 sums [M, Pout] (scratch). */
  acc: number;
  act: F64Epilogue;
}

/**
 * ConvTranspose: each input value scattered through the kernel into f64 sums (per output channel:
 * input channels, kernel elements, input positions, as the interpreter adds them), then converted.
 */
export function typedConvTranspose(mod: binaryen.Module, name: string, p: TypedConvTranspose): void {
  const fb = new FnBuilder(mod, []);
  const nn = fb.local(i32), m = fb.local(i32), g = fb.local(i32), mo = fb.local(i32), ci = fb.local(i32), cin = fb.local(i32), kk = fb.local(i32), pp = fb.local(i32), q = fb.local(i32), ti = fb.local(i32), xo = fb.local(i32), accRow = fb.local(i32);
  const wt = fb.local(f64), tmp = fb.local(f64);
  const num = scalarNum(mod, 'f64');
  const Cg = p.C / p.G, M = p.G * p.Mg;
  const xb = elemBytes(p.x.et), wb = elemBytes(p.w.et), yb = elemBytes(p.y.et);
  const elem = (base: Expr, index: Expr, bytes: number) => fb.add(base, fb.mul(index, fb.c(bytes)));
  const accAt = (row: Expr, pos: Expr) => elem(row, pos, 8);
  fb.finish(name, [fb.for(nn, fb.c(0), fb.c(p.N), 1, [
    fb.for(m, fb.c(0), fb.c(M), 1, [
      fb.set(accRow, elem(fb.c(p.acc), fb.get(m), p.Pout * 8)),
      fb.for(q, fb.c(0), fb.c(p.Pout), 1, [
        mod.f64.store(0, 8, accAt(fb.get(accRow), fb.get(q)), p.bias ? loadF64(mod, p.bias.et, elem(fb.c(p.bias.addr), fb.get(m), elemBytes(p.bias.et))) : mod.f64.const(0)),
      ]),
    ]),
    fb.for(g, fb.c(0), fb.c(p.G), 1, [fb.for(mo, fb.c(0), fb.c(p.Mg), 1, [
      fb.set(m, fb.add(fb.mul(fb.get(g), fb.c(p.Mg)), fb.get(mo))),
      fb.set(accRow, elem(fb.c(p.acc), fb.get(m), p.Pout * 8)),
      fb.for(ci, fb.c(0), fb.c(Cg), 1, [
        fb.set(cin, fb.add(fb.mul(fb.get(g), fb.c(Cg)), fb.get(ci))),
        fb.set(xo, elem(fb.c(p.x.addr), fb.add(fb.mul(fb.get(nn), fb.c(p.C)), fb.get(cin)), p.Pin * xb)),
        fb.for(kk, fb.c(0), fb.c(p.kVol), 1, [
          fb.set(wt, loadF64(mod, p.w.et, elem(fb.c(p.w.addr), fb.add(fb.mul(fb.add(fb.mul(fb.get(cin), fb.c(p.Mg)), fb.get(mo)), fb.c(p.kVol)), fb.get(kk)), wb))),
          mod.if(mod.f64.ne(fb.get(wt, f64), mod.f64.const(0)), fb.for(pp, fb.c(0), fb.c(p.Pin), 1, [
            fb.set(ti, mod.i32.load(0, 4, fb.at(fb.c(p.table), fb.add(fb.mul(fb.get(pp), fb.c(p.kVol)), fb.get(kk))))),
            mod.if(mod.i32.ge_s(fb.get(ti), fb.c(0)), mod.f64.store(0, 8, accAt(fb.get(accRow), fb.get(ti)), mod.f64.add(
              mod.f64.load(0, 8, accAt(fb.get(accRow), fb.get(ti))),
              mod.f64.mul(fb.get(wt, f64), loadF64(mod, p.x.et, elem(fb.get(xo), fb.get(pp), xb)))))),
          ])),
        ]),
      ]),
    ])]),
    fb.for(m, fb.c(0), fb.c(M), 1, [
      fb.set(accRow, elem(fb.c(p.acc), fb.get(m), p.Pout * 8)),
      fb.for(q, fb.c(0), fb.c(p.Pout), 1, [
        storeF64(mod, p.y.et, elem(fb.c(p.y.addr), fb.add(fb.mul(fb.add(fb.mul(fb.get(nn), fb.c(M)), fb.get(m)), fb.c(p.Pout)), fb.get(q)), yb),
          p.act(num, () => mod.f64.load(0, 8, accAt(fb.get(accRow), fb.get(q)))), tmp),
      ]),
    ]),
  ])]);
}
