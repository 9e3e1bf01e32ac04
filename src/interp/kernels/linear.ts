// Reference kernels for conv, conv_transpose, gemm and matmul. Convolutions run over up to three
// spatial dims (1-d and 2-d are padded to 3-d with size-1 dims); the inner loop runs over the
// output row without bounds checks, and zero weights are skipped.
import type { InterpretFn, OpContext } from '../../ir/opdef.js';
import type { Tensor } from '../../ir/tensor.js';
import { broadcastIndex, broadcastShapes, fromF64, sizeOf, toF64 } from '../../tensor-math/numeric.js';
import { erf } from './elementwise.js';
import { convGeometry, convTransposeGeometry } from '../../tensor-math/window.js';

const pad3 = (v: readonly number[], fill: number) => [...new Array<number>(3 - v.length).fill(fill), ...v];

/** Applies a fused epilogue activation (attributes activation / activation_params) in place. */
export function applyEpilogue(c: OpContext, y: Float64Array): Float64Array {
  const act = c.hasAttr('activation') ? c.string('activation') : 'none';
  if (act === 'none') return y;
  const p = c.floats('activation_params');
  let f: (x: number) => number;
  switch (act) {
    case 'relu': f = (x) => (x > 0 || Number.isNaN(x) ? x : 0); break;
    case 'clip': f = (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, p[0]!), p[1]!)); break;
    case 'leaky_relu': f = (x) => (x >= 0 ? x : p[0]! * x); break;
    case 'sigmoid': f = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))); break;
    case 'hard_swish': f = (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)); break;
    case 'gelu': f = (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)); break;
    case 'gelu_tanh': f = (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); break;
    default: throw new Error(`unknown activation '${act}'`);
  }
  for (let i = 0; i < y.length; i++) y[i] = f(y[i]!);
  return y;
}

export const convKernel: InterpretFn = (c, [x, w, b]) => {
  const out = c.op.results[0]!.type;
  const g = convGeometry(c, x!.shape, c.ints('kernel_shape'));
  const group = c.int('group');
  const [N, C] = x!.shape as [number, number];
  const M = w!.shape[0]!;
  const sp = g.spatial;
  if (sp > 3) throw new Error(`conv over ${sp} spatial dims is not supported by the interpreter (at most 3)`);
  const inS = pad3(x!.shape.slice(2), 1), k = pad3(g.kernel, 1), s = pad3(g.strides, 1), d = pad3(g.dilations, 1);
  const pb = pad3(g.pads.slice(0, sp), 0);
  const outS = inS.map((n, i) => Math.max(0, Math.floor((n + pb[i]! + pad3(g.pads.slice(sp), 0)[i]! - ((k[i]! - 1) * d[i]! + 1)) / s[i]!) + 1));
  const xv = toF64(x!), wv = toF64(w!), bv = b ? toF64(b) : undefined;
  const y = new Float64Array(N * M * sizeOf(outS));
  const Cg = C / group, Mg = M / group;
  const [ID, IH, IW] = inS as [number, number, number];
  const [OD, OH, OW] = outS as [number, number, number];
  const plane = OD * OH * OW, inPlane = ID * IH * IW;
  const [KD, KH, KW] = k as [number, number, number];
  const [SD, SH, SW] = s as [number, number, number];
  const [DD, DH, DW] = d as [number, number, number];
  const [PD, PH, PW] = pb as [number, number, number];
  const kVol = KD * KH * KW, K = Cg * kVol;
  // im2col over chunks of output positions, then Y[m, p] += W[m, k] * col[k, p] with the
  // contiguous p loop innermost. Zero weights are skipped.
  const CHUNK = Math.max(1, Math.min(plane, Math.floor((1 << 22) / Math.max(1, K))));
  const col = new Float64Array(K * CHUNK);
  const pod = new Int32Array(CHUNK), poh = new Int32Array(CHUNK), pow = new Int32Array(CHUNK);
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < group; gi++) {
      for (let p0 = 0; p0 < plane; p0 += CHUNK) {
        const P = Math.min(CHUNK, plane - p0);
        for (let j = 0; j < P; j++) {
          const q = p0 + j;
          pow[j] = q % OW;
          poh[j] = Math.floor(q / OW) % OH;
          pod[j] = Math.floor(q / (OW * OH));
        }
        for (let ci = 0; ci < Cg; ci++) {
          const xo = (n * C + gi * Cg + ci) * inPlane;
          for (let kd = 0; kd < KD; kd++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
            const row = ((ci * KD + kd) * KH + kh) * KW + kw;
            const cr = row * P;
            for (let j = 0; j < P; j++) {
              const id = pod[j]! * SD - PD + kd * DD, ih = poh[j]! * SH - PH + kh * DH, iw = pow[j]! * SW - PW + kw * DW;
              col[cr + j] = id >= 0 && id < ID && ih >= 0 && ih < IH && iw >= 0 && iw < IW ? xv[xo + (id * IH + ih) * IW + iw]! : 0;
            }
          }
        }
        for (let mo = 0; mo < Mg; mo++) {
          const m = gi * Mg + mo;
          const yr = (n * M + m) * plane + p0;
          const bias = bv ? bv[m]! : 0;
          for (let j = 0; j < P; j++) y[yr + j] = bias;
          const wr = m * K;
          let kk = 0;
          // four weights at a time: one load/store of y per four multiply-adds
          for (; kk + 3 < K; kk += 4) {
            const w0 = wv[wr + kk]!, w1 = wv[wr + kk + 1]!, w2 = wv[wr + kk + 2]!, w3 = wv[wr + kk + 3]!;
            if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) continue;
            const c0 = kk * P, c1 = c0 + P, c2 = c1 + P, c3 = c2 + P;
            for (let j = 0; j < P; j++) y[yr + j]! += w0 * col[c0 + j]! + w1 * col[c1 + j]! + w2 * col[c2 + j]! + w3 * col[c3 + j]!;
          }
          for (; kk < K; kk++) {
            const wt = wv[wr + kk]!;
            if (wt === 0) continue;
            const cr = kk * P;
            for (let j = 0; j < P; j++) y[yr + j]! += wt * col[cr + j]!;
          }
        }
      }
    }
  }
  return [fromF64(out.elementType, [N, M, ...outS.slice(3 - sp)], applyEpilogue(c, y))];
};

