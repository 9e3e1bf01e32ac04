// Convolutions: im2col, weight x columns (dense or CSR, SIMD over spatial positions) and a direct
// depthwise kernel.
import type { binaryen } from '../emit.js';
import { f32, FnBuilder, i32, madd, v128, type Expr } from '../emit.js';
import { actScalar, actVec, type Activation } from './activation.js';

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
  /** Dense weight [M, CK] row-major, CSR (rowPtr, cols i32, vals) over [M, CK], or ELL: `width` (cols i32, vals) per row. */
  dense?: number;
  csr?: { rowPtr: number; cols: number; vals: number };
  ell?: { width: number; cols: number; vals: number };
  col: number; y: number; bias?: number;
  M: number; CK: number; P: number;
  /** First output row (channel) of this group; the bias is indexed by it too. */
  mStart: number;
  act: Activation;
}

/**
 * y[mStart + m, p] = act(bias + sum_ck w[m, ck] * col[ck, p]) for one image (param 0: byte offset
 * of its output), vectorised over spatial positions p, four at a time, and a scalar tail. With a
 * CSR or ELL (N:M) weight only the stored values are visited ("Fast Sparse ConvNets": each nonzero
 * is broadcast over the spatial positions).
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
    const c = p.csr ?? p.ell!;
    // CSR rows start where rowPtr says; ELL rows (N:M) all hold `width` values.
    const start = p.csr ? mod.i32.load(0, 4, fb.at(fb.c(p.csr.rowPtr), fb.get(m))) : fb.mul(fb.get(m), fb.c(p.ell!.width));
    const stop = p.csr ? mod.i32.load(0, 4, fb.at(fb.c(p.csr.rowPtr), fb.add(fb.get(m), fb.c(1)))) : fb.mul(fb.add(fb.get(m), fb.c(1)), fb.c(p.ell!.width));
    return mod.block(null, [
      fb.set(end, stop),
      fb.for(k, start, fb.get(end), 1, [
        fb.set(ck, mod.i32.load(0, 4, fb.at(fb.c(c.cols), fb.get(k)))),
        fb.set(w, mod.f32.load(0, 4, fb.at(fb.c(c.vals), fb.get(k)))),
        ...body,
      ]),
    ]);
  };
  // Four vectors (16 positions) per pass over a row's weights, then single vectors, then scalars.
  const P16 = p.P - (p.P % 16);
  const acc4 = [acc, fb.local(v128), fb.local(v128), fb.local(v128)];
  const wsplat = fb.local(v128), cptr = fb.local(i32);
  const perRow = (mFrom: Expr) => fb.for(m, mFrom, fb.c(p.M), 1, [
    fb.set(yrow, fb.at(fb.add(fb.get(0), fb.c(p.y)), fb.mul(fb.add(fb.get(m), fb.c(p.mStart)), fb.c(p.P)))),
    fb.for(pp, fb.c(0), fb.c(P16), 16, [
      ...acc4.map((a) => fb.set(a, mod.f32x4.splat(b()))),
      loopWeights([
        fb.set(wsplat, mod.f32x4.splat(fb.get(w, f32))),
        fb.set(cptr, fb.at(fb.c(p.col), fb.add(fb.mul(fb.get(ck), fb.c(p.P)), fb.get(pp)))),
        ...acc4.map((a, v) => fb.set(a, madd(mod, fb.get(wsplat, v128), mod.v128.load(16 * v, 4, fb.get(cptr)), fb.get(a, v128)))),
      ]),
      ...acc4.map((a, v) => mod.v128.store(16 * v, 4, fb.at(fb.get(yrow), fb.get(pp)), actVec(mod, p.act, fb.get(a, v128)))),
    ]),
    fb.for(pp, fb.c(P16), fb.c(P4), 4, [
      fb.set(acc, mod.f32x4.splat(b())),
      loopWeights([fb.set(acc, madd(mod, mod.f32x4.splat(fb.get(w, f32)), colAt(true), fb.get(acc, v128)))]),
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
  const bAt = (r: number) => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.add(fb.add(fb.get(m), fb.c(r)), fb.c(p.mStart)))) : mod.f32.const(0));
  const wAt = (r: number) => mod.f32.load(0, 4, fb.at(fb.c(p.dense!), fb.add(fb.mul(fb.add(fb.get(m), fb.c(r)), fb.c(p.CK)), fb.get(k))));
  const yAt = (r: number) => fb.at(fb.add(fb.get(0), fb.c(p.y)), fb.add(fb.mul(fb.add(fb.add(fb.get(m), fb.c(r)), fb.c(p.mStart)), fb.c(p.P)), fb.get(pp)));
  // Register block: 4 output channels x (4 * vecs) positions; each weight is loaded once as a
  // splat (load32_splat) per block of positions, each column vector once per 4 channels; pointers
  // advance instead of recomputing addresses.
  const P8 = p.P - (p.P % 8);
  const cp = fb.local(i32), wp = fb.local(i32), wv = fb.local(v128);
  const accs2 = Array.from({ length: 4 }, () => [fb.local(v128), fb.local(v128)]);
  const cvs = [fb.local(v128), fb.local(v128)];
  const blockLoop = (vecs: number, from: Expr, to: number): Expr => fb.for(pp, from, fb.c(to), 4 * vecs, [
    ...accs2.flatMap((row, r) => row.slice(0, vecs).map((a) => fb.set(a, mod.f32x4.splat(bAt(r))))),
    fb.set(cp, fb.at(fb.c(p.col), fb.get(pp))),
    fb.set(wp, fb.at(fb.c(p.dense!), fb.mul(fb.get(m), fb.c(p.CK)))),
    fb.for(k, fb.c(0), fb.c(p.CK), 1, [
      ...cvs.slice(0, vecs).map((cv, v) => fb.set(cv, mod.v128.load(16 * v, 4, fb.get(cp)))),
      ...accs2.flatMap((row, r) => [
        fb.set(wv, mod.v128.load32_splat(r * p.CK * 4, 4, fb.get(wp))),
        ...row.slice(0, vecs).map((a, v) => fb.set(a, madd(mod, fb.get(wv, v128), fb.get(cvs[v]!, v128), fb.get(a, v128)))),
      ]),
      fb.set(cp, fb.add(fb.get(cp), fb.c(p.P * 4))),
      fb.set(wp, fb.add(fb.get(wp), fb.c(4))),
    ]),
    ...accs2.flatMap((row, r) => row.slice(0, vecs).map((a, v) => mod.v128.store(16 * v, 4, yAt(r), actVec(mod, p.act, fb.get(a, v128))))),
  ]);
  fb.finish(name, [
    fb.for(m, fb.c(0), fb.c(M4), 4, [
      blockLoop(2, fb.c(0), P8),
      blockLoop(1, fb.c(P8), P4),
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

/** Byte lanes of two f32x4 vectors that keep the even f32 lanes (0, 2 of the first; 0, 2 of the second). */
const EVEN_LANES = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];

