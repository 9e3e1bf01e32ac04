// Reference kernels for pooling, normalisation, softmax and dropout.
import type { InterpretFn } from '../../ir/opdef.js';
import { Tensor } from '../../ir/tensor.js';
import { axis as normAxis, fromF64, sizeOf, stridesOf, toF64 } from '../../tensor-math/numeric.js';
import { convGeometry, visitPoolWindows } from '../../tensor-math/window.js';
import { UnsupportedError } from '../../util/errors.js';

export const maxPoolKernel: InterpretFn = (c, [x]) => {
  const g = convGeometry(c, x!.shape, c.ints('kernel_shape'));
  const v = toF64(x!);
  const inPlane = sizeOf(x!.shape.slice(2));
  const vals: number[] = [], idx: number[] = [];
  const colMajor = c.int('storage_order') === 1;
  const inSp = x!.shape.slice(2);
  const outSp = visitPoolWindows(x!.shape, g, c.int('ceil_mode') === 1, (p, _o, cells) => {
    let best = -Infinity, at = -1;
    for (const off of cells) {
      const val = v[p * inPlane + off]!;
      if (val > best || at < 0 || Number.isNaN(val)) [best, at] = [val, off];
    }
    vals.push(best);
    let flat = at;
    if (colMajor && at >= 0) {
      // re-linearise the spatial index in column-major order
      const str = stridesOf(inSp);
      const pos = inSp.map((n, i) => Math.floor(at / str[i]!) % n);
      flat = 0;
      let m = 1;
      for (let i = 0; i < inSp.length; i++) {
        flat += pos[i]! * m;
        m *= inSp[i]!;
      }
    }
    idx.push(p * inPlane + flat);
  });
  const shape = [x!.shape[0]!, x!.shape[1]!, ...outSp];
  const out = [fromF64(x!.elementType, shape, vals)];
  if (c.op.results.length > 1) out.push(fromF64('i64', shape, idx));
  return out;
};

export const averagePoolKernel: InterpretFn = (c, [x]) => {
  const g = convGeometry(c, x!.shape, c.ints('kernel_shape'));
  const v = toF64(x!);
  const inPlane = sizeOf(x!.shape.slice(2));
  const include = c.int('count_include_pad') === 1;
  const vals: number[] = [];
  const outSp = visitPoolWindows(x!.shape, g, c.int('ceil_mode') === 1, (p, _o, cells, withPad) => {
    let s = 0;
    for (const off of cells) s += v[p * inPlane + off]!;
    vals.push(s / (include ? withPad : cells.length));
  });
  return [fromF64(x!.elementType, [x!.shape[0]!, x!.shape[1]!, ...outSp], vals)];
};

function globalPool(f: (vals: Float64Array, start: number, n: number) => number): InterpretFn {
  return (_c, [x]) => {
    const planes = x!.shape[0]! * x!.shape[1]!;
    const n = sizeOf(x!.shape.slice(2));
    const v = toF64(x!);
    const out = new Float64Array(planes);
    for (let p = 0; p < planes; p++) out[p] = f(v, p * n, n);
    return [fromF64(x!.elementType, x!.shape.map((d, i) => (i < 2 ? d : 1)), out)];
  };
}

export const globalAveragePoolKernel = globalPool((v, s, n) => {
  let t = 0;
  for (let i = 0; i < n; i++) t += v[s + i]!;
  return t / n;
});
export const globalMaxPoolKernel = globalPool((v, s, n) => {
  let t = -Infinity;
  for (let i = 0; i < n; i++) t = Math.max(t, v[s + i]!);
  return t;
});

export const batchNormKernel: InterpretFn = (c, [x, scale, bias, mean, variance]) => {
  const eps = c.float('epsilon');
  const [N, C] = x!.shape as [number, number];
  const inner = sizeOf(x!.shape.slice(2));
  const v = toF64(x!), sc = toF64(scale!), b = toF64(bias!);
  let m = toF64(mean!), va = toF64(variance!);
  const training = c.int('training_mode') === 1;
  const outs: Tensor[] = [];
  let runMean: Float64Array | undefined, runVar: Float64Array | undefined;
  if (training) {
    const bm = new Float64Array(C), bv = new Float64Array(C);
    for (let ch = 0; ch < C; ch++) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) s += v[(n * C + ch) * inner + i]!;
      bm[ch] = s / (N * inner);
      let q = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) q += (v[(n * C + ch) * inner + i]! - bm[ch]!) ** 2;
      bv[ch] = q / (N * inner);
    }
    const mom = c.float('momentum');
    runMean = m.map((x0, ch) => x0 * mom + bm[ch]! * (1 - mom));
    runVar = va.map((x0, ch) => x0 * mom + bv[ch]! * (1 - mom));
    m = bm;
    va = bv;
  }
  const y = new Float64Array(v.length);
  for (let n = 0; n < N; n++) for (let ch = 0; ch < C; ch++) {
    const k = sc[ch]! / Math.sqrt(va[ch]! + eps), o = b[ch]! - m[ch]! * k;
    const base = (n * C + ch) * inner;
    for (let i = 0; i < inner; i++) y[base + i] = v[base + i]! * k + o;
  }
  outs.push(fromF64(x!.elementType, x!.shape, y));
  if (c.op.results.length > 1) outs.push(fromF64(mean!.elementType, mean!.shape, runMean ?? m));
  if (c.op.results.length > 2) outs.push(fromF64(variance!.elementType, variance!.shape, runVar ?? va));
  return outs;
};