export const convTransposeKernel: InterpretFn = (c, [x, w, b]) => {
  const out = c.op.results[0]!.type;
  const group = c.int('group');
  const [N, C] = x!.shape as [number, number];
  const sp = x!.shape.length - 2;
  if (sp > 3) throw new Error(`conv_transpose over ${sp} spatial dims is not supported by the interpreter (at most 3)`);
  const Mg = w!.shape[1]!, M = Mg * group, Cg = C / group;
  const kernel = c.ints('kernel_shape');
  const { strides, dilations: dil, pads, outSpatial: outSp } = convTransposeGeometry(c, x!.shape);
  const inSp = x!.shape.slice(2);
  const inS = pad3(inSp, 1), k = pad3(kernel, 1), s = pad3(strides, 1), d = pad3(dil, 1), pb = pad3(pads.slice(0, sp), 0), oS = pad3(outSp, 1);
  const xv = toF64(x!), wv = toF64(w!), bv = b ? toF64(b) : undefined;
  const [ID, IH, IW] = inS as [number, number, number];
  const [OD, OH, OW] = oS as [number, number, number];
  const plane = OD * OH * OW, inPlane = ID * IH * IW, kVol = k[0]! * k[1]! * k[2]!;
  const y = new Float64Array(N * M * plane);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const gi = Math.floor(m / Mg), mo = m % Mg;
      const yo = (n * M + m) * plane;
      if (bv) y.fill(bv[m]!, yo, yo + plane);
      for (let ci = 0; ci < Cg; ci++) {
        const cin = gi * Cg + ci;
        const xo = (n * C + cin) * inPlane;
        const wo = (cin * Mg + mo) * kVol;
        for (let kd = 0; kd < k[0]!; kd++) for (let kh = 0; kh < k[1]!; kh++) for (let kw = 0; kw < k[2]!; kw++) {
          const wt = wv[wo + (kd * k[1]! + kh) * k[2]! + kw]!;
          if (wt === 0) continue;
          for (let id = 0; id < ID; id++) {
            const od = id * s[0]! - pb[0]! + kd * d[0]!;
            if (od < 0 || od >= OD) continue;
            for (let ih = 0; ih < IH; ih++) {
              const oh = ih * s[1]! - pb[1]! + kh * d[1]!;
              if (oh < 0 || oh >= OH) continue;
              const xr = xo + (id * IH + ih) * IW, yr = yo + (od * OH + oh) * OW;
              for (let iw = 0; iw < IW; iw++) {
                const ow = iw * s[2]! - pb[2]! + kw * d[2]!;
                if (ow >= 0 && ow < OW) y[yr + ow]! += wt * xv[xr + iw]!;
              }
            }
          }
        }
      }
    }
  }
  return [fromF64(out.elementType, [N, M, ...outSp], applyEpilogue(c, y))];
};

