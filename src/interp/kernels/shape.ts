// Reference kernels for constants and data movement (reshape, transpose, concat, split, slice,
// squeeze, pad, gather, shape, expand, tile) and reductions. Data is moved element by element
// through index maps, so every element type (64-bit integers included) is copied exactly.
import type { InterpretFn } from '../../ir/opdef.js';
import { compress, decompress } from '../../ir/sparse-data.js';
import { Tensor } from '../../ir/tensor.js';
import { axis as normAxis, broadcastIndex, broadcastShapes, fromF64, gatherElements, sizeOf, stridesOf, toF64, transposeMap } from '../../tensor-math/numeric.js';

const intsOf = (t: Tensor | undefined): number[] => {
  if (!t) return [];
  const out: number[] = [];
  for (let i = 0; i < t.size; i++) out.push(Number(t.get(i)));
  return out;
};

const view = (x: Tensor, shape: readonly number[]) => new Tensor(x.elementType, shape, x.data);

export const constantKernel: InterpretFn = (c) => {
  const v = c.raw('value');
  if (v?.kind === 'elided') throw new Error('the constant is elided (dense_elided): it has no data to run with');
  if (v?.kind !== 'dense') throw new Error("attribute 'value' is not a tensor");
  const enc = c.op.results[0]!.type.encoding;
  // A sparse constant runs through its compressed storage, so the encoding itself is exercised.
  return [enc ? decompress(compress(v.value, enc)) : v.value];
};

export const flattenKernel: InterpretFn = (c, [x]) => {
  const a = normAxis(c.int('axis'), x!.shape.length);
  return [view(x!, [sizeOf(x!.shape.slice(0, a)), sizeOf(x!.shape.slice(a))])];
};

export const reshapeKernel: InterpretFn = (c, [x, s]) => {
  const spec = intsOf(s);
  const allowZero = c.int('allowzero') === 1;
  const shape = spec.map((d, i) => (d === 0 && !allowZero ? x!.shape[i]! : d));
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const inf = shape.indexOf(-1);
  if (inf >= 0) shape[inf] = known === 0 ? 0 : x!.size / known;
  if (sizeOf(shape) !== x!.size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`cannot reshape [${x!.shape.join(', ')}] (${x!.size} elements) to [${spec.join(', ')}]`);
  }
  return [view(x!, shape)];
};

export const transposeKernel: InterpretFn = (c, [x]) => {
  const { shape, map } = transposeMap(x!.shape, c.ints('perm'));
  return [gatherElements(x!, shape, map)];
};

export const concatKernel: InterpretFn = (c, xs) => {
  const rank = xs[0]!.shape.length;
  const a = normAxis(c.int('axis'), rank);
  const shape = [...xs[0]!.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  const out = Tensor.zeros(xs[0]!.elementType, shape);
  const outer = sizeOf(shape.slice(0, a)), inner = sizeOf(shape.slice(a + 1));
  const row = shape[a]! * inner;
  let off = 0;
  const d = out.data as unknown as { [i: number]: unknown };
  for (const x of xs) {
    const len = x.shape[a]! * inner;
    const s = x.data as unknown as ArrayLike<unknown>;
    for (let o = 0; o < outer; o++) for (let k = 0; k < len; k++) d[o * row + off + k] = s[o * len + k];
    off += len;
  }
  return [out];
};

/** Copies the block [lo, lo+len) along axis a. */
function sliceAxis(x: Tensor, a: number, lo: number, len: number): Tensor {
  const outer = sizeOf(x.shape.slice(0, a)), inner = sizeOf(x.shape.slice(a + 1));
  const shape = [...x.shape];
  shape[a] = len;
  const map = new Int32Array(outer * len * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) for (let j = 0; j < len; j++) for (let i = 0; i < inner; i++) map[k++] = (o * x.shape[a]! + lo + j) * inner + i;
  return gatherElements(x, shape, map);
}

export const splitKernel: InterpretFn = (c, [x, split]) => {
  const a = normAxis(c.int('axis'), x!.shape.length);
  const n = c.op.results.length;
  const len = x!.shape[a]!;
  let parts = split ? intsOf(split) : undefined;
  if (!parts) {
    const k = c.hasAttr('num_outputs') ? c.int('num_outputs') : n;
    const chunk = Math.ceil(len / k);
    parts = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(chunk, len - i * chunk)));
  }
  let lo = 0;
  return parts.map((p) => {
    const t = sliceAxis(x!, a, lo, p);
    lo += p;
    return t;
  });
};