export const instanceNormKernel: InterpretFn = (c, [x, scale, bias]) => {
  const eps = c.float('epsilon');
  const [N, C] = x!.shape as [number, number];
  const inner = sizeOf(x!.shape.slice(2));
  const v = toF64(x!), sc = toF64(scale!), b = toF64(bias!);
  const y = new Float64Array(v.length);
  for (let n = 0; n < N; n++) for (let ch = 0; ch < C; ch++) {
    const base = (n * C + ch) * inner;
    let s = 0;
    for (let i = 0; i < inner; i++) s += v[base + i]!;
    const mu = s / inner;
    let q = 0;
    for (let i = 0; i < inner; i++) q += (v[base + i]! - mu) ** 2;
    const k = sc[ch]! / Math.sqrt(q / inner + eps);
    for (let i = 0; i < inner; i++) y[base + i] = (v[base + i]! - mu) * k + b[ch]!;
  }
  return [fromF64(x!.elementType, x!.shape, y)];
};

export const layerNormKernel: InterpretFn = (c, [x, scale, bias]) => {
  const a = normAxis(c.int('axis'), x!.shape.length);
  const outer = sizeOf(x!.shape.slice(0, a)), inner = sizeOf(x!.shape.slice(a));
  const eps = c.float('epsilon');
  const v = toF64(x!), sc = toF64(scale!), b = bias ? toF64(bias) : undefined;
  const si = scale!.size === inner ? undefined : (i: number) => i % scale!.size;
  const y = new Float64Array(v.length), means = new Float64Array(outer), inv = new Float64Array(outer);
  for (let o = 0; o < outer; o++) {
    const base = o * inner;
    let s = 0;
    for (let i = 0; i < inner; i++) s += v[base + i]!;
    const mu = s / inner;
    let q = 0;
    for (let i = 0; i < inner; i++) q += (v[base + i]! - mu) ** 2;
    const r = 1 / Math.sqrt(q / inner + eps);
    means[o] = mu;
    inv[o] = r;
    for (let i = 0; i < inner; i++) {
      const k = si ? si(i) : i;
      y[base + i] = (v[base + i]! - mu) * r * sc[k]! + (b ? b[b.length === inner ? i : i % b.length]! : 0);
    }
  }
  const statShape = x!.shape.map((d, i) => (i < a ? d : 1));
  return [fromF64(x!.elementType, x!.shape, y), fromF64(c.op.results[1]?.type.elementType ?? 'f32', statShape, means), fromF64(c.op.results[2]?.type.elementType ?? 'f32', statShape, inv)].slice(0, c.op.results.length);
};

export const lrnKernel: InterpretFn = (c, [x]) => {
  const alpha = c.float('alpha'), beta = c.float('beta'), bias = c.float('bias'), size = c.int('size');
  const [N, C] = x!.shape as [number, number];
  const inner = sizeOf(x!.shape.slice(2));
  const v = toF64(x!);
  const y = new Float64Array(v.length);
  const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  for (let n = 0; n < N; n++) for (let ch = 0; ch < C; ch++) for (let i = 0; i < inner; i++) {
    let s = 0;
    for (let k = Math.max(0, ch - lo); k <= Math.min(C - 1, ch + hi); k++) s += v[(n * C + k) * inner + i]! ** 2;
    const at = (n * C + ch) * inner + i;
    y[at] = v[at]! / Math.pow(bias + (alpha / size) * s, beta);
  }
  return [fromF64(x!.elementType, x!.shape, y)];
};

function softmaxLike(log: boolean): InterpretFn {
  return (c, [x]) => {
    const a = normAxis(c.int('axis'), x!.shape.length);
    const len = x!.shape[a] ?? 1, inner = sizeOf(x!.shape.slice(a + 1)), outer = sizeOf(x!.shape.slice(0, a));
    const v = toF64(x!);
    const y = new Float64Array(v.length);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, v[at(k)]!);
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(v[at(k)]! - m);
      for (let k = 0; k < len; k++) y[at(k)] = log ? v[at(k)]! - m - Math.log(s) : Math.exp(v[at(k)]! - m) / s;
    }
    return [fromF64(x!.elementType, x!.shape, y)];
  };
}
export const softmaxKernel = softmaxLike(false);
export const logSoftmaxKernel = softmaxLike(true);

export const dropoutKernel: InterpretFn = (c, [x, ratio, training]) => {
  const train = training !== undefined && training.size > 0 && Boolean(training.data[0]);
  const r = ratio && ratio.size ? toF64(ratio)[0]! : 0.5;
  if (train && r !== 0) throw new UnsupportedError('dropout in training mode with a nonzero ratio (random; the interpreter runs inference only)');
  const outs = [x!];
  if (c.op.results.length > 1) {
    const mask = Tensor.zeros('bool', x!.shape);
    (mask.data as Uint8Array).fill(1);
    outs.push(mask);
  }
  return outs;
};