/** Four inputs of a row at `off` bytes from the pointer, for four outputs at `stride` 1 (one vector) or 2 (the even lanes of two). */
function rowVector(mod: binaryen.Module, stride: number, off: number, ptr: () => Expr): Expr {
  return stride === 1
    ? mod.v128.load(off, 4, ptr())
    : mod.i8x16.shuffle(mod.v128.load(off, 4, ptr()), mod.v128.load(off + 16, 4, ptr()), EVEN_LANES);
}

/**
 * Depthwise 2-d convolution (one input channel per output channel), all images. With stride 1 or 2
 * the output columns whose whole window lies inside the row are done four at a time (each tap a
 * broadcast weight times an unaligned vector of x; stride 2 keeps the even lanes of two vectors);
 * borders and other strides take the scalar path with bounds checks.
 */
export function depthwiseConv(mod: binaryen.Module, name: string, p: ConvGeometry2d & { x: number; w: number; bias?: number; y: number; N: number; act: Activation }): void {
  const fb = new FnBuilder(mod, []);
  const plane = fb.local(i32), oh = fb.local(i32), ow = fb.local(i32), i = fb.local(i32), j = fb.local(i32), ih = fb.local(i32), iw = fb.local(i32), s = fb.local(f32), ch = fb.local(i32), xb = fb.local(i32), wb = fb.local(i32), acc = fb.local(v128), xrow = fb.local(i32);
  const biasS = () => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(ch))) : mod.f32.const(0));
  const yAddr = () => fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(plane), fb.c(p.OH * p.OW)), fb.add(fb.mul(fb.get(oh), fb.c(p.OW)), fb.get(ow))));
  const scalarCols = (from: Expr, to: Expr) => fb.for(ow, from, to, 1, [
    fb.set(s, biasS()),
    fb.for(i, fb.c(0), fb.c(p.kh), 1, [
      fb.set(ih, fb.add(mod.i32.sub(fb.mul(fb.get(oh), fb.c(p.sh)), fb.c(p.ph)), fb.mul(fb.get(i), fb.c(p.dh)))),
      mod.if(mod.i32.lt_u(fb.get(ih), fb.c(p.H)), fb.for(j, fb.c(0), fb.c(p.kw), 1, [
        fb.set(iw, fb.add(mod.i32.sub(fb.mul(fb.get(ow), fb.c(p.sw)), fb.c(p.pw)), fb.mul(fb.get(j), fb.c(p.dw)))),
        mod.if(mod.i32.lt_u(fb.get(iw), fb.c(p.W)), fb.set(s, mod.f32.add(fb.get(s, f32), mod.f32.mul(
          mod.f32.load(0, 4, fb.at(fb.get(wb), fb.add(fb.mul(fb.get(i), fb.c(p.kw)), fb.get(j)))),
          mod.f32.load(0, 4, fb.at(fb.get(xb), fb.add(fb.mul(fb.get(ih), fb.c(p.W)), fb.get(iw)))))))),
      ])),
    ]),
    mod.f32.store(0, 4, yAddr(), actScalar(mod, p.act, fb.get(s, f32))),
  ]);
  // Columns whose window is inside the row: [lo, hi); stride 2 reads 8 values and keeps the even lanes.
  const lo = Math.min(p.OW, Math.ceil(p.pw / p.sw)), hi = Math.max(lo, Math.min(p.OW, Math.floor((p.W - 1 + p.pw - (p.kw - 1) * p.dw) / p.sw) + 1));
  const vecEnd = lo + 4 * Math.floor((hi - lo) / 4);
  const simd = (p.sw === 1 || p.sw === 2) && vecEnd > lo;
  const xVec = (off: number): Expr => rowVector(mod, p.sw, off, () => fb.get(xrow));
  const vectorCols = (): Expr => fb.for(ow, fb.c(lo), fb.c(vecEnd), 4, [
    fb.set(acc, mod.f32x4.splat(biasS())),
    ...Array.from({ length: p.kh }, (_, ki) => mod.block(null, [
      fb.set(ih, fb.add(mod.i32.sub(fb.mul(fb.get(oh), fb.c(p.sh)), fb.c(p.ph)), fb.c(ki * p.dh))),
      mod.if(mod.i32.lt_u(fb.get(ih), fb.c(p.H)), mod.block(null, [
        fb.set(xrow, fb.at(fb.get(xb), fb.add(fb.mul(fb.get(ih), fb.c(p.W)), mod.i32.sub(fb.mul(fb.get(ow), fb.c(p.sw)), fb.c(p.pw))))),
        ...Array.from({ length: p.kw }, (_, kj) => fb.set(acc, madd(mod, mod.v128.load32_splat((ki * p.kw + kj) * 4, 4, fb.get(wb)), xVec(kj * p.dw * 4), fb.get(acc, v128)))),
      ])),
    ])),
    mod.v128.store(0, 4, yAddr(), actVec(mod, p.act, fb.get(acc, v128))),
  ]);
  fb.finish(name, [fb.for(plane, fb.c(0), fb.c(p.N * p.C), 1, [
    fb.set(ch, mod.i32.rem_u(fb.get(plane), fb.c(p.C))),
    fb.set(xb, fb.at(fb.c(p.x), fb.mul(fb.get(plane), fb.c(p.H * p.W)))),
    fb.set(wb, fb.at(fb.c(p.w), fb.mul(fb.get(ch), fb.c(p.kh * p.kw)))),
    fb.for(oh, fb.c(0), fb.c(p.OH), 1, simd
      ? [scalarCols(fb.c(0), fb.c(lo)), vectorCols(), scalarCols(fb.c(vecEnd), fb.c(p.OW))]
      : [scalarCols(fb.c(0), fb.c(p.OW))]),
  ])]);
}

