// Tensor math shared by the interpreter, the passes and the targets: tensors as Float64Array views and
// back (kernels compute in f64 and round once when they store a result), strides, and the index maps of
// broadcasting and transposes.
import { f16ToF32, f32ToF16, Tensor } from '../ir/tensor.js';
import { ELEMENT_TYPES, type ElementType } from '../ir/types.js';

/** The values of t as f64 (f16 decoded, 64-bit integers as the nearest double, bool as 0/1). */
export function toF64(t: Tensor): Float64Array {
  if (t.data instanceof Float64Array) return t.data;
  const n = t.size;
  const out = new Float64Array(n);
  const d = t.data;
  if (t.elementType === 'f16') for (let i = 0; i < n; i++) out[i] = f16ToF32(d[i] as number);
  else if (d instanceof BigInt64Array || d instanceof BigUint64Array) for (let i = 0; i < n; i++) out[i] = Number(d[i]!);
  else for (let i = 0; i < n; i++) out[i] = d[i] as number;
  return out;
}

/** Stores f64 values as element type et: floats round, integers truncate toward zero and wrap, bool is x != 0. */
export function fromF64(et: ElementType, shape: readonly number[], v: ArrayLike<number>): Tensor {
  const t = Tensor.zeros(et, shape);
  const d = t.data;
  const n = t.size;
  if (v.length !== n) throw new Error(`internal: ${v.length} values for shape [${shape.join(', ')}]`);
  const kind = ELEMENT_TYPES[et].kind;
  if (et === 'f16') for (let i = 0; i < n; i++) d[i] = f32ToF16(v[i]!);
  else if (kind === 'float') (d as Float32Array | Float64Array).set(v);
  else if (et === 'bool') for (let i = 0; i < n; i++) d[i] = v[i] !== 0 && !Number.isNaN(v[i]!) ? 1 : 0;
  else if (d instanceof BigInt64Array) for (let i = 0; i < n; i++) d[i] = toBigIntTrunc(v[i]!);
  else if (d instanceof BigUint64Array) for (let i = 0; i < n; i++) d[i] = BigInt.asUintN(64, toBigIntTrunc(v[i]!));
  else for (let i = 0; i < n; i++) d[i] = Number.isFinite(v[i]!) ? Math.trunc(v[i]!) : 0;
  return t;
}

function toBigIntTrunc(x: number): bigint {
  return Number.isFinite(x) ? BigInt(Math.trunc(x)) : 0n;
}

export const isFloat = (et: ElementType) => ELEMENT_TYPES[et].kind === 'float';

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i]!;
  }
  return s;
}

/** Numpy broadcast of concrete shapes; throws naming both shapes when they do not broadcast. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + k] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x) throw new Error(`shapes ${shapes.map((q) => `[${q.join(', ')}]`).join(' and ')} do not broadcast`);
      d = x;
    }
    out.push(d);
  }
  return out;
}

/** For each element of `out`, the index of the element of a tensor of shape `shape` it reads when broadcast. */
export function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  const r = out.length;
  const inStrides = stridesOf(shape);
  // stride of each out dim in the input (0 where broadcast)
  const st = out.map((_, k) => {
    const j = k - (r - shape.length);
    return j < 0 || shape[j] === 1 ? 0 : inStrides[j]!;
  });
  if (n === 0) return idx;
  const pos = new Array<number>(r).fill(0);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = cur;
    for (let k = r - 1; k >= 0; k--) {
      pos[k]!++;
      cur += st[k]!;
      if (pos[k]! < out[k]!) break;
      cur -= st[k]! * out[k]!;
      pos[k] = 0;
    }
  }
  return idx;
}

/** Normalises a possibly negative axis. */
export function axis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

/** out[i] = x[map[i]] where map walks x's dims in `perm` order. */
export function transposeMap(shape: readonly number[], perm: readonly number[]): { shape: number[]; map: Int32Array } {
  const out = perm.map((p) => shape[p]!);
  const st = stridesOf(shape);
  const pst = perm.map((p) => st[p]!);
  const n = sizeOf(out);
  const map = new Int32Array(n);
  const pos = new Array<number>(out.length).fill(0);
  let cur = 0;
  for (let i = 0; i < n; i++) {
    map[i] = cur;
    for (let k = out.length - 1; k >= 0; k--) {
      pos[k]!++;
      cur += pst[k]!;
      if (pos[k]! < out[k]!) break;
      cur -= pst[k]! * out[k]!;
      pos[k] = 0;
    }
  }
  return { shape: out, map };
}

/** Copies elements by a gather map: out[i] = t[map[i]], keeping the element type (bigint-safe). */
export function gatherElements(t: Tensor, shape: readonly number[], map: ArrayLike<number>): Tensor {
  const out = Tensor.zeros(t.elementType, shape);
  const s = t.data as unknown as ArrayLike<number>, d = out.data as unknown as { [i: number]: number };
  for (let i = 0; i < map.length; i++) d[i] = s[map[i]!]!;
  return out;
}
