// Matrix products with a weight known at compile time: dense (row-blocked, SIMD over N) and CSR
// (scalar with four accumulators; batched: SIMD over the batch).
import type { binaryen } from '../emit.js';
import { f32, FnBuilder, i32, madd, v128, type Expr } from '../emit.js';
import { actScalar, actVec, type Activation } from './activation.js';
import { NM24_PAIRS } from '../../../src/lower/kernels/matmul.js';

/** The sum of the four lanes of an f32x4 local. */
function laneSum(mod: binaryen.Module, fb: FnBuilder, a: number): Expr {
  const lane = (i: number) => mod.f32x4.extract_lane(fb.get(a, v128), i);
  return mod.f32.add(mod.f32.add(lane(0), lane(1)), mod.f32.add(lane(2), lane(3)));
}

export interface DenseMatmul {
  x: number; w: number; bias?: number; y: number;
  M: number; K: number; N: number;
  act: Activation;
  /** Schedule: rows of y computed together (each weight vector is loaded once for them). */
  rowBlock: number;
}

/**
 * y[M, N] = act(x[M, K] @ w[K, N] + bias[N]); w is [K, N] row-major so it streams contiguously (a
 * constant weight is transposed at compile time when the model has [N, K]; a run-time operand is
 * already in this layout). `rowBlock` rows of y share each weight vector load, vectorised over N with
 * a scalar tail. The function takes three byte offsets (x, w, y) added to the static addresses, so
 * one function serves every matrix of a batch.
 */
