// Matrix products and convolutions. A constant weight is laid out at compile time for its format:
// dense [K, N], CSR, BSR or N:M over the [N, K] view (outputs as rows). Run-time operands (attention
// products, weights fed as inputs) go through the dense kernel batch by batch; convolutions that the
// specialised 2-d kernels do not cover use an im2col table and the weight-times-columns kernel.
import type { Op, Value } from '../../../src/ir/core.js';
import { OpContext } from '../../../src/ir/opdef.js';
import { getOpDef } from '../../../src/dialects/index.js';
import { broadcastIndex, broadcastShapes, sizeOf as prod, toF64 } from '../../../src/tensor-math/numeric.js';
import { convGeometry, convTransposeGeometry } from '../../../src/tensor-math/window.js';
import { transposeMap } from '../../../src/tensor-math/numeric.js';
import { constData } from '../../../src/pass/helpers.js';
import type { Encoding } from '../../../src/ir/encodings.js';
import { none, type Expr } from '../emit.js';
import type { Activation } from '../kernels/activation.js';
import { batchedScratch, bsrMatmul, csrMatmulBatched, sellGemv, denseGemv, denseMatmul, nm24Gemv, nm24Masks, nmMatmul } from '../kernels/matmul.js';
import { convTransposeScatter, depthwiseConv, im2col, weightTimesCols } from '../kernels/conv.js';
import { mapKernel, type Num } from '../kernels/map.js';
import { typedConv, typedConvTranspose, typedMatmul, type TypedRef } from '../kernels/typed.js';
import { ACTIVATIONS } from './activations.js';
import { tableCopy } from '../kernels/movement.js';
import { describe, shapeOf, sizeOf, wasmType, WasmCompileError, type LowerContext, type Lowering } from './context.js';


/** The fused epilogue: relu and clip go into the kernels; the others run as a map after them. */
function epilogue(op: Op, c: OpContext): { act: Activation; post?: (n: Num, v: () => Expr) => Expr } {
  const a = c.def.attrs['activation'] ? c.string('activation') : 'none';
  const p = a === 'none' ? [] : c.floats('activation_params');
  if (a === 'none') return { act: { kind: 'none' } };
  if (a === 'relu') return { act: { kind: 'relu' } };
  if (a === 'clip') return { act: { kind: 'clip', lo: p[0]!, hi: p[1]! } };
  const f = ACTIVATIONS[a];
  if (!f) throw new WasmCompileError(`wasm target: ${describe(op)}: fused activation '${a}' is not supported`);
  return { act: { kind: 'none' }, post: (n, v) => f(n, v, p) };
}

/** The epilogue as a map expression (for products whose result is finished after the kernel). */
const epilogueExpr = (ep: ReturnType<typeof epilogue>) => (n: Num, v: () => Expr): Expr =>
  (ep.post ? ep.post(n, v) : ep.act.kind === 'clip' ? ACTIVATIONS['clip']!(n, v, [ep.act.lo, ep.act.hi]) : ACTIVATIONS[ep.act.kind]!(n, v, []));

/** A map over y in place: y = f(y[, extra operand broadcast to y]). */
function postMap(op: Op, lc: LowerContext, y: Value, f: (n: Num, v: () => Expr, extra: (() => Expr) | undefined) => Expr, extra?: Value): void {
  const out = shapeOf(y);
  const index = extra === undefined ? undefined : lc.inputIndex(extra, out);
  lc.step({
    op, kernel: 'epilogue', format: 'dense',
    emit: (mod, name, addr) => mapKernel(mod, name, {
      inputs: [{ addr: addr(y), et: 'f32', index: 'same' }, ...(extra ? [{ addr: addr(extra), et: 'f32' as const, index: index! }] : [])],
      out: { addr: addr(y), et: 'f32' }, size: sizeOf(y), simd: false,
      expr: (n, x) => f(n, () => x(0), extra ? () => x(1) : undefined),
    }),
  });
}

