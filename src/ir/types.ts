// Element types, shapes and tensor types of the IR. A tensor type may carry a sparse encoding
// attribute (as in MLIR's sparse_tensor dialect): sparsity describes storage, not a new type.
import type { Encoding } from './encodings.js';
import { encodingEquals, printEncoding } from './encodings.js';

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface ElementTypeInfo {
  /** Name as written in the textual IR (`f32`). */
  readonly name: string;
  readonly bytes: number;
  readonly kind: 'float' | 'int' | 'uint' | 'bool';
  /** The typed array that holds one element per slot (f16 is held as raw bits in a Uint16Array). */
  readonly array: { new (n: number): TypedArray; new (b: ArrayBuffer, off: number, n: number): TypedArray };
}

/** Every element type the IR knows, in one table. */
export const ELEMENT_TYPES = {
  f32: { name: 'f32', bytes: 4, kind: 'float', array: Float32Array },
  f16: { name: 'f16', bytes: 2, kind: 'float', array: Uint16Array },
  f64: { name: 'f64', bytes: 8, kind: 'float', array: Float64Array },
  i64: { name: 'i64', bytes: 8, kind: 'int', array: BigInt64Array },
  i32: { name: 'i32', bytes: 4, kind: 'int', array: Int32Array },
  i16: { name: 'i16', bytes: 2, kind: 'int', array: Int16Array },
  i8: { name: 'i8', bytes: 1, kind: 'int', array: Int8Array },
  u64: { name: 'u64', bytes: 8, kind: 'uint', array: BigUint64Array },
  u32: { name: 'u32', bytes: 4, kind: 'uint', array: Uint32Array },
  u16: { name: 'u16', bytes: 2, kind: 'uint', array: Uint16Array },
  u8: { name: 'u8', bytes: 1, kind: 'uint', array: Uint8Array },
  bool: { name: 'bool', bytes: 1, kind: 'bool', array: Uint8Array },
} as const satisfies Record<string, ElementTypeInfo>;

export type ElementType = keyof typeof ELEMENT_TYPES;
export const ELEMENT_TYPE_NAMES = Object.keys(ELEMENT_TYPES) as ElementType[];

/** The inclusive range of an integer element type, as bigints. */
export function intRange(et: ElementType): { min: bigint; max: bigint } | undefined {
  const info: ElementTypeInfo = ELEMENT_TYPES[et];
  if (info.kind !== 'int' && info.kind !== 'uint') return undefined;
  const bits = BigInt(info.bytes * 8);
  return info.kind === 'uint' ? { min: 0n, max: (1n << bits) - 1n } : { min: -(1n << (bits - 1n)), max: (1n << (bits - 1n)) - 1n };
}

export function isElementType(s: string): s is ElementType {
  return Object.prototype.hasOwnProperty.call(ELEMENT_TYPES, s);
}
export function elementInfo(t: ElementType): ElementTypeInfo {
  return ELEMENT_TYPES[t];
}
export const isFloat = (t: ElementType): boolean => ELEMENT_TYPES[t].kind === 'float';
export const isInteger = (t: ElementType): boolean => ELEMENT_TYPES[t].kind === 'int' || ELEMENT_TYPES[t].kind === 'uint';
export const isBigIntType = (t: ElementType): boolean => t === 'i64' || t === 'u64';

/** A dimension: a static size, or the name of a symbolic size (`{N}` in the text). */
/** A static size, a named symbolic dim (`{N}`), or DYNAMIC (`?`): a size known only at run time. */
export type Dim = number | string;

/** The dim `?`: unknown until run time, and unrelated to any other dim. */
export const DYNAMIC = '?';

export class TensorType {
  constructor(
    readonly shape: readonly Dim[],
    readonly elementType: ElementType,
    readonly encoding?: Encoding,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  /** True when every dimension is a number. */
  get isStatic(): boolean {
    return this.shape.every((d) => typeof d === 'number');
  }
  /** Number of elements; throws when the shape has symbolic dims. */
  get numElements(): number {
    let n = 1;
    for (const d of this.shape) {
      if (typeof d !== 'number') throw new Error(`tensor type ${this.toString()} has symbolic dim '${d}'`);
      n *= d;
    }
    return n;
  }
  withShape(shape: readonly Dim[]): TensorType {
    return new TensorType(shape, this.elementType, this.encoding);
  }
  withElementType(t: ElementType): TensorType {
    return new TensorType(this.shape, t, this.encoding);
  }
  withEncoding(e: Encoding | undefined): TensorType {
    return new TensorType(this.shape, this.elementType, e);
  }
  equals(o: TensorType, ignoreEncoding = false): boolean {
    if (this.elementType !== o.elementType || this.shape.length !== o.shape.length) return false;
    for (let i = 0; i < this.shape.length; i++) if (this.shape[i] !== o.shape[i]) return false;
    if (ignoreEncoding) return true;
    if (!this.encoding || !o.encoding) return this.encoding === o.encoding;
    return encodingEquals(this.encoding, o.encoding);
  }
  toString(): string {
    return printType(this);
  }
}

export function tensor(shape: readonly Dim[], elementType: ElementType = 'f32', encoding?: Encoding): TensorType {
  return new TensorType(shape, elementType, encoding);
}

/** Symbolic dim names print bare inside braces; these characters would end or confuse them. */
export function isValidDimName(name: string): boolean {
  return name.length > 0 && name !== DYNAMIC && !/[{}\s"<>]/.test(name);
}

export function printDim(d: Dim): string {
  return typeof d === 'number' ? String(d) : d === DYNAMIC ? DYNAMIC : `{${d}}`;
}

export function printShape(shape: readonly Dim[]): string {
  return shape.map(printDim).join('x');
}

export function printType(t: TensorType): string {
  const dims = t.shape.map((d) => printDim(d) + 'x').join('');
  const enc = t.encoding ? `, ${printEncoding(t.encoding)}` : '';
  return `tensor<${dims}${t.elementType}${enc}>`;
}