export function denseMatmul(mod: binaryen.Module, name: string, p: DenseMatmul): void {
  const fb = new FnBuilder(mod, [i32, i32, i32]);
  const m = fb.local(i32), n = fb.local(i32), k = fb.local(i32), wv = fb.local(v128), wrow = fb.local(i32), ws = fb.local(f32);
  const RB = Math.max(1, Math.min(8, p.rowBlock));
  const xs = Array.from({ length: RB }, () => fb.local(v128));
  const yrow = Array.from({ length: RB }, () => fb.local(i32));
  const { M, K, N } = p;
  const N4 = N - (N % 4);
  const MB = M - (M % RB);
  const X = () => fb.add(fb.c(p.x), fb.get(0)), W = () => fb.add(fb.c(p.w), fb.get(1)), Y = () => fb.add(fb.c(p.y), fb.get(2));
  const rowsBlock = (rows: number, mStart: Expr, mEnd: Expr, step: number): Expr =>
    fb.for(m, mStart, mEnd, step, [
      ...Array.from({ length: rows }, (_, r) => fb.set(yrow[r]!, fb.at(Y(), fb.mul(fb.add(fb.get(m), fb.c(r)), fb.c(N))))),
      // y rows start as the bias (or zero)
      ...Array.from({ length: rows }, (_, r) => fb.for(n, fb.c(0), fb.c(N), 1, [
        mod.f32.store(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)), p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(n))) : mod.f32.const(0)),
      ])),
      fb.for(k, fb.c(0), fb.c(K), 1, [
        ...Array.from({ length: rows }, (_, r) => fb.set(xs[r]!, mod.f32x4.splat(mod.f32.load(0, 4, fb.at(X(), fb.add(fb.mul(fb.add(fb.get(m), fb.c(r)), fb.c(K)), fb.get(k))))))),
        fb.set(wrow, fb.at(W(), fb.mul(fb.get(k), fb.c(N)))),
        fb.for(n, fb.c(0), fb.c(N4), 4, [
          fb.set(wv, mod.v128.load(0, 4, fb.at(fb.get(wrow), fb.get(n)))),
          ...Array.from({ length: rows }, (_, r) => mod.v128.store(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)),
            madd(mod, fb.get(xs[r]!, v128), fb.get(wv, v128), mod.v128.load(0, 4, fb.at(fb.get(yrow[r]!), fb.get(n)))))),
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
  fb.finish(name, [rowsBlock(RB, fb.c(0), fb.c(MB), RB), rowsBlock(1, fb.c(MB), fb.c(M), 1)]);
}

export interface CsrMatmul {
  x: number; y: number; bias?: number;
  /** CSR over the weight [N, K]: row (output) starts, column (input) indices as u16 or i32, values. */
  rowPtr: number; cols: number; vals: number; colBytes: 2 | 4;
  M: number; K: number; N: number;
  act: Activation;
}

export interface CsrMatmulBatched extends CsrMatmul {
  /** Scratch for x and y transposed tile by tile: K x Mp and N x Mp values (Mp: M rounded up to 4). */
  scratch: number;
  /** Schedule: batch rows per tile (a multiple of 4); each nonzero is broadcast over tile/4 vectors. */
  tile: number;
}

/**
 * CSR matmul for a batch of rows: x is transposed, tile by tile ([K][tile] per tile of rows), so each
 * nonzero weight is broadcast and multiplied with one contiguous block of the tile's vectors (the
 * "Fast Sparse ConvNets" idea applied to the batch dimension), the accumulators in registers; the
 * result tiles are transposed back. Lanes past M compute on whatever the scratch holds and are never
 * copied out.
 */
export function csrMatmulBatched(mod: binaryen.Module, name: string, p: CsrMatmulBatched): void {
  const fb = new FnBuilder(mod, []);
  const { M, K, N } = p;
  const Mp = Math.ceil(M / 4) * 4;
  const T = Math.max(4, Math.min(Mp, p.tile - (p.tile % 4)));
  const m = fb.local(i32), n = fb.local(i32), k = fb.local(i32), j = fb.local(i32), end = fb.local(i32), base = fb.local(i32), v = fb.local(v128);
  const acc = Array.from({ length: T / 4 }, () => fb.local(v128));
  const xT = p.scratch, yT = p.scratch + K * Mp * 4;
  const col = () => (p.colBytes === 2 ? mod.i32.load16_u(0, 2, fb.add(fb.c(p.cols), fb.mul(fb.get(j), fb.c(2)))) : mod.i32.load(0, 4, fb.at(fb.c(p.cols), fb.get(j))));
  const biasSplat = () => mod.f32x4.splat(p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(n))) : mod.f32.const(0));
  // x and y transposed tile by tile: tile t0 (rows t0 .. t0 + Tt) of xT is [K][Tt] at xT + 4 t0 K, of
  // yT [N][Tt] at yT + 4 t0 N, so a pass over the nonzeros reads one contiguous block of K x Tt values.
  const tiles: Expr[] = [], transposeIn: Expr[] = [], transposeOut: Expr[] = [];
  for (let t0 = 0; t0 < Mp; t0 += T) {
    const Tt = Math.min(T, Mp - t0), q = Tt / 4;
    const accs = acc.slice(0, q);
    const xTile = xT + 4 * t0 * K, yTile = yT + 4 * t0 * N;
    tiles.push(fb.for(n, fb.c(0), fb.c(N), 1, [
      ...accs.map((a) => fb.set(a, biasSplat())),
      fb.set(end, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.add(fb.get(n), fb.c(1))))),
      fb.for(j, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.get(n))), fb.get(end), 1, [
        fb.set(v, mod.f32x4.splat(mod.f32.load(0, 4, fb.at(fb.c(p.vals), fb.get(j))))),
        fb.set(base, fb.at(fb.c(xTile), fb.mul(col(), fb.c(Tt)))),
        ...accs.map((a, i) => fb.set(a, madd(mod, fb.get(v, v128), mod.v128.load(i * 16, 4, fb.get(base)), fb.get(a, v128)))),
      ]),
      ...accs.map((a, i) => mod.v128.store(i * 16, 4, fb.at(fb.c(yTile), fb.mul(fb.get(n), fb.c(Tt))), actVec(mod, p.act, fb.get(a, v128)))),
    ]));
    const rows = Math.min(M, t0 + Tt);
    if (rows <= t0) continue;
    // xT tile [k][m - t0] = x[m, k]; y[m, n] = yT tile [n][m - t0]
    transposeIn.push(fb.for(m, fb.c(t0), fb.c(rows), 1, [fb.for(k, fb.c(0), fb.c(K), 1, [
      mod.f32.store(0, 4, fb.at(fb.c(xTile - 4 * t0), fb.add(fb.mul(fb.get(k), fb.c(Tt)), fb.get(m))), mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.add(fb.mul(fb.get(m), fb.c(K)), fb.get(k))))),
    ])]));
    transposeOut.push(fb.for(m, fb.c(t0), fb.c(rows), 1, [fb.for(n, fb.c(0), fb.c(N), 1, [
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(N)), fb.get(n))), mod.f32.load(0, 4, fb.at(fb.c(yTile - 4 * t0), fb.add(fb.mul(fb.get(n), fb.c(Tt)), fb.get(m))))),
    ])]));
  }
  fb.finish(name, [...transposeIn, ...tiles, ...transposeOut]);
}

export interface BsrMatmul {
  x: number; y: number; bias?: number;
  /** Blocks of bn outputs x bk inputs over the weight viewed as [N, K]: block-row starts (i32), block columns (u16 or i32), blocks stored input-major ([bk][bn]). */
  rowPtr: number; cols: number; colBytes: 2 | 4; vals: number;
  bn: number; bk: number;
  M: number; K: number; N: number;
  act: Activation;
}

/**
 * Block-sparse product: for each block-row of bn outputs, each stored bn x bk block adds
 * block[:, j] * x[col + j] for its bk inputs. Blocks are stored input-major so the bn outputs are
 * consecutive lanes: with bn a multiple of 4 the accumulators are f32x4 and each input value is
 * broadcast once per block column; otherwise scalar accumulators.
 */