/** C[M, N] += A[M, K] @ B[K, N] on plain arrays, with row/col strides so transposes need no copy. */
function matmulInto(y: Float64Array, yo: number, a: Float64Array, ao: number, aRow: number, aCol: number, bm: Float64Array, bo: number, bRow: number, bCol: number, M: number, K: number, N: number, scale = 1): void {
  for (let i = 0; i < M; i++) {
    for (let kk = 0; kk < K; kk++) {
      const av = a[ao + i * aRow + kk * aCol]! * scale;
      if (av === 0) continue;
      const br = bo + kk * bRow;
      const yr = yo + i * N;
      for (let j = 0; j < N; j++) y[yr + j]! += av * bm[br + j * bCol]!;
    }
  }
}

export const gemmKernel: InterpretFn = (c, [a, b, cc]) => {
  const ta = c.int('transA'), tb = c.int('transB');
  const alpha = c.float('alpha'), beta = c.float('beta');
  const [ar, ac] = a!.shape as [number, number];
  const [br, bc] = b!.shape as [number, number];
  const M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  const y = new Float64Array(M * N);
  if (cc && beta !== 0) {
    const cv = toF64(cc);
    const idx = broadcastIndex(cc.shape, [M, N]);
    for (let i = 0; i < M * N; i++) y[i] = beta * cv[idx[i]!]!;
  }
  matmulInto(y, 0, toF64(a!), 0, ta ? 1 : ac, ta ? ac : 1, toF64(b!), 0, tb ? 1 : bc, tb ? bc : 1, M, K, N, alpha);
  return [fromF64(c.op.results[0]!.type.elementType, [M, N], applyEpilogue(c, y))];
};

export const matmulKernel: InterpretFn = (c, [a, b, bias]) => {
  const as = a!.shape.length === 1 ? [1, a!.shape[0]!] : [...a!.shape];
  const bs = b!.shape.length === 1 ? [b!.shape[0]!, 1] : [...b!.shape];
  const M = as[as.length - 2]!, K = as[as.length - 1]!, N = bs[bs.length - 1]!;
  if (bs[bs.length - 2] !== K) throw new Error(`matmul: reduction dims differ (${K} vs ${bs[bs.length - 2]})`);
  const batch = broadcastShapes([as.slice(0, -2), bs.slice(0, -2)]);
  const nb = sizeOf(batch);
  const ia = broadcastIndex(as.slice(0, -2), batch), ib = broadcastIndex(bs.slice(0, -2), batch);
  const av = toF64(a!), bv = toF64(b!);
  const y = new Float64Array(nb * M * N);
  if (bias) {
    const bb = toF64(bias);
    for (let i = 0; i < y.length; i++) y[i] = bb[i % N]!;
  }
  for (let i = 0; i < nb; i++) matmulInto(y, i * M * N, av, ia[i]! * M * K, K, 1, bv, ib[i]! * K * N, N, 1, M, K, N);
  const shape = [...batch];
  if (a!.shape.length !== 1) shape.push(M);
  if (b!.shape.length !== 1) shape.push(N);
  return [fromF64(c.op.results[0]!.type.elementType, shape, applyEpilogue(c, y))];
};

export type { Tensor };