/**
 * Depthwise 2-d convolution through a zero-padded copy of each plane (strides 1 and 2): the padded
 * plane (rows x cols, `pad` in scratch; its borders zeroed once per call) holds the input at (ph, pw),
 * so every block of four outputs reads its taps as vectors at constant offsets from one pointer, with
 * no bounds checks; stride 2 keeps the even lanes of two vectors. Up to nine taps stay in registers as
 * splats for the whole plane. The last block of a row stores only the outputs that exist.
 */
export function depthwisePadded(mod: binaryen.Module, name: string, p: ConvGeometry2d & { x: number; w: number; bias?: number; y: number; N: number; act: Activation; pad: number; rows: number; cols: number }): void {
  const fb = new FnBuilder(mod, []);
  const plane = fb.local(i32), ch = fb.local(i32), r = fb.local(i32), oh = fb.local(i32), ow = fb.local(i32), prow = fb.local(i32), xo = fb.local(i32), yrow = fb.local(i32), acc = fb.local(v128), b = fb.local(v128), wb = fb.local(i32);
  const taps = p.kh * p.kw, held = taps <= 9;
  const wv = held ? Array.from({ length: taps }, () => fb.local(v128)) : [];
  const full = p.OW - (p.OW % 4), tail = p.OW % 4;
  const tap = (t: number): Expr => (held ? fb.get(wv[t]!, v128) : mod.v128.load32_splat(4 * t, 4, fb.get(wb)));
  const xVec = (off: number): Expr => rowVector(mod, p.sw, off, () => fb.get(xo));
  // acc = bias + sum over taps, for the block of four outputs at ow (built per use: expressions are tree nodes)
  const block = (): Expr[] => {
    const out = [fb.set(xo, fb.add(fb.get(prow), fb.mul(fb.get(ow), fb.c(4 * p.sw)))), fb.set(acc, fb.get(b, v128))];
    for (let i = 0; i < p.kh; i++) for (let j = 0; j < p.kw; j++) out.push(fb.set(acc, madd(mod, tap(i * p.kw + j), xVec(4 * (i * p.dh * p.cols + j * p.dw)), fb.get(acc, v128))));
    return out;
  };
  const yAt = () => fb.at(fb.get(yrow), fb.get(ow));
  fb.finish(name, [
    // zeros around the plane (the copies below only write its inside)
    mod.memory.fill(fb.c(p.pad), mod.i32.const(0), fb.c(4 * p.rows * p.cols)),
    fb.for(plane, fb.c(0), fb.c(p.N * p.C), 1, [
      fb.set(ch, mod.i32.rem_u(fb.get(plane), fb.c(p.C))),
      fb.for(r, fb.c(0), fb.c(p.H), 1, [
        mod.memory.copy(
          fb.add(fb.c(p.pad + 4 * (p.ph * p.cols + p.pw)), fb.mul(fb.get(r), fb.c(4 * p.cols))),
          fb.at(fb.c(p.x), fb.add(fb.mul(fb.get(plane), fb.c(p.H * p.W)), fb.mul(fb.get(r), fb.c(p.W)))),
          fb.c(4 * p.W)),
      ]),
      fb.set(wb, fb.at(fb.c(p.w), fb.mul(fb.get(ch), fb.c(taps)))),
      ...wv.map((v, t) => fb.set(v, mod.v128.load32_splat(4 * t, 4, fb.get(wb)))),
      fb.set(b, p.bias !== undefined ? mod.v128.load32_splat(0, 4, fb.at(fb.c(p.bias), fb.get(ch))) : mod.f32x4.splat(mod.f32.const(0))),
      fb.for(oh, fb.c(0), fb.c(p.OH), 1, [
        fb.set(prow, fb.add(fb.c(p.pad), fb.mul(fb.get(oh), fb.c(4 * p.sh * p.cols)))),
        fb.set(yrow, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(plane), fb.c(p.OH * p.OW)), fb.mul(fb.get(oh), fb.c(p.OW))))),
        fb.for(ow, fb.c(0), fb.c(full), 4, [...block(), mod.v128.store(0, 4, yAt(), actVec(mod, p.act, fb.get(acc, v128)))]),
        ...(tail ? [mod.block(null, [
          fb.set(ow, fb.c(full)),
          ...block(),
          ...Array.from({ length: tail }, (_, l) => mod.f32.store(4 * l, 4, yAt(), mod.f32x4.extract_lane(actVec(mod, p.act, fb.get(acc, v128)), l))),
        ])] : []),
      ]),
    ]),
  ]);
}