export function bsrMatmul(mod: binaryen.Module, name: string, p: BsrMatmul): void {
  const fb = new FnBuilder(mod, []);
  const { bn, bk } = p;
  const vec = bn % 4 === 0;
  const m = fb.local(i32), R = fb.local(i32), b = fb.local(i32), end = fb.local(i32), xcol = fb.local(i32), base = fb.local(i32), xv = fb.local(f32);
  const acc = Array.from({ length: vec ? bn / 4 : bn }, () => fb.local(vec ? v128 : f32));
  const col = () => (p.colBytes === 2 ? mod.i32.load16_u(0, 2, fb.add(fb.c(p.cols), fb.mul(fb.get(b), fb.c(2)))) : mod.i32.load(0, 4, fb.at(fb.c(p.cols), fb.get(b))));
  const outIdx = (q: number) => fb.add(fb.mul(fb.get(R), fb.c(bn)), fb.c(q));
  const biasAt = (q: number) => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), outIdx(q))) : mod.f32.const(0));
  const yAddr = (q: number) => fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(p.N)), outIdx(q)));
  const init = acc.map((a, q) => fb.set(a, vec ? (p.bias !== undefined ? mod.v128.load(0, 4, fb.at(fb.c(p.bias), outIdx(4 * q))) : mod.f32x4.splat(mod.f32.const(0))) : biasAt(q)));
  const perBlock: Expr[] = [
    fb.set(xcol, fb.at(fb.c(p.x), fb.add(fb.mul(fb.get(m), fb.c(p.K)), fb.mul(col(), fb.c(bk))))),
    fb.set(base, fb.at(fb.c(p.vals), fb.mul(fb.get(b), fb.c(bn * bk)))),
  ];
  for (let j = 0; j < bk; j++) {
    perBlock.push(fb.set(xv, mod.f32.load(j * 4, 4, fb.get(xcol))));
    acc.forEach((a, q) => perBlock.push(fb.set(a, vec
      ? madd(mod, mod.v128.load((j * bn + 4 * q) * 4, 4, fb.get(base)), mod.f32x4.splat(fb.get(xv, f32)), fb.get(a, v128))
      : mod.f32.add(fb.get(a, f32), mod.f32.mul(mod.f32.load((j * bn + q) * 4, 4, fb.get(base)), fb.get(xv, f32))))));
  }
  fb.finish(name, [fb.for(m, fb.c(0), fb.c(p.M), 1, [fb.for(R, fb.c(0), fb.c(p.N / bn), 1, [
    ...init,
    fb.set(end, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.add(fb.get(R), fb.c(1))))),
    fb.for(b, mod.i32.load(0, 4, fb.at(fb.c(p.rowPtr), fb.get(R))), fb.get(end), 1, perBlock),
    ...acc.map((a, q) => (vec ? mod.v128.store(0, 4, yAddr(4 * q), actVec(mod, p.act, fb.get(a, v128))) : mod.f32.store(0, 4, yAddr(q), actScalar(mod, p.act, fb.get(a, f32))))),
  ])])]);
}

export interface NmMatmul {
  x: number; y: number; bias?: number;
  /** Per output, per group of m inputs, n kept values (f32) and their positions in the group (unsigned, posBytes each). */
  vals: number; idx: number;
  /** Bytes per position: 1 while m <= 256, else 2 (or 4). */
  posBytes: 1 | 2 | 4;
  n: number; m: number;
  M: number; K: number; N: number;
  act: Activation;
}

/**
 * N:M structured-sparse product (groups along the inputs): each output reads exactly n of every m
 * inputs, so there are no row pointers and the positions are one byte each; the n terms of a group
 * go to n independent accumulators.
 */
export function nmMatmul(mod: binaryen.Module, name: string, p: NmMatmul): void {
  const fb = new FnBuilder(mod, []);
  const G = p.K / p.m;
  const row = fb.local(i32), o = fb.local(i32), g = fb.local(i32), xg = fb.local(i32), vp = fb.local(i32), ip = fb.local(i32);
  const acc = Array.from({ length: p.n }, () => fb.local(f32));
  const position = (t: number) => (p.posBytes === 1 ? mod.i32.load8_u(t, 1, fb.get(ip)) : p.posBytes === 2 ? mod.i32.load16_u(2 * t, 2, fb.get(ip)) : mod.i32.load(4 * t, 4, fb.get(ip)));
  const groupBody: Expr[] = acc.map((a, t) => fb.set(a, mod.f32.add(fb.get(a, f32), mod.f32.mul(
    mod.f32.load(t * 4, 4, fb.get(vp)),
    mod.f32.load(0, 4, fb.at(fb.get(xg), position(t)))))));
  groupBody.push(
    fb.set(vp, fb.add(fb.get(vp), fb.c(4 * p.n))),
    fb.set(ip, fb.add(fb.get(ip), fb.c(p.n * p.posBytes))),
    fb.set(xg, fb.add(fb.get(xg), fb.c(4 * p.m))),
  );
  const sum = acc.slice(1).reduce((e, a) => mod.f32.add(e, fb.get(a, f32)), fb.get(acc[0]!, f32));
  fb.finish(name, [fb.for(row, fb.c(0), fb.c(p.M), 1, [fb.for(o, fb.c(0), fb.c(p.N), 1, [
    ...acc.map((a, t) => fb.set(a, t === 0 && p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(o))) : mod.f32.const(0))),
    fb.set(vp, fb.at(fb.c(p.vals), fb.mul(fb.get(o), fb.c(G * p.n)))),
    fb.set(ip, fb.add(fb.c(p.idx), fb.mul(fb.get(o), fb.c(G * p.n * p.posBytes)))),
    fb.set(xg, fb.at(fb.c(p.x), fb.mul(fb.get(row), fb.c(p.K)))),
    fb.for(g, fb.c(0), fb.c(G), 1, groupBody),
    mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(row), fb.c(p.N)), fb.get(o))), actScalar(mod, p.act, sum)),
  ])])]);
}