const lowerMatmul: Lowering = (op, lc) => {
  const c = new OpContext(op, getOpDef(op.name)!);
  const gemm = op.name.endsWith('.gemm');
  const x = op.operand(0), wv = op.operand(1), y = op.result(0);
  const w = constData(wv);
  const transA = gemm && c.int('transA') === 1, transB = gemm && c.int('transB') === 1;
  const alpha = gemm ? c.float('alpha') : 1, beta = gemm ? c.float('beta') : 1;
  const ep = epilogue(op, c);
  const cOperand = op.operands.length > 2 ? op.operand(2) : undefined;
  // The f32 kernels read raw f32 bytes: any other element type, and empty products (K = 0: the
  // result is beta * C alone), take the typed path, which converts each element as the interpreter does.
  if (!allF32(op) || sizeOf(x) === 0 || sizeOf(wv) === 0 || sizeOf(y) === 0) {
    lowerTypedMatmul(op, lc, { transA, transB, alpha, beta, ...(cOperand ? { cOperand } : {}), ep });
    return;
  }
  if (w && w.shape.length === 2 && !transA && x.type.rank >= 2) {
    const xs = shapeOf(x);
    const K = xs[xs.length - 1]!, M = sizeOf(x) / K;
    const N = transB ? w.shape[0]! : w.shape[1]!;
    const wd = toF64(w);
    const at = (k: number, n: number) => alpha * (transB ? wd[n * K + k]! : wd[k * N + n]!);
    // A constant bias that is one row (or a scalar) goes into the kernel; anything else is added after.
    const cConst = cOperand ? constData(cOperand) : undefined;
    const rowBias = cConst && (cConst.size === N || cConst.size === 1) && cConst.shape.slice(0, -1).every((d) => d === 1);
    const postC = cOperand && !rowBias ? cOperand : undefined;
    const post = postC !== undefined || ep.post !== undefined;
    const act: Activation = post ? { kind: 'none' } : ep.act;
    let bias: number | undefined;
    if (rowBias) {
      const bv = toF64(cConst!);
      bias = lc.putF32(Array.from({ length: N }, (_, n) => beta * bv[cConst!.size === 1 ? 0 : n]!));
    }
    const enc = op.name.startsWith('sparse.') ? wv.type.encoding : undefined;
    const first = lc.steps.length;
    lowerConstWeight(op, lc, { x, y, M, K, N, at, act, ...(bias !== undefined ? { bias } : {}) }, enc, transB);
    for (const s of lc.steps.slice(first)) s.packed = [wv, ...(rowBias ? [cOperand!] : [])];
    if (postC) postMap(op, lc, y, (n, v, e) => n.add(v(), n.mul(n.c(beta), e!())), postC);
    if (post) postMap(op, lc, y, epilogueExpr(ep));
    return;
  }
  lowerRuntimeMatmul(op, lc, { transA, transB, alpha, beta, ...(cOperand ? { cOperand } : {}), ep });
};

/** Whether every operand and result of an op is f32 (what the f32 kernels read and write). */
const allF32 = (op: Op): boolean => [...op.operands, ...op.results].every((v) => v.type.elementType === 'f32');

const typedRef = (op: Op, v: Value, addr: (v: Value) => number): TypedRef => ({ addr: addr(v), et: wasmType(v, op) });

/** The format a typed kernel reports: dense, with the IR's encoding when the weight had one (read densely). */
const typedFormat = (op: Op, w: Value) => (op.name.startsWith('sparse.') && w.type.encoding ? `dense (stored #${w.type.encoding.kind}, read densely)` : 'dense');

/**
 * MatMul / Gemm in any element type (and empty products): one typed kernel over the operands as
 * stored (a constant weight is read from its raw bytes), transposes as strides, batch broadcasting
 * through a table, beta * C or the bias as the starting value, the epilogue in f64.
 */
function lowerTypedMatmul(op: Op, lc: LowerContext, g: { transA: boolean; transB: boolean; alpha: number; beta: number; cOperand?: Value; ep: ReturnType<typeof epilogue> }): void {
  const a = op.operand(0), bv = op.operand(1), y = op.result(0);
  let as = shapeOf(a), bs = shapeOf(bv);
  if (as.length === 1) as = [1, as[0]!];
  if (bs.length === 1) bs = [bs[0]!, 1];
  const ar = as[as.length - 2]!, ac = as[as.length - 1]!, br = bs[bs.length - 2]!, bc = bs[bs.length - 1]!;
  const M = g.transA ? ac : ar, K = g.transA ? ar : ac, N = g.transB ? br : bc;
  if ((g.transB ? bc : br) !== K) throw new WasmCompileError(`wasm target: ${describe(op)}: inner dimensions ${K} and ${g.transB ? bc : br} differ`);
  const batchA = as.slice(0, -2), batchB = bs.slice(0, -2);
  const batch = broadcastShapes([batchA, batchB]);
  const nb = prod(batch);
  let table: number | undefined;
  if (nb > 1) {
    const ia = broadcastIndex(batchA, batch), ib = broadcastIndex(batchB, batch);
    const pairs = new Int32Array(2 * nb);
    for (let t = 0; t < nb; t++) { pairs[2 * t] = ia[t]!; pairs[2 * t + 1] = ib[t]!; }
    table = lc.putI32(pairs);
  }
  // Gemm: beta * C broadcast to [M, N] (left out when beta is 0, as the interpreter does); MatMul: its bias per column.
  const gemm = op.name.endsWith('.gemm');
  const c = g.cOperand && (!gemm || g.beta !== 0) ? g.cOperand : undefined;
  let si = 0, sj = 0;
  if (c) {
    const cs = shapeOf(c);
    const [r, cc] = cs.length >= 2 ? cs.slice(-2) as [number, number] : [1, cs[0] ?? 1];
    si = r === 1 ? 0 : cc;
    sj = cc === 1 ? 0 : 1;
  }
  const act = epilogueExpr(g.ep);
  lc.step({
    op, kernel: 'matmul_typed', format: typedFormat(op, bv),
    schedule: { compute: 'f64', loops: 'batch, row, column, k', ...(nb > 1 ? { batches: nb } : {}) },
    emit: (mod, name, addr) => typedMatmul(mod, name, {
      a: typedRef(op, a, addr), b: typedRef(op, bv, addr), y: typedRef(op, y, addr),
      ...(c ? { init: { ...typedRef(op, c, addr), si, sj, scale: gemm ? g.beta : 1 } } : {}),
      M, K, N, alpha: gemm ? g.alpha : 1,
      aRow: g.transA ? 1 : ac, aCol: g.transA ? ac : 1, bRow: g.transB ? 1 : bc, bCol: g.transB ? bc : 1,
      batches: nb, ...(table !== undefined ? { batchTable: table } : {}), act,
    }),
  });
}