export const sliceKernel: InterpretFn = (_c, [x, starts, ends, axes, steps]) => {
  const st = intsOf(starts), en = intsOf(ends);
  const ax = axes && axes.size ? intsOf(axes).map((a) => normAxis(a, x!.shape.length)) : st.map((_, i) => i);
  const sp = steps && steps.size ? intsOf(steps) : st.map(() => 1);
  const rank = x!.shape.length;
  const lo = new Array<number>(rank).fill(0), step = new Array<number>(rank).fill(1), shape = [...x!.shape];
  ax.forEach((a, k) => {
    const d = x!.shape[a]!;
    const s = sp[k]!;
    if (s === 0) throw new Error('slice step must not be 0');
    let b = st[k]!, e = en[k]!;
    b = b < 0 ? b + d : b;
    e = e < 0 ? e + d : e;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      b = Math.min(Math.max(b, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    lo[a] = b;
    step[a] = s;
    shape[a] = Math.max(0, Math.ceil((e - b) / s));
  });
  const str = stridesOf(x!.shape);
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const pos = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += (lo[k]! + pos[k]! * step[k]!) * str[k]!;
    map[i] = off;
    for (let k = rank - 1; k >= 0; k--) {
      if (++pos[k]! < shape[k]!) break;
      pos[k] = 0;
    }
  }
  return [gatherElements(x!, shape, map)];
};

export const squeezeKernel: InterpretFn = (_c, [x, axes]) => {
  const ax = axes ? intsOf(axes).map((a) => normAxis(a, x!.shape.length)) : undefined;
  return [view(x!, x!.shape.filter((d, i) => (ax ? !ax.includes(i) : d !== 1)))];
};

export const unsqueezeKernel: InterpretFn = (_c, [x, axes]) => {
  const ax = intsOf(axes);
  const rank = x!.shape.length + ax.length;
  const norm = ax.map((a) => normAxis(a, rank));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x!.shape[k++]!);
  return [view(x!, shape)];
};

export const padKernel: InterpretFn = (c, [x, pads, value, axes]) => {
  const rank = x!.shape.length;
  const p = intsOf(pads);
  const ax = axes && axes.size ? intsOf(axes).map((a) => normAxis(a, rank)) : [...Array(rank).keys()];
  const begin = new Array<number>(rank).fill(0), end = new Array<number>(rank).fill(0);
  ax.forEach((a, k) => {
    begin[a] = p[k]!;
    end[a] = p[k + ax.length]!;
  });
  const shape = x!.shape.map((d, i) => d + begin[i]! + end[i]!);
  const mode = c.string('mode');
  const n = sizeOf(shape);
  const str = stridesOf(x!.shape);
  const map = new Int32Array(n);
  const pos = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < rank; k++) {
      const d = x!.shape[k]!;
      let q = pos[k]! - begin[k]!;
      if (q < 0 || q >= d) {
        if (mode === 'constant' || d === 0) { off = -1; break; }
        if (mode === 'edge') q = q < 0 ? 0 : d - 1;
        else if (mode === 'wrap') q = ((q % d) + d) % d;
        else { // reflect
          const period = 2 * (d - 1);
          if (period === 0) q = 0;
          else {
            q = ((q % period) + period) % period;
            if (q >= d) q = period - q;
          }
        }
      }
      off += q * str[k]!;
    }
    map[i] = off;
    for (let k = rank - 1; k >= 0; k--) {
      if (++pos[k]! < shape[k]!) break;
      pos[k] = 0;
    }
  }
  const out = Tensor.zeros(x!.elementType, shape);
  const fill = value && value.size ? value.data[0] : undefined;
  const s = x!.data as unknown as ArrayLike<unknown>, d = out.data as unknown as { [i: number]: unknown };
  for (let i = 0; i < n; i++) d[i] = map[i]! >= 0 ? s[map[i]!] : (fill ?? d[i]);
  return [out];
};