/**
 * f16 bits to f32, four lanes: the i16 lanes sign-extended to i32 and shifted left by 13 put the
 * sign in bit 31 (and copies in 28-30, cleared), the exponent in 23-27 and the mantissa in 13-22;
 * times 2^112 that is the value, subnormals and zeros included (not infinities or NaN: the kernel
 * stores only finite f16 weights).
 */
function halfToF32(mod: binaryen.Module, widened: Expr): Expr {
  const bits = mod.v128.and(mod.i32x4.shl(widened, mod.i32.const(13)), mod.i32x4.splat(mod.i32.const(0x8fffffff | 0)));
  return mod.f32x4.mul(bits, mod.f32x4.splat(mod.f32.const(2 ** 112)));
}

/**
 * Dense matrix-vector products for a few rows (M < 4): four outputs at a time are dot products
 * vectorised over K (one x vector load feeds four weight rows), so nothing but the weight streams
 * from memory; lanes are summed at the end. With `packed` (K and N multiples of 4) the weight is
 * stored [N/4][K/4][4 rows][4] so it is read as one sequential stream; else [N, K] row-major. With
 * `half` (K % 8 == 0, N % 4 == 0) it is f16 bits, [N/4][K/8][4 rows][8]: half the bytes, widened
 * and converted in registers.
 */
export function denseGemv(mod: binaryen.Module, name: string, p: { x: number; w: number; bias?: number; y: number; M: number; K: number; N: number; act: Activation; packed: boolean; half?: boolean }): void {
  if (p.half) {
    denseGemvHalf(mod, name, p);
    return;
  }
  const fb = new FnBuilder(mod, []);
  const { M, K, N } = p;
  const K4 = K - (K % 4), N4 = N - (N % 4);
  const packed = p.packed && K % 4 === 0 && N % 4 === 0;
  const m = fb.local(i32), n = fb.local(i32), k = fb.local(i32), wp = fb.local(i32), xp = fb.local(i32), xv = fb.local(v128), s = fb.local(f32);
  const acc = [fb.local(v128), fb.local(v128), fb.local(v128), fb.local(v128)];
  const hsum = (a: number) => laneSum(mod, fb, a);
  const biasAt = (r: number) => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.add(fb.get(n), fb.c(r)))) : mod.f32.const(0));
  const xAt = () => fb.at(fb.c(p.x), fb.mul(fb.get(m), fb.c(K)));
  const yAt = (r: number) => fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(N)), fb.add(fb.get(n), fb.c(r))));
  // scalar tail over k for `rows` rows starting at n: s = hsum + sum_k w * x
  const rowTail = (r: number): Expr[] => [
    fb.set(s, r < 4 ? hsum(acc[r]!) : mod.f32.const(0)),
    fb.for(k, fb.c(K4), fb.c(K), 1, [fb.set(s, mod.f32.add(fb.get(s, f32), mod.f32.mul(
      mod.f32.load(0, 4, fb.at(fb.c(p.w), fb.add(fb.mul(fb.add(fb.get(n), fb.c(r)), fb.c(K)), fb.get(k)))),
      mod.f32.load(0, 4, fb.at(xAt(), fb.get(k))))))]),
    mod.f32.store(0, 4, yAt(r), actScalar(mod, p.act, mod.f32.add(fb.get(s, f32), biasAt(r)))),
  ];
  const block = (rows: number, from: Expr, to: number, step: number) => fb.for(n, from, fb.c(to), step, [
    ...acc.slice(0, rows).map((a) => fb.set(a, mod.f32x4.splat(mod.f32.const(0)))),
    fb.set(wp, fb.at(fb.c(p.w), fb.mul(fb.get(n), fb.c(K)))),
    fb.set(xp, xAt()),
    fb.for(k, fb.c(0), fb.c(K4), 4, [
      fb.set(xv, mod.v128.load(0, 4, fb.get(xp))),
      // packed: the four rows' vectors for these k are consecutive (one stream); else rows K apart
      ...acc.slice(0, rows).map((a, r) => fb.set(a, madd(mod, mod.v128.load(packed ? r * 16 : r * K * 4, 4, fb.get(wp)), fb.get(xv, v128), fb.get(a, v128)))),
      fb.set(wp, fb.add(fb.get(wp), fb.c(packed ? 16 * rows : 16))),
      fb.set(xp, fb.add(fb.get(xp), fb.c(16))),
    ]),
    ...Array.from({ length: rows }, (_, r) => rowTail(r)).flat(),
  ]);
  fb.finish(name, [fb.for(m, fb.c(0), fb.c(M), 1, [block(4, fb.c(0), N4, 4), block(1, fb.c(N4), N, 1)])]);
}