/**
 * Transposed convolution, scattering each input value through the kernel: y[n, g*Mg + mo, t] +=
 * x[n, c, p] * w[c, mo, kk] where t = table[p * kVol + kk] (the output position, -1 when cropped by
 * the pads). Scalar; the weight may be a run-time operand.
 */
export function convTransposeScatter(mod: binaryen.Module, name: string, p: { x: number; w: number; bias?: number; y: number; N: number; C: number; G: number; Mg: number; Pin: number; Pout: number; kVol: number; table: number }): void {
  const fb = new FnBuilder(mod, []);
  const n = fb.local(i32), c = fb.local(i32), pp = fb.local(i32), mo = fb.local(i32), kk = fb.local(i32), t = fb.local(i32), xv = fb.local(f32), yb = fb.local(i32), i = fb.local(i32), ch = fb.local(i32);
  const M = p.G * p.Mg, Cg = p.C / p.G;
  fb.finish(name, [
    fb.for(n, fb.c(0), fb.c(p.N), 1, [fb.for(ch, fb.c(0), fb.c(M), 1, [fb.for(i, fb.c(0), fb.c(p.Pout), 1, [
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.add(fb.mul(fb.get(n), fb.c(M)), fb.get(ch)), fb.c(p.Pout)), fb.get(i))),
        p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(ch))) : mod.f32.const(0)),
    ])])]),
    fb.for(n, fb.c(0), fb.c(p.N), 1, [fb.for(c, fb.c(0), fb.c(p.C), 1, [
      fb.for(pp, fb.c(0), fb.c(p.Pin), 1, [
        fb.set(xv, mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.add(fb.mul(fb.add(fb.mul(fb.get(n), fb.c(p.C)), fb.get(c)), fb.c(p.Pin)), fb.get(pp))))),
        fb.for(mo, fb.c(0), fb.c(p.Mg), 1, [
          // output plane of channel (c / Cg) * Mg + mo
          fb.set(yb, fb.at(fb.c(p.y), fb.mul(fb.add(fb.mul(fb.get(n), fb.c(M)), fb.add(fb.mul(mod.i32.div_u(fb.get(c), fb.c(Cg)), fb.c(p.Mg)), fb.get(mo))), fb.c(p.Pout)))),
          fb.for(kk, fb.c(0), fb.c(p.kVol), 1, [
            fb.set(t, mod.i32.load(0, 4, fb.at(fb.c(p.table), fb.add(fb.mul(fb.get(pp), fb.c(p.kVol)), fb.get(kk))))),
            mod.if(mod.i32.ge_s(fb.get(t), fb.c(0)), mod.f32.store(0, 4, fb.at(fb.get(yb), fb.get(t)), mod.f32.add(
              mod.f32.load(0, 4, fb.at(fb.get(yb), fb.get(t))),
              mod.f32.mul(fb.get(xv, f32), mod.f32.load(0, 4, fb.at(fb.c(p.w), fb.add(fb.mul(fb.add(fb.mul(fb.get(c), fb.c(p.Mg)), fb.get(mo)), fb.c(p.kVol)), fb.get(kk)))))))),
          ]),
        ]),
      ]),
    ])]),
  ]);
}