interface ConstWeight { x: Value; y: Value; M: number; K: number; N: number; at: (k: number, n: number) => number; act: Activation; bias?: number }

function lowerConstWeight(op: Op, lc: LowerContext, p: ConstWeight, enc: Encoding | undefined, transB: boolean): void {
  const { x, y, M, K, N, at, act, bias } = p;
  const b = bias !== undefined ? { bias } : {};
  if (enc?.kind === 'bsr') {
    // The block is given over the stored weight: [N, K] with transB, else [K, N].
    const [bn, bk] = transB ? enc.block : [enc.block[1], enc.block[0]];
    if (N % bn === 0 && K % bk === 0) {
      const rowPtr = [0], cols: number[] = [], vals: number[] = [];
      for (let R = 0; R < N / bn; R++) {
        for (let C = 0; C < K / bk; C++) {
          let nz = false;
          for (let i = 0; i < bn && !nz; i++) for (let j = 0; j < bk; j++) if (at(C * bk + j, R * bn + i) !== 0) { nz = true; break; }
          if (!nz) continue;
          cols.push(C);
          for (let j = 0; j < bk; j++) for (let i = 0; i < bn; i++) vals.push(at(C * bk + j, R * bn + i));
        }
        rowPtr.push(cols.length);
      }
      const colBytes: 2 | 4 = K / bk <= 65536 ? 2 : 4;
      const rp = lc.putI32(rowPtr), cl = lc.put(colBytes === 2 ? new Uint8Array(Uint16Array.from(cols).buffer) : new Uint8Array(Int32Array.from(cols).buffer)), vl = lc.putF32(vals);
      lc.step({
        op, kernel: 'bsr_matmul', format: `bsr ${bn}x${bk} (${cols.length} blocks, u${colBytes * 8} indices)`, schedule: { block: `${bn}x${bk}`, lanes: bn % 4 === 0 ? 'f32x4 over outputs' : 'scalar' },
        emit: (mod, name, addr) => bsrMatmul(mod, name, { x: addr(x), y: addr(y), ...b, rowPtr: rp, cols: cl, colBytes, vals: vl, bn, bk, M, K, N, act }),
      });
      return;
    }
  }
  if (enc?.kind === 'nm' && enc.axis === (transB ? 1 : 0) && K % enc.m === 0) {
    const G = K / enc.m;
    // Positions within a group (0..m-1): one byte while m <= 256, else two or four (a Uint8Array would wrap them).
    const posBytes: 1 | 2 | 4 = enc.m <= 256 ? 1 : enc.m <= 65536 ? 2 : 4;
    const vals = new Float32Array(N * G * enc.n), idx = posBytes === 1 ? new Uint8Array(N * G * enc.n) : posBytes === 2 ? new Uint16Array(N * G * enc.n) : new Uint32Array(N * G * enc.n);
    let ok = true;
    for (let n = 0; n < N && ok; n++) for (let g = 0; g < G && ok; g++) {
      let t = 0;
      for (let j = 0; j < enc.m; j++) {
        const v = at(g * enc.m + j, n);
        if (v === 0) continue;
        if (t === enc.n) { ok = false; break; }
        vals[(n * G + g) * enc.n + t] = v;
        idx[(n * G + g) * enc.n + t] = j;
        t++;
      }
    }
    if (ok && enc.n === 2 && enc.m === 4 && M < 4 && K % 8 === 0) {
      // Every group gets exactly two slots in position order (a missing value is a stored 0), then
      // one pattern byte per pair of groups.
      const { masks, patternOf } = nm24Masks();
      const pats = new Uint8Array(N * G / 2);
      for (let i = 0; i < N * G; i++) {
        const got = [0, 1].filter((t) => vals[2 * i + t] !== 0).map((t) => [idx[2 * i + t]!, vals[2 * i + t]!] as const);
        while (got.length < 2) {
          const free = [0, 1, 2, 3].find((j) => !got.some(([q]) => q === j))!;
          got.push([free, 0]);
        }
        got.sort((u, v) => u[0] - v[0]);
        vals[2 * i] = got[0]![1];
        vals[2 * i + 1] = got[1]![1];
        const pat = patternOf(got[0]![0], got[1]![0]);
        if (i % 2 === 0) pats[i >> 1] = pat * 6;
        else pats[i >> 1]! += pat;
      }
      const packed = N % 4 === 0;
      let vOut = vals, pOut = pats;
      if (packed) {
        // [N/4][G/2][4 rows][4 values] and [N/4][G/2][4 rows]: one stream per block of outputs
        vOut = new Float32Array(vals.length);
        pOut = new Uint8Array(pats.length);
        const G2 = G / 2;
        for (let nb = 0; nb < N; nb += 4) for (let q = 0; q < G2; q++) for (let r = 0; r < 4; r++) {
          const src = (nb + r) * G2 + q, dst = (nb * G2 + q * 4 + r);
          vOut.set(vals.subarray(4 * src, 4 * src + 4), 4 * dst);
          pOut[dst] = pats[src]!;
        }
      }
      const vl = lc.put(new Uint8Array(vOut.buffer)), pt = lc.put(pOut), mk = lc.put(masks);
      lc.step({
        op, kernel: 'nm24_gemv', format: 'nm 2:4 (pattern bytes)', schedule: { outputsPerBlock: 4, lanes: 'f32x4 over a group' },
        emit: (mod, name, addr) => nm24Gemv(mod, name, { x: addr(x), y: addr(y), ...b, vals: vl, pats: pt, masks: mk, M, K, N, act, packed }),
      });
      return;
    }
    if (ok) {
      const vl = lc.put(new Uint8Array(vals.buffer)), ix = lc.put(new Uint8Array(idx.buffer));
      lc.step({
        op, kernel: 'nm_matmul', format: `nm ${enc.n}:${enc.m} (u${posBytes * 8} positions)`, schedule: { accumulators: enc.n },
        emit: (mod, name, addr) => nmMatmul(mod, name, { x: addr(x), y: addr(y), ...b, vals: vl, idx: ix, posBytes, n: enc.n, m: enc.m, M, K, N, act }),
      });
      return;
    }
  }
  if (enc) {
    // CSR over [N, K]: outputs as rows, so each output is a sparse dot product. (#csr, and #bsr/#nm
    // whose blocks or groups the specialised kernels cannot use.)
    const rowPtr: number[] = [0], cols: number[] = [], vals: number[] = [];
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) if (at(k, n) !== 0) { cols.push(k); vals.push(at(k, n)); }
      rowPtr.push(cols.length);
    }
    const colBytes: 2 | 4 = K <= 65536 ? 2 : 4;
    const csrData = () => ({ rowPtr: lc.putI32(rowPtr), cols: lc.put(colBytes === 2 ? new Uint8Array(Uint16Array.from(cols).buffer) : new Uint8Array(Int32Array.from(cols).buffer)), vals: lc.putF32(vals) });
    const fmt = `csr (${cols.length} nonzeros, u${colBytes * 8} indices${enc.kind !== 'csr' ? `, stored #${enc.kind}` : ''})`;
    if (M >= 4) {
      const tile = Math.min(32, Math.ceil(M / 4) * 4);
      const d = csrData();
      const csrArgs = (addr: (v: Value) => number) => ({ x: addr(x), y: addr(y), ...b, rowPtr: d.rowPtr, cols: d.cols, vals: d.vals, colBytes, M, K, N, act });
      lc.step({ op, kernel: 'csr_matmul_batched', format: fmt, schedule: { lanes: 'f32x4 over the batch', tile }, scratch: batchedScratch(M, K, N), emit: (mod, name, addr, scratch) => csrMatmulBatched(mod, name, { ...csrArgs(addr), scratch, tile }) });
    } else {
      // A few rows: sliced ELL, four rows per slice (lanes), rows sorted by length.
      const order = Array.from({ length: N }, (_, n) => n).sort((a, c) => (rowPtr[c + 1]! - rowPtr[c]!) - (rowPtr[a + 1]! - rowPtr[a]!));
      const slices = Math.ceil(N / 4);
      const lens: number[] = [], rows: number[] = [], sv: number[] = [], sc: number[] = [];
      for (let si = 0; si < slices; si++) {
        const lanes = [0, 1, 2, 3].map((r) => order[si * 4 + r]);
        const len = Math.max(...lanes.map((n) => (n === undefined ? 0 : rowPtr[n + 1]! - rowPtr[n]!)));
        lens.push(len);
        rows.push(...lanes.map((n) => n ?? -1));
        for (let t = 0; t < len; t++) {
          for (const n of lanes) {
            const j = n === undefined ? -1 : rowPtr[n]! + t;
            const real = n !== undefined && j < rowPtr[n + 1]!;
            sv.push(real ? vals[j]! : 0);
            sc.push(real ? cols[j]! : 0);
          }
        }
      }
      const stored = sv.length;
      // Column indices as byte offsets: u16 while 4 * K fits.
      const offBytes: 2 | 4 = 4 * K <= 65536 ? 2 : 4;
      const stepBytes = 16 + 4 * offBytes, nSteps = sv.length / 4;
      const stream = new DataView(new ArrayBuffer(nSteps * stepBytes));
      for (let q = 0; q < nSteps; q++) for (let r = 0; r < 4; r++) {
        stream.setFloat32(q * stepBytes + 4 * r, sv[4 * q + r]!, true);
        if (offBytes === 2) stream.setUint16(q * stepBytes + 16 + 2 * r, 4 * sc[4 * q + r]!, true);
        else stream.setInt32(q * stepBytes + 16 + 4 * r, 4 * sc[4 * q + r]!, true);
      }
      const sl = lc.putI32(lens), sr = lc.putI32(rows), st = lc.put(new Uint8Array(stream.buffer));
      const sfmt = `csr as sliced ELL (4-row slices by length, ${cols.length} nonzeros, ${(100 * (stored - cols.length) / Math.max(1, stored)).toFixed(1)}% padding, u${offBytes * 8} byte offsets${enc.kind !== 'csr' ? `, stored #${enc.kind}` : ''})`;
      lc.step({ op, kernel: 'sell_gemv', format: sfmt, schedule: { sliceRows: 4, lanes: 'f32x4 over 4 rows' }, emit: (mod, name, addr) => sellGemv(mod, name, { x: addr(x), y: addr(y), ...b, slices, lens: sl, rows: sr, steps: st, colBytes: offBytes, M, K, N, act }) });
    }
    return;
  }
  if (M < 4) {
    // A few rows: dot products over K with the weight stored [N, K].
    const packed = K % 4 === 0 && N % 4 === 0;
    const w = new Float32Array(K * N);
    if (packed) {
      // [N/4][K/4][4 rows][4 k]: one sequential stream for each block of four outputs
      let o = 0;
      for (let nb = 0; nb < N; nb += 4) for (let kb = 0; kb < K; kb += 4) for (let r = 0; r < 4; r++) for (let j = 0; j < 4; j++) w[o++] = at(kb + j, nb + r);
    } else {
      for (let i = 0; i < K * N; i++) w[i] = at(i % K, Math.floor(i / K));
    }
    const wNK = lc.put(new Uint8Array(w.buffer));
    lc.step({ op, kernel: 'dense_gemv', format: 'dense', schedule: { outputsPerBlock: 4, lanes: 'f32x4 over K', layout: packed ? 'packed 4x4' : 'rows' }, emit: (mod, name, addr) => denseGemv(mod, name, { x: addr(x), w: wNK, y: addr(y), ...b, M, K, N, act, packed }) });
    return;
  }
  const wKN = new Float32Array(K * N);
  for (let k = 0, i = 0; k < K; k++) for (let n = 0; n < N; n++) wKN[i++] = at(k, n);
  const wt = lc.put(new Uint8Array(wKN.buffer));
  const rowBlock = M >= 4 ? 4 : M;
  lc.step({
    op, kernel: 'dense_matmul', format: 'dense', schedule: { rowBlock, lanes: 'f32x4 over outputs' },
    emit: (mod, name, addr) => {
      denseMatmul(mod, name, { x: addr(x), w: wt, y: addr(y), ...b, M, K, N, act, rowBlock });
      return [mod.call(name, [mod.i32.const(0), mod.i32.const(0), mod.i32.const(0)], none)];
    },
  });
}