/** denseGemv over f16 weights [N/4][K/8][4 rows][8] (K % 8 == 0, N % 4 == 0: no tails). */
function denseGemvHalf(mod: binaryen.Module, name: string, p: { x: number; w: number; bias?: number; y: number; M: number; K: number; N: number; act: Activation }): void {
  const { M, K, N } = p;
  if (K % 8 !== 0 || N % 4 !== 0) throw new Error(`internal: f16 matrix-vector product needs K % 8 == 0 and N % 4 == 0, got K = ${K}, N = ${N}`);
  const fb = new FnBuilder(mod, []);
  const m = fb.local(i32), n = fb.local(i32), k = fb.local(i32), wp = fb.local(i32), xp = fb.local(i32), xa = fb.local(v128), xb = fb.local(v128), h = fb.local(v128);
  const acc = [fb.local(v128), fb.local(v128), fb.local(v128), fb.local(v128)];
  const at = (base: number, r: number) => fb.at(fb.c(base), fb.add(fb.mul(fb.get(m), fb.c(N)), fb.add(fb.get(n), fb.c(r))));
  const biasAt = (r: number) => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.add(fb.get(n), fb.c(r)))) : mod.f32.const(0));
  fb.finish(name, [fb.for(m, fb.c(0), fb.c(M), 1, [fb.for(n, fb.c(0), fb.c(N), 4, [
    ...acc.map((a) => fb.set(a, mod.f32x4.splat(mod.f32.const(0)))),
    fb.set(wp, fb.add(fb.c(p.w), fb.mul(fb.get(n), fb.c(2 * K)))),
    fb.set(xp, fb.at(fb.c(p.x), fb.mul(fb.get(m), fb.c(K)))),
    fb.for(k, fb.c(0), fb.c(K), 8, [
      fb.set(xa, mod.v128.load(0, 4, fb.get(xp))),
      fb.set(xb, mod.v128.load(16, 4, fb.get(xp))),
      ...acc.flatMap((a, r) => [
        fb.set(h, mod.v128.load(r * 16, 2, fb.get(wp))),
        fb.set(a, madd(mod, halfToF32(mod, mod.i32x4.extend_low_i16x8_s(fb.get(h, v128))), fb.get(xa, v128), fb.get(a, v128))),
        fb.set(a, madd(mod, halfToF32(mod, mod.i32x4.extend_high_i16x8_s(fb.get(h, v128))), fb.get(xb, v128), fb.get(a, v128))),
      ]),
      fb.set(wp, fb.add(fb.get(wp), fb.c(64))),
      fb.set(xp, fb.add(fb.get(xp), fb.c(32))),
    ]),
    ...acc.map((a, r) => mod.f32.store(0, 4, at(p.y, r), actScalar(mod, p.act, mod.f32.add(laneSum(mod, fb, a), biasAt(r))))),
  ])])]);
}

/**
 * Byte-swizzle masks for a pair of 2:4 groups: 16 bytes of values (group g's two kept values, then
 * group g+1's) are expanded to group g's 4 lanes by the first mask and group g+1's by the second
 * (zeros elsewhere). Pattern index = p(g) * 6 + p(g+1), 32 bytes per pattern.
 */
export function nm24Masks(): Uint8Array {
  const masks = new Uint8Array(32 * 36).fill(0x80); // index >= 16: zero byte
  for (let p0 = 0; p0 < 6; p0++) for (let p1 = 0; p1 < 6; p1++) {
    const base = (p0 * 6 + p1) * 32;
    [NM24_PAIRS[p0]!, NM24_PAIRS[p1]!].forEach(([a, b], half) => {
      for (let j = 0; j < 4; j++) {
        masks[base + half * 16 + a * 4 + j] = half * 8 + j;
        masks[base + half * 16 + b * 4 + j] = half * 8 + 4 + j;
      }
    });
  }
  return masks;
}

