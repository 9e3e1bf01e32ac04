// Attributes: the compile-time values that ops carry (ints, floats, strings, arrays, types,
// tensors and sparse encodings), with constructors and structural equality.
import type { Encoding } from './encodings.js';
import { encodingEquals } from './encodings.js';
import { Tensor, hashBytes } from './tensor.js';
import type { ElementType, TensorType } from './types.js';

export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  /** Floats are f32 values, as in ONNX. */
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'array'; readonly value: readonly Attr[] }
  | { readonly kind: 'type'; readonly value: TensorType | ElementType }
  | DenseAttr
  | ElidedAttr
  | { readonly kind: 'encoding'; readonly value: Encoding };

/**
 * A tensor value. Small ones print inline (`dense<...>`); large ones print as `dense_resource<name>`
 * with their bytes in the module's resource table. `resource` is the preferred name there.
 */
export interface DenseAttr {
  readonly kind: 'dense';
  readonly value: Tensor;
  readonly resource?: string;
}

/** A tensor whose data was left out of the text: only a summary remains (for readable golden tests). */
export interface ElidedAttr {
  readonly kind: 'elided';
  readonly elementType: ElementType;
  readonly shape: readonly number[];
  readonly nnz: number;
  readonly hash: string;
}

export type AttrKind = Attr['kind'];
export type AttrDict = Map<string, Attr>;

export const int = (value: number): Attr => ({ kind: 'int', value });
export const float = (value: number): Attr => ({ kind: 'float', value: Math.fround(value) });
export const bool = (value: boolean): Attr => ({ kind: 'bool', value });
export const str = (value: string): Attr => ({ kind: 'string', value });
export const array = (value: readonly Attr[]): Attr => ({ kind: 'array', value });
export const ints = (v: readonly number[]): Attr => array(v.map(int));
export const floats = (v: readonly number[]): Attr => array(v.map(float));
export const strs = (v: readonly string[]): Attr => array(v.map(str));
export const typeAttr = (value: TensorType | ElementType): Attr => ({ kind: 'type', value });
export const dense = (value: Tensor, resource?: string): DenseAttr =>
  resource === undefined ? { kind: 'dense', value } : { kind: 'dense', value, resource };
export const encodingAttr = (value: Encoding): Attr => ({ kind: 'encoding', value });

export function elide(t: Tensor): ElidedAttr {
  return { kind: 'elided', elementType: t.elementType, shape: [...t.shape], nnz: t.countNonzero(), hash: hashBytes(t.bytes()) };
}

export function attrsEqual(a: Attr, b: Attr): boolean {
  switch (a.kind) {
    case 'int':
    case 'bool':
    case 'string':
      return b.kind === a.kind && b.value === a.value;
    case 'float':
      return b.kind === 'float' && Object.is(a.value, b.value);
    case 'array':
      return b.kind === 'array' && a.value.length === b.value.length && a.value.every((x, i) => attrsEqual(x, b.value[i]!));
    case 'type':
      if (b.kind !== 'type') return false;
      if (typeof a.value === 'string' || typeof b.value === 'string') return a.value === b.value;
      return a.value.equals(b.value);
    case 'dense':
      return b.kind === 'dense' && a.value.bitwiseEquals(b.value);
    case 'elided':
      return b.kind === 'elided' && a.elementType === b.elementType && a.hash === b.hash && a.nnz === b.nnz &&
        a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    case 'encoding':
      return b.kind === 'encoding' && encodingEquals(a.value, b.value);
  }
}

/** Reads an int array attribute as numbers; undefined when the attribute is not one. */
export function asInts(a: Attr | undefined): number[] | undefined {
  if (!a || a.kind !== 'array') return undefined;
  const out: number[] = [];
  for (const x of a.value) {
    if (x.kind !== 'int') return undefined;
    out.push(x.value);
  }
  return out;
}

export function asFloats(a: Attr | undefined): number[] | undefined {
  if (!a || a.kind !== 'array') return undefined;
  const out: number[] = [];
  for (const x of a.value) {
    if (x.kind !== 'float' && x.kind !== 'int') return undefined;
    out.push(x.value);
  }
  return out;
}