/**
 * Products of two run-time operands (numpy matmul broadcasting over batch dims, 1-d operands
 * promoted; Gemm's transposes, alpha, beta and C): the dense kernel once per output matrix, with
 * transposed operands copied to scratch first and the scaling, C and activation applied after.
 */
function lowerRuntimeMatmul(op: Op, lc: LowerContext, g: { transA: boolean; transB: boolean; alpha: number; beta: number; cOperand?: Value; ep: ReturnType<typeof epilogue> }): void {
  const a = op.operand(0), bv = op.operand(1), y = op.result(0);
  let as = shapeOf(a), bs = shapeOf(bv);
  if (as.length === 1) as = [1, as[0]!];
  if (bs.length === 1) bs = [bs[0]!, 1];
  const r = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!] : s);
  const A = r(as, g.transA), B = r(bs, g.transB);
  const M = A[A.length - 2]!, K = A[A.length - 1]!, N = B[B.length - 1]!;
  if (B[B.length - 2] !== K) throw new WasmCompileError(`wasm target: ${describe(op)}: inner dimensions ${K} and ${B[B.length - 2]} differ`);
  const batchA = A.slice(0, -2), batchB = B.slice(0, -2);
  const batch = broadcastShapes([batchA, batchB]);
  // Copies of transposed operands go to scratch: [aT | bT].
  // the last two dims swapped, batch dims kept
  const transposeTable = (s: number[]) => lc.putI32(transposeMap(s, [...Array(s.length - 2).keys(), s.length - 1, s.length - 2]).map);
  const aBytes = 4 * prod(as), bBytes = 4 * prod(bs);
  const ta = g.transA ? transposeTable(as) : undefined, tb = g.transB ? transposeTable(bs) : undefined;
  const fill = new Uint8Array(4);
  if (batchB.length === 0 || prod(batchB) === 1) {
    // One weight matrix: every row of every batch of A is a row of one product.
    const rows = prod(batchA) * M;
    lc.step({
      op, kernel: 'matmul_runtime', format: 'dense', schedule: { rowBlock: rows >= 4 ? 4 : rows, lanes: 'f32x4 over outputs' }, scratch: (ta ? aBytes : 0) + (tb ? bBytes : 0),
      emit: (mod, name, addr, scratch) => {
        const calls: Expr[] = [];
        if (ta) { tableCopy(mod, `${name}_ta`, { x: addr(a), y: scratch, idx: ta, size: prod(as), bytes: 4, fill }); calls.push(mod.call(`${name}_ta`, [], none)); }
        if (tb) { tableCopy(mod, `${name}_tb`, { x: addr(bv), y: scratch + (ta ? aBytes : 0), idx: tb, size: prod(bs), bytes: 4, fill }); calls.push(mod.call(`${name}_tb`, [], none)); }
        denseMatmul(mod, name, { x: ta ? scratch : addr(a), w: tb ? scratch + (ta ? aBytes : 0) : addr(bv), y: addr(y), M: rows, K, N, act: { kind: 'none' }, rowBlock: rows >= 4 ? 4 : rows });
        calls.push(mod.call(name, [mod.i32.const(0), mod.i32.const(0), mod.i32.const(0)], none));
        return calls;
      },
    });
  } else {
    const nb = prod(batch);
    const ia = broadcastIndex(batchA, batch), ib = broadcastIndex(batchB, batch);
    lc.step({
      op, kernel: 'matmul_runtime', format: 'dense', schedule: { rowBlock: M >= 4 ? 4 : M, lanes: 'f32x4 over outputs', batches: nb }, scratch: (ta ? aBytes : 0) + (tb ? bBytes : 0),
      emit: (mod, name, addr, scratch) => {
        const calls: Expr[] = [];
        if (ta) { tableCopy(mod, `${name}_ta`, { x: addr(a), y: scratch, idx: ta, size: prod(as), bytes: 4, fill }); calls.push(mod.call(`${name}_ta`, [], none)); }
        if (tb) { tableCopy(mod, `${name}_tb`, { x: addr(bv), y: scratch + (ta ? aBytes : 0), idx: tb, size: prod(bs), bytes: 4, fill }); calls.push(mod.call(`${name}_tb`, [], none)); }
        denseMatmul(mod, name, { x: ta ? scratch : addr(a), w: tb ? scratch + (ta ? aBytes : 0) : addr(bv), y: addr(y), M, K, N, act: { kind: 'none' }, rowBlock: M >= 4 ? 4 : M });
        for (let i = 0; i < nb; i++) calls.push(mod.call(name, [mod.i32.const(4 * ia[i]! * M * K), mod.i32.const(4 * ib[i]! * K * N), mod.i32.const(4 * i * M * N)], none));
        return calls;
      },
    });
  }
  const { alpha, beta, cOperand, ep } = g;
  if (alpha !== 1 || cOperand) postMap(op, lc, y, (n, v, e) => (e === undefined ? n.mul(n.c(alpha), v()) : n.add(n.mul(n.c(alpha), v()), n.mul(n.c(beta), e()))), cOperand);
  if (ep.act.kind !== 'none' || ep.post) postMap(op, lc, y, epilogueExpr(ep));
}