/**
 * Byte-swizzle masks that build the 2:4 x table: for a pair of groups, the first mask takes group g's two kept
 * x values (from the vector of its 4 inputs) to lanes 0 and 1, the second group g+1's to lanes 2 and
 * 3, zeros elsewhere, so their OR lines up with the pair's 4 stored values. Pattern index = p(g) * 6 +
 * p(g+1), 32 bytes per pattern.
 */
export function nm24XMasks(): Uint8Array {
  const masks = new Uint8Array(32 * 36).fill(0x80);
  for (let p0 = 0; p0 < 6; p0++) for (let p1 = 0; p1 < 6; p1++) {
    const base = (p0 * 6 + p1) * 32;
    [NM24_PAIRS[p0]!, NM24_PAIRS[p1]!].forEach(([a, b], half) => {
      for (let j = 0; j < 4; j++) {
        masks[base + half * 16 + half * 8 + j] = a * 4 + j;
        masks[base + half * 16 + half * 8 + 4 + j] = b * 4 + j;
      }
    });
  }
  return masks;
}

export interface Nm24Gemv {
  x: number; y: number; bias?: number;
  /** Kept values (4 f32 per pair of groups) and patterns (one byte, or the u16 offset into the x table), chunk by chunk (below). */
  vals: number; pats: number;
  /** The swizzle masks: nm24Masks for 'values', nm24XMasks for the x table. */
  masks: number;
  M: number; K: number; N: number;
  act: Activation;
  /** Blocks of four outputs interleaved per pair (N a multiple of 4), else each row's pairs in a run. */
  packed: boolean;
  /** The x table's scratch address ('x table'); absent: the values are expanded. */
  table?: number;
  /** Pairs of groups per chunk (divides K / 8): every row runs over one chunk of the inputs before the next, whose values and patterns follow it. */
  chunk: number;
}

/**
 * 2:4 matrix-vector products (M < 4, K a multiple of 8): per output, each pair of groups of 4 inputs
 * stores its 4 kept values (16 bytes) and its pattern. Half the weight bytes of the dense kernel plus
 * one or two bytes per 8 inputs. Two ways to line values up with inputs:
 * - expanded values: one pattern byte; two byte swizzles expand the values to the groups' 8 lanes
 *   (zeros elsewhere), multiplied with the two x vectors that four outputs share;
 * - the x table: per pair of groups, the 36 vectors of the x values its patterns keep (in scratch,
 *   built with the x masks); a row's pattern is the u16 offset of its vector, so a pair costs a
 *   weight load, an offset load, a vector load and one multiply-add.
 * With chunks the inputs are split so a chunk's x table stays in the first-level cache: each chunk
 * builds its table, then every row adds its part to y (bias first, activation after the last).
 */
