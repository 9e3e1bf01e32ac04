// Tensor data: a static shape, an element type and a typed array. Constants hold one; the
// reference interpreter computes with them. f16 is held as raw bits in a Uint16Array.
import { checkTensorSize, elide } from '../util/limits.js';
import { ELEMENT_TYPES, type ElementType, type TypedArray } from './types.js';

export type Scalar = number | bigint | boolean;

export class Tensor {
  constructor(
    readonly elementType: ElementType,
    readonly shape: readonly number[],
    readonly data: TypedArray,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new Error(`tensor data has ${data.length} elements, shape [${shape.join(', ')}] needs ${n}`);
  }

  /** A tensor of zeros; a LimitError (before allocating) when the shape is over the size limits. */
  static zeros(elementType: ElementType, shape: readonly number[]): Tensor {
    checkTensorSize(shape, ELEMENT_TYPES[elementType].bytes, `a tensor<${elide(shape.join('x'))}x${elementType}>`);
    const n = shape.reduce((a, b) => a * b, 1);
    return new Tensor(elementType, shape, new ELEMENT_TYPES[elementType].array(n));
  }

  /** Builds a tensor from plain values (numbers, bigints or booleans), converting as the type needs. */
  static from(elementType: ElementType, shape: readonly number[], values: ArrayLike<Scalar>): Tensor {
    const t = Tensor.zeros(elementType, shape);
    if (values.length !== t.size) throw new Error(`${values.length} values given for ${elementType}[${shape.join('x')}], which holds ${t.size}`);
    for (let i = 0; i < values.length; i++) t.set(i, values[i] as Scalar);
    return t;
  }

  /** Views raw little-endian bytes as a tensor (copies, so the bytes' alignment does not matter). */
  static fromBytes(elementType: ElementType, shape: readonly number[], bytes: Uint8Array): Tensor {
    const t = Tensor.zeros(elementType, shape);
    const need = t.data.byteLength;
    if (bytes.byteLength !== need) {
      throw new Error(`expected ${need} bytes for ${elementType}[${shape.join('x')}], got ${bytes.byteLength}`);
    }
    new Uint8Array(t.data.buffer, t.data.byteOffset, need).set(bytes);
    return t;
  }

  get size(): number {
    return this.data.length;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /** Element i as a JS value: number for floats and small ints (f16 decoded), bigint for 64-bit, boolean for bool. */
  get(i: number): Scalar {
    const v = this.data[i] as number | bigint;
    if (this.elementType === 'f16') return f16ToF32(v as number);
    if (this.elementType === 'bool') return v !== 0;
    return v;
  }

  set(i: number, v: Scalar): void {
    const t = this.elementType;
    if (t === 'i64' || t === 'u64') {
      (this.data as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    } else if (t === 'f16') {
      (this.data as Uint16Array)[i] = f32ToF16(Number(v));
    } else if (t === 'bool') {
      (this.data as Uint8Array)[i] = v ? 1 : 0;
    } else {
      (this.data as Float32Array)[i] = Number(v);
    }
  }

  /** Number of elements that are not zero (false, 0, -0). */
  countNonzero(): number {
    const d = this.data;
    let n = 0;
    if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
      for (let i = 0; i < d.length; i++) if (d[i] !== 0n) n++;
    } else if (this.elementType === 'f16') {
      for (let i = 0; i < d.length; i++) if (((d[i] as number) & 0x7fff) !== 0) n++;
    } else {
      const a = d as Float64Array;
      for (let i = 0; i < a.length; i++) if (a[i] !== 0) n++;
    }
    return n;
  }

  /** True when every element has the same bits as the first one. */
  isSplat(): boolean {
    const b = this.bytes();
    const w = ELEMENT_TYPES[this.elementType].bytes;
    for (let i = w; i < b.length; i++) if (b[i] !== b[i % w]) return false;
    return true;
  }

  bitwiseEquals(o: Tensor): boolean {
    if (this.elementType !== o.elementType || this.shape.length !== o.shape.length) return false;
    if (this.shape.some((d, i) => d !== o.shape[i])) return false;
    const a = this.bytes(), b = o.bytes();
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/**
 * A 64-bit content hash of tensor bytes, as 16 hex digits: two MurmurHash3-style 32-bit lanes with
 * different seeds over little-endian words, each finalised with the length. Fast (one pass, no
 * BigInt) and well mixed; for change detection in golden tests, not for security.
 */
export function hashBytes(bytes: Uint8Array): string {
  let h1 = 0x9747b28c, h2 = 0x2f3c1b7d;
  const n = bytes.byteLength;
  const words = n >>> 2;
  const w = (bytes.byteOffset & 3) === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, words) : null;
  const mix = (h: number, k: number, c1: number, c2: number): number => {
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
    h = (h << 13) | (h >>> 19);
    return (Math.imul(h, 5) + 0xe6546b64) | 0;
  };
  for (let i = 0; i < words; i++) {
    const v = w ? w[i]! : bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
    h1 = mix(h1, v, 0xcc9e2d51, 0x1b873593);
    h2 = mix(h2, v, 0x85ebca6b, 0xc2b2ae35);
  }
  let tail = 0;
  for (let i = n - 1; i >= words * 4; i--) tail = (tail << 8) | bytes[i]!;
  h1 = mix(h1, tail ^ n, 0xcc9e2d51, 0x1b873593);
  h2 = mix(h2, tail ^ n, 0x85ebca6b, 0xc2b2ae35);
  const fmix = (h: number): number => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  const hex = (h: number) => fmix(h).toString(16).padStart(8, '0');
  return hex(h1 ^ h2) + hex(h2 + h1);
}

// ---- f16 <-> f32 ----
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Rounds to nearest even, as hardware does. */
export function f32ToF16(x: number): number {
  f32buf[0] = x;
  const b = u32buf[0] as number;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