const lowerConv: Lowering = (op, lc) => {
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), wv = op.operand(1), y = op.result(0);
  const wt = constData(wv);
  const ep = epilogue(op, c);
  const act = ep.post ? { kind: 'none' as const } : ep.act;
  const xs = shapeOf(x), ys = shapeOf(y);
  const kernelShape = c.hasAttr('kernel_shape') ? c.ints('kernel_shape') : shapeOf(wv).slice(2);
  const geo = convGeometry(c, xs, kernelShape);
  const G = c.int('group');
  const [N, C] = xs as [number, number];
  const M = ys[1]!, Cg = C / G, Mg = M / G, kVol = prod(kernelShape), CK = Cg * kVol, P = prod(ys.slice(2));
  const bias = op.operands.length > 2 ? op.operand(2) : undefined;
  const biasAddr = (addr: (v: Value) => number) => (bias ? { bias: addr(bias) } : {});
  const sparse = op.name === 'sparse.conv';
  const first = lc.steps.length;
  if (!allF32(op)) {
    // Other element types: the typed kernel over the operands as stored (a constant weight's raw bytes).
    const tbl = lc.putI32(im2colTable(op, xs, ys, kernelShape, geo));
    const act = epilogueExpr(ep);
    lc.step({
      op, kernel: 'conv_typed', format: typedFormat(op, wv), schedule: { compute: 'f64', loops: 'n, channel, position, k (four at a time)' },
      emit: (mod, name, addr) => typedConv(mod, name, {
        x: typedRef(op, x, addr), w: typedRef(op, wv, addr), ...(bias ? { bias: typedRef(op, bias, addr) } : {}), y: typedRef(op, y, addr),
        N, C, G, Mg, kVol, P, inPlane: prod(xs.slice(2)), table: tbl, act,
      }),
    });
    return;
  }
  if (xs.length === 4 && wt) {
    const [, , H, W] = xs as [number, number, number, number];
    const [, , OH, OW] = ys as [number, number, number, number];
    const [kh, kw] = kernelShape as [number, number];
    const g2 = { C, H, W, kh, kw, sh: geo.strides[0]!, sw: geo.strides[1]!, dh: geo.dilations[0]!, dw: geo.dilations[1]!, ph: geo.pads[0]!, pw: geo.pads[1]!, OH, OW };
    const w = toF64(wt); // [M, Cg, kh, kw] or its 2-d view [M, CK]: the same element order
    if (G === C && Mg === 1) {
      const wd = lc.putF32(w);
      lc.step({ op, kernel: 'depthwise_conv', format: sparse ? 'dense (depthwise)' : 'dense', schedule: { loops: 'plane, oh, ow, kh, kw' }, emit: (mod, name, addr) => depthwiseConv(mod, name, { x: addr(x), w: wd, ...biasAddr(addr), y: addr(y), N, act, ...g2 }) });
    } else {
      // Per group, the weight rows [Mg, CK] are contiguous in w: dense copies them, CSR compresses them.
      const groupW = Array.from({ length: G }, (_, gi) => {
        const rows = w.subarray(gi * Mg * CK, (gi + 1) * Mg * CK);
        if (!sparse) return { dense: lc.put(new Uint8Array(Float32Array.from(rows).buffer)) };
        const rowPtr = [0], cols: number[] = [], vals: number[] = [];
        for (let m = 0; m < Mg; m++) {
          for (let k = 0; k < CK; k++) if (rows[m * CK + k] !== 0) { cols.push(k); vals.push(rows[m * CK + k]!); }
          rowPtr.push(cols.length);
        }
        return { csr: { rowPtr: lc.putI32(rowPtr), cols: lc.putI32(cols), vals: lc.putF32(vals) } };
      });
      const direct = kh === 1 && kw === 1 && G === 1 && geo.strides.every((v) => v === 1) && geo.pads.every((v) => v === 0);
      const enc = sparse ? wv.type.encoding : undefined;
      lc.step({
        op, kernel: direct ? 'conv1x1' : 'conv_im2col', format: sparse ? `csr${enc && enc.kind !== 'csr' ? ` (stored #${enc.kind})` : ''}` : 'dense',
        schedule: { lanes: 'f32x4 over positions', channelBlock: sparse ? 1 : 4 }, scratch: direct ? 0 : 4 * CK * P,
        emit: (mod, name, addr, scratch) => {
          const out: number[] = [];
          for (let gi = 0; gi < G; gi++) {
            const colName = `${name}_col${gi}`, mmName = `${name}_mm${gi}`;
            if (!direct) im2col(mod, colName, { x: addr(x), col: scratch, cStart: gi * Cg, cCount: Cg, ...g2 });
            for (let n = 0; n < N; n++) {
              // 1x1 stride-1 convolutions read x directly: its image is the column matrix.
              weightTimesCols(mod, `${mmName}_${n}`, { ...groupW[gi]!, col: direct ? addr(x) + n * C * H * W * 4 : scratch, y: addr(y), ...biasAddr(addr), M: Mg, CK, P, mStart: gi * Mg, act });
              if (!direct) out.push(mod.call(colName, [mod.i32.const(n * C * H * W * 4)], none));
              out.push(mod.call(`${mmName}_${n}`, [mod.i32.const(n * M * P * 4)], none));
            }
          }
          return out;
        },
      });
    }
  } else {
    // Any rank, weight at run time or not: im2col through a table (all channels), then per group
    // the weight [Mg, CK] (the ONNX layout) times its columns.
    const inPlane = prod(xs.slice(2));
    const tbl = lc.putI32(im2colTable(op, xs, ys, kernelShape, geo));
    const fill = new Uint8Array(4);
    lc.step({
      op, kernel: 'conv_table_im2col', format: 'dense', schedule: { lanes: 'f32x4 over positions', channelBlock: 4 }, scratch: 4 * C * kVol * P,
      emit: (mod, name, addr, scratch) => {
        const out: number[] = [];
        for (let n = 0; n < N; n++) {
          tableCopy(mod, `${name}_col${n}`, { x: addr(x) + n * C * inPlane * 4, y: scratch, idx: tbl, size: C * kVol * P, bytes: 4, fill });
          out.push(mod.call(`${name}_col${n}`, [], none));
          for (let gi = 0; gi < G; gi++) {
            const mm = `${name}_mm${n}_${gi}`;
            weightTimesCols(mod, mm, { dense: addr(wv) + gi * Mg * CK * 4, col: scratch + gi * CK * P * 4, y: addr(y), ...biasAddr(addr), M: Mg, CK, P, mStart: gi * Mg, act });
            out.push(mod.call(mm, [mod.i32.const(n * M * P * 4)], none));
          }
        }
        return out;
      },
    });
  }
  if (xs.length === 4 && wt) for (const s of lc.steps.slice(first)) s.packed = [wv];
  if (ep.post) postMap(op, lc, y, (n, v) => ep.post!(n, v));
};