export function nm24Gemv(mod: binaryen.Module, name: string, p: Nm24Gemv): void {
  const fb = new FnBuilder(mod, []);
  const { M, K, N } = p, table = p.table, C = p.chunk;
  const G2 = K / 8, N4 = N - (N % 4), chunks = G2 / C, whole = chunks === 1;
  const PAIR = 36 * 16; // bytes of a pair's x vectors
  const packed = p.packed && N % 4 === 0;
  const patBytes = table !== undefined ? 2 : 1;
  const m = fb.local(i32), n = fb.local(i32), g = fb.local(i32), vp = fb.local(i32), pp = fb.local(i32), xp = fb.local(i32), xa = fb.local(v128), xb = fb.local(v128), w = fb.local(v128), mo = fb.local(i32), t = fb.local(i32);
  const ci = fb.local(i32);
  const acc = [fb.local(v128), fb.local(v128), fb.local(v128), fb.local(v128)];
  const hsum = (a: number) => laneSum(mod, fb, a);
  const yAt = (r: Expr) => fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(N)), r));
  const biasAt = (r: Expr) => (p.bias !== undefined ? mod.f32.load(0, 4, fb.at(fb.c(p.bias), r)) : mod.f32.const(0));
  // the chunk index (without chunks, no loop: 0)
  const chunkAt = (): Expr => (whole ? fb.c(0) : fb.get(ci));
  // this chunk's x: row m, pair ci * C
  const xChunk = () => fb.add(fb.at(fb.c(p.x), fb.mul(fb.get(m), fb.c(K))), fb.mul(chunkAt(), fb.c(C * 32)));
  const xLoads = (): Expr[] => [fb.set(xa, mod.v128.load(0, 4, fb.get(xp))), fb.set(xb, mod.v128.load(16, 4, fb.get(xp)))];
  // the chunk's x table: per pair, per pattern, OR of the two x masks' swizzles (xp walks x, mo the masks, t the table)
  const buildTable = (at: number): Expr[] => [
    fb.set(xp, xChunk()),
    fb.set(t, fb.c(at)),
    fb.for(g, fb.c(0), fb.c(C), 1, [
      ...xLoads(),
      fb.for(mo, fb.c(p.masks), fb.c(p.masks + 36 * 32), 32, [
        mod.v128.store(0, 16, fb.get(t), mod.v128.or(mod.i8x16.swizzle(fb.get(xa, v128), mod.v128.load(0, 16, fb.get(mo))), mod.i8x16.swizzle(fb.get(xb, v128), mod.v128.load(16, 16, fb.get(mo))))),
        fb.set(t, fb.add(fb.get(t), fb.c(16))),
      ]),
      fb.set(xp, fb.add(fb.get(xp), fb.c(32))),
    ]),
  ];
  const term = (a: number, r: number): Expr[] => {
    const vAt = packed ? r * 16 : r * C * 16;
    if (table !== undefined) {
      const pAt = packed ? 2 * r : 2 * r * C;
      return [fb.set(a, madd(mod, mod.v128.load(vAt, 4, fb.get(vp)), mod.v128.load(0, 16, fb.add(fb.get(xp), mod.i32.load16_u(pAt, 2, fb.get(pp)))), fb.get(a, v128)))];
    }
    return [
      fb.set(w, mod.v128.load(vAt, 4, fb.get(vp))),
      fb.set(mo, fb.add(fb.c(p.masks), mod.i32.shl(mod.i32.load8_u(packed ? r : r * C, 1, fb.get(pp)), fb.c(5)))),
      fb.set(a, mod.f32x4.add(fb.get(a, v128), madd(mod, fb.get(xb, v128), mod.i8x16.swizzle(fb.get(w, v128), mod.v128.load(16, 16, fb.get(mo))), mod.f32x4.mul(fb.get(xa, v128), mod.i8x16.swizzle(fb.get(w, v128), mod.v128.load(0, 16, fb.get(mo))))))),
    ];
  };
  // one output: the whole sum with bias and activation, or this chunk's part added to y
  const store = (r: number): Expr => {
    const at = () => fb.add(fb.get(n), fb.c(r));
    return mod.f32.store(0, 4, yAt(at()), whole ? actScalar(mod, p.act, mod.f32.add(hsum(acc[r]!), biasAt(at()))) : mod.f32.add(hsum(acc[r]!), mod.f32.load(0, 4, yAt(at()))));
  };
  const block = (rows: number, from: Expr, to: number) => fb.for(n, from, fb.c(to), rows, [
    ...acc.slice(0, rows).map((a) => fb.set(a, mod.f32x4.splat(mod.f32.const(0)))),
    fb.set(vp, fb.add(fb.c(p.vals), fb.mul(fb.add(fb.mul(chunkAt(), fb.c(N)), fb.get(n)), fb.c(C * 16)))),
    fb.set(pp, fb.add(fb.c(p.pats), fb.mul(fb.add(fb.mul(chunkAt(), fb.c(N)), fb.get(n)), fb.c(C * patBytes)))),
    // xp: the chunk's x, or the x table
    fb.set(xp, table !== undefined ? fb.c(table) : xChunk()),
    fb.for(g, fb.c(0), fb.c(C), 1, [
      ...(table !== undefined ? [] : xLoads()),
      ...acc.slice(0, rows).flatMap((a, r) => term(a, r)),
      fb.set(vp, fb.add(fb.get(vp), fb.c(packed ? 16 * rows : 16))),
      fb.set(pp, fb.add(fb.get(pp), fb.c((packed ? rows : 1) * patBytes))),
      fb.set(xp, fb.add(fb.get(xp), fb.c(table !== undefined ? PAIR : 32))),
    ]),
    ...Array.from({ length: rows }, (_, r) => store(r)),
  ]);
  const chunkLoop = (body: Expr[]): Expr[] => (whole ? body : [fb.for(ci, fb.c(0), fb.c(chunks), 1, body)]);
  const overRow = (value: (at: Expr) => Expr): Expr => fb.for(n, fb.c(0), fb.c(N), 1, [mod.f32.store(0, 4, yAt(fb.get(n)), value(fb.get(n)))]);
  fb.finish(name, [fb.for(m, fb.c(0), fb.c(M), 1, [
    ...(whole ? [] : [overRow((at) => biasAt(at))]),
    ...chunkLoop([...(table !== undefined ? buildTable(table) : []), block(4, fb.c(0), N4), block(1, fb.c(N4), N)]),
    ...(whole || p.act.kind === 'none' ? [] : [overRow((at) => actScalar(mod, p.act, mod.f32.load(0, 4, yAt(at))))]),
  ])]);
}

export interface SellGemv {
  x: number; y: number; bias?: number;
  /** Sliced ELL over the weight viewed as [N, K]: rows sorted by length, 4 rows (lanes) per slice, each slice padded to its longest row. */
  slices: number;
  /** i32 per slice: its length (steps); i32 per lane: the output row (-1 for padding lanes). */
  lens: number; rows: number;
  /** Per step of a slice, in one stream: 4 values (f32, lane = row), then their 4 columns as byte offsets into x (u16 or i32), or (colBytes 1) as u8 distances from each lane's previous column. */
  steps: number; colBytes: 1 | 2 | 4;
  M: number; K: number; N: number;
  act: Activation;
}