export const gatherKernel: InterpretFn = (c, [x, indices]) => {
  const a = normAxis(c.int('axis'), x!.shape.length);
  const idx = intsOf(indices);
  const d = x!.shape[a]!;
  const outer = sizeOf(x!.shape.slice(0, a)), inner = sizeOf(x!.shape.slice(a + 1));
  const shape = [...x!.shape.slice(0, a), ...indices!.shape, ...x!.shape.slice(a + 1)];
  const map = new Int32Array(outer * idx.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) for (const j0 of idx) {
    const j = j0 < 0 ? j0 + d : j0;
    if (j < 0 || j >= d) throw new Error(`gather index ${j0} is out of range for a dim of ${d}`);
    for (let i = 0; i < inner; i++) map[k++] = (o * d + j) * inner + i;
  }
  return [gatherElements(x!, shape, map)];
};

export const shapeKernel: InterpretFn = (c, [x]) => {
  const r = x!.shape.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(c.int('start')), end = c.hasAttr('end') ? clamp(c.int('end')) : r;
  const dims = x!.shape.slice(start, Math.max(start, end));
  return [Tensor.from('i64', [dims.length], dims.map((d) => BigInt(d)))];
};

export const sizeKernel: InterpretFn = (_c, [x]) => [Tensor.from('i64', [], [BigInt(x!.size)])];

export const constantOfShapeKernel: InterpretFn = (c, [s]) => {
  const shape = intsOf(s);
  const v = c.raw('value');
  const fill = v?.kind === 'dense' ? v.value : Tensor.zeros('f32', [1]);
  const out = Tensor.zeros(fill.elementType, shape);
  (out.data as unknown as { fill(v: unknown): void }).fill(fill.data[0]);
  return [out];
};

export const expandKernel: InterpretFn = (_c, [x, s]) => {
  const shape = broadcastShapes([x!.shape, intsOf(s)]);
  return [gatherElements(x!, shape, broadcastIndex(x!.shape, shape))];
};

export const tileKernel: InterpretFn = (_c, [x, repeats]) => {
  const r = intsOf(repeats);
  const shape = x!.shape.map((d, i) => d * r[i]!);
  const str = stridesOf(x!.shape);
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const pos = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < shape.length; k++) off += (pos[k]! % x!.shape[k]!) * str[k]!;
    map[i] = off;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++pos[k]! < shape[k]!) break;
      pos[k] = 0;
    }
  }
  return [gatherElements(x!, shape, map)];
};

export function reduceKernel(kind: 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sum_square' | 'l1' | 'l2' | 'log_sum' | 'log_sum_exp'): InterpretFn {
  return (c, [x, axesT]) => {
    const rank = x!.shape.length;
    let axes: number[];
    if (axesT && axesT.size > 0) axes = intsOf(axesT).map((a) => normAxis(a, rank));
    else if (c.hasAttr('axes')) axes = c.ints('axes').map((a) => normAxis(a, rank));
    else axes = c.int('noop_with_empty_axes') ? [] : [...Array(rank).keys()];
    if (axes.length === 0 && c.int('noop_with_empty_axes')) return [x!];
    const keep = c.int('keepdims') === 1;
    const outShapeKeep = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = sizeOf(outShapeKeep);
    const v = toF64(x!);
    const init = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : kind === 'prod' ? 1 : 0;
    const acc = new Float64Array(n).fill(init);
    const count = new Float64Array(n);
    const idx = broadcastIndex(outShapeKeep, x!.shape); // x element -> output slot
    for (let i = 0; i < v.length; i++) {
      const o = idx[i]!, a = v[i]!;
      switch (kind) {
        case 'max': acc[o] = Number.isNaN(a) || a > acc[o]! ? a : acc[o]!; break;
        case 'min': acc[o] = Number.isNaN(a) || a < acc[o]! ? a : acc[o]!; break;
        case 'prod': acc[o]! *= a; break;
        case 'sum_square': case 'l2': acc[o]! += a * a; break;
        case 'l1': acc[o]! += Math.abs(a); break;
        case 'log_sum_exp': acc[o]! += Math.exp(a); break;
        default: acc[o]! += a;
      }
      count[o]!++;
    }
    for (let o = 0; o < n; o++) {
      if (kind === 'mean') acc[o] = acc[o]! / count[o]!;
      else if (kind === 'l2') acc[o] = Math.sqrt(acc[o]!);
      else if (kind === 'log_sum' || kind === 'log_sum_exp') acc[o] = Math.log(acc[o]!);
    }
    const shape = keep ? outShapeKeep : x!.shape.filter((_, i) => !axes.includes(i));
    return [fromF64(c.op.results[0]!.type.elementType, shape, acc)];
  };
}