/** For each (channel, kernel element) row and output position, the input element it reads (channel * plane + position), or -1 in the padding. */
function im2colTable(op: Op, xs: readonly number[], ys: readonly number[], kernelShape: readonly number[], geo: { strides: number[]; pads: number[]; dilations: number[] }): Int32Array {
  const C = xs[1]!, inSp = xs.slice(2), outSp = ys.slice(2), inPlane = prod(inSp), kVol = prod(kernelShape), P = prod(outSp);
  if (C * kVol * P >= 1 << 24) throw new WasmCompileError(`wasm target: ${describe(op)}: the im2col table would be too large`);
  const table = new Int32Array(C * kVol * P);
  const kpos = new Array<number>(kernelShape.length), opos = new Array<number>(outSp.length);
  for (let ch = 0; ch < C; ch++) for (let kk = 0; kk < kVol; kk++) {
    let r = kk;
    for (let d = kernelShape.length - 1; d >= 0; d--) { kpos[d] = r % kernelShape[d]!; r = Math.floor(r / kernelShape[d]!); }
    for (let pp = 0; pp < P; pp++) {
      let q = pp;
      for (let d = outSp.length - 1; d >= 0; d--) { opos[d] = q % outSp[d]!; q = Math.floor(q / outSp[d]!); }
      let idx = 0, inside = true;
      for (let d = 0; d < inSp.length; d++) {
        const i = opos[d]! * geo.strides[d]! - geo.pads[d]! + kpos[d]! * geo.dilations[d]!;
        if (i < 0 || i >= inSp[d]!) { inside = false; break; }
        idx = idx * inSp[d]! + i;
      }
      table[(ch * kVol + kk) * P + pp] = inside ? ch * inPlane + idx : -1;
    }
  }
  return table;
}