/**
 * Sparse matrix-vector products (batch < 4) vectorised over four output rows: each step of a slice
 * multiplies four values (one per row) with the four x values their column indices pick, so the
 * accumulator lanes are the four outputs and no horizontal sums are needed. Rows are sorted by
 * length before slicing so little padding is stored.
 */
export function sellGemv(mod: binaryen.Module, name: string, p: SellGemv): void {
  const fb = new FnBuilder(mod, []);
  const m = fb.local(i32), s = fb.local(i32), t = fb.local(i32), len = fb.local(i32), vp = fb.local(i32), xb = fb.local(i32), acc = fb.local(v128), acc2 = fb.local(v128), row = fb.local(i32), v = fb.local(f32), offs = fb.local(v128);
  // Column indices are stored as byte offsets (4 * column) so no shift is needed per lane, or as u8
  // distances added to the lanes' running byte offsets (`offs`, restarted at each slice).
  // One stream: each step is 16 bytes of values then its 4 columns.
  const deltas = p.colBytes === 1;
  const stepBytes = 16 + 4 * p.colBytes;
  const col = (r: number, step: number) => (deltas ? mod.i32x4.extract_lane(fb.get(offs, v128), r) : p.colBytes === 2 ? mod.i32.load16_u(step * stepBytes + 16 + 2 * r, 2, fb.get(vp)) : mod.i32.load(step * stepBytes + 16 + 4 * r, 4, fb.get(vp)));
  const xv = (step: number): Expr => {
    let e: Expr = mod.f32x4.splat(mod.f32.load(0, 4, fb.add(fb.get(xb), col(0, step))));
    for (let r = 1; r < 4; r++) e = mod.f32x4.replace_lane(e, r, mod.f32.load(0, 4, fb.add(fb.get(xb), col(r, step))));
    return e;
  };
  // offs += 4 * the step's four u8 distances (widened to i32 lanes)
  const moveOffsets = (step: number): Expr[] => (deltas
    ? [fb.set(offs, mod.i32x4.add(fb.get(offs, v128), mod.i32x4.shl(mod.i32x4.extend_low_i16x8_u(mod.i16x8.extend_low_i8x16_u(mod.v128.load32_zero(step * stepBytes + 16, 1, fb.get(vp)))), fb.c(2))))]
    : []);
  const term = (a: number, step: number): Expr => mod.block(null, [...moveOffsets(step), fb.set(a, madd(mod, mod.v128.load(step * stepBytes, 4, fb.get(vp)), xv(step), fb.get(a, v128)))]);
  const advance = (steps: number) => [fb.set(vp, fb.add(fb.get(vp), fb.c(stepBytes * steps)))];
  const store = (r: number): Expr => mod.block(null, [
    fb.set(row, mod.i32.load(r * 4, 4, fb.at(fb.c(p.rows), fb.mul(fb.get(s), fb.c(4))))),
    mod.if(mod.i32.ge_s(fb.get(row), fb.c(0)), mod.block(null, [
      fb.set(v, mod.f32x4.extract_lane(fb.get(acc, v128), r)),
      ...(p.bias !== undefined ? [fb.set(v, mod.f32.add(fb.get(v, f32), mod.f32.load(0, 4, fb.at(fb.c(p.bias), fb.get(row)))))] : []),
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.mul(fb.get(m), fb.c(p.N)), fb.get(row))), actScalar(mod, p.act, fb.get(v, f32))),
    ])),
  ]);
  fb.finish(name, [fb.for(m, fb.c(0), fb.c(p.M), 1, [
    fb.set(xb, fb.at(fb.c(p.x), fb.mul(fb.get(m), fb.c(p.K)))),
    fb.set(vp, fb.c(p.steps)),
    fb.for(s, fb.c(0), fb.c(p.slices), 1, [
      fb.set(acc, mod.f32x4.splat(mod.f32.const(0))),
      fb.set(acc2, mod.f32x4.splat(mod.f32.const(0))),
      ...(deltas ? [fb.set(offs, mod.i32x4.splat(fb.c(0)))] : []),
      fb.set(len, mod.i32.load(0, 4, fb.at(fb.c(p.lens), fb.get(s)))),
      // two steps at a time into two accumulators, then the odd step
      fb.for(t, fb.c(0), mod.i32.sub(fb.get(len), fb.c(1)), 2, [term(acc, 0), term(acc2, 1), ...advance(2)]),
      mod.if(mod.i32.and(fb.get(len), fb.c(1)), mod.block(null, [term(acc, 0), ...advance(1)])),
      fb.set(acc, mod.f32x4.add(fb.get(acc, v128), fb.get(acc2, v128))),
      store(0), store(1), store(2), store(3),
    ]),
  ])]);
}