const lowerConvTranspose: Lowering = (op, lc) => {
  const c = new OpContext(op, getOpDef(op.name)!);
  const x = op.operand(0), w = op.operand(1), y = op.result(0);
  const xs = shapeOf(x), ys = shapeOf(y), ws = shapeOf(w);
  const G = c.int('group');
  const geo = convTransposeGeometry(c, xs);
  const kernel = c.hasAttr('kernel_shape') ? c.ints('kernel_shape') : ws.slice(2);
  const inSp = xs.slice(2), outSp = ys.slice(2);
  const Pin = prod(inSp), Pout = prod(outSp), kVol = prod(kernel);
  const table = new Int32Array(Pin * kVol);
  for (let p = 0; p < Pin; p++) for (let kk = 0; kk < kVol; kk++) {
    let q = p, r = kk, idx = 0, mul = 1, inside = true;
    for (let d = inSp.length - 1; d >= 0; d--) {
      const ip = q % inSp[d]!, kp = r % kernel[d]!;
      q = Math.floor(q / inSp[d]!); r = Math.floor(r / kernel[d]!);
      const o = ip * geo.strides[d]! - geo.pads[d]! + kp * geo.dilations[d]!;
      if (o < 0 || o >= outSp[d]!) inside = false;
      idx += o * mul; mul *= outSp[d]!;
    }
    table[p * kVol + kk] = inside ? idx : -1;
  }
  const tbl = lc.putI32(table);
  const ep = epilogue(op, c);
  const bias = op.operands.length > 2 ? op.operand(2) : undefined;
  if (!allF32(op)) {
    // Other element types: f64 sums in scratch, in the interpreter's order, then converted.
    const act = epilogueExpr(ep);
    lc.step({
      op, kernel: 'conv_transpose_typed', format: 'dense', schedule: { compute: 'f64', loops: 'n, channel, input channel, kernel, position' }, scratch: 8 * G * ws[1]! * Pout,
      emit: (mod, name, addr, scratch) => typedConvTranspose(mod, name, {
        x: typedRef(op, x, addr), w: typedRef(op, w, addr), ...(bias ? { bias: typedRef(op, bias, addr) } : {}), y: typedRef(op, y, addr),
        N: xs[0]!, C: xs[1]!, G, Mg: ws[1]!, Pin, Pout, kVol, table: tbl, acc: scratch, act,
      }),
    });
    return;
  }
  lc.step({
    op, kernel: 'conv_transpose', format: 'dense', schedule: { loops: 'n, c, position, mo, kernel' },
    emit: (mod, name, addr) => convTransposeScatter(mod, name, { x: addr(x), w: addr(w), ...(bias ? { bias: addr(bias) } : {}), y: addr(y), N: xs[0]!, C: xs[1]!, G, Mg: ws[1]!, Pin, Pout, kVol, table: tbl }),
  });
  if (ep.act.kind !== 'none' || ep.post) postMap(op, lc, y, epilogueExpr(ep));
};

export const LINEAR_LOWERINGS: Record<string, Lowering> = {
  'nn.gemm': lowerMatmul, 'sparse.gemm': lowerMatmul, 'nn.matmul': lowerMatmul, 'sparse.matmul': lowerMatmul,
  'nn.conv': lowerConv, 'sparse.conv': lowerConv, 'nn.conv_transpose': lowerConvTranspose,
};
