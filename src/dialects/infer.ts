// Shared shape-inference rules for op tables: broadcasting, axes, convolution and pooling windows.
import type { InferredType, OpContext } from '../ir/opdef.js';
import type { Dim, ElementType, TensorType } from '../ir/types.js';
import { elide } from '../util/limits.js';

export type MaybeDim = Dim | undefined;

/** A list (attribute values, a shape) as quoted in a message: `[1, 2, 3]`, elided when long. */
export function list(values: readonly (MaybeDim | number)[]): string {
  return `[${elide(values.map((d) => d ?? '?').join(', '))}]`;
}

export const result = (elementType: ElementType | undefined, shape: readonly MaybeDim[] | undefined): InferredType => ({ elementType, shape });
export const sameAs = (t: TensorType): InferredType => ({ elementType: t.elementType, shape: t.shape });

/** Normalises a possibly negative axis from [-rank, rank) into [0, rank) (or [-rank, rank] into [0, rank] when `inclusive`). */
export function normAxis(c: OpContext, axis: number, rank: number, what = 'axis', inclusive = false): number {
  if (axis < -rank || axis >= rank + (inclusive ? 1 : 0)) c.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Multidirectional (numpy) broadcasting; fails on incompatible static dims. */
export function broadcast(c: OpContext, shapes: readonly (readonly MaybeDim[])[]): MaybeDim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: MaybeDim[] = [];
  for (let k = 0; k < rank; k++) {
    let num: number | undefined; // the static size other than 1, if any
    const syms = new Set<string>();
    let unknown = false;
    for (const s of shapes) {
      const d = s[s.length - rank + k];
      if (s.length - rank + k < 0 || d === 1) continue;
      if (d === undefined) unknown = true;
      else if (typeof d === 'string') syms.add(d);
      else if (num === undefined) num = d;
      else if (num !== d) {
        c.fail(`shapes ${elide(shapes.map((x) => list(x)).join(' and '))} do not broadcast (dim ${num} vs ${d})`);
      }
    }
    if (num !== undefined) out.push(num);
    else if (unknown || syms.size > 1) out.push(undefined);
    else out.push(syms.size === 1 ? [...syms][0] : 1);
  }
  return out;
}

/** Product of dims, or undefined when one of them is not static. */
export function product(dims: readonly MaybeDim[]): number | undefined {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** A product that keeps a single symbolic dim when all the others are 1 (so [N, 1, 1] flattens to N). */
export function productDim(dims: readonly MaybeDim[]): MaybeDim {
  const p = product(dims);
  if (p !== undefined) return p;
  const notOne = dims.filter((d) => d !== 1);
  return notOne.length === 1 ? notOne[0] : undefined;
}

/** Requires an operand's element type to equal another's. */
export function sameElementType(c: OpContext, i: number, j: number): void {
  if (c.elementType(i) !== c.elementType(j)) {
    c.fail(`operand #${j} has element type ${c.elementType(j)}, expected ${c.elementType(i)} like operand #${i}`);
  }
}

export function requireRank(c: OpContext, i: number, rank: number | ((r: number) => boolean), what: string): void {
  const r = c.rank(i);
  if (typeof rank === 'number' ? r !== rank : !rank(r)) c.fail(`operand #${i} must have ${what}, got rank ${r}`);
}

/** Two static dims that must agree. */
export function requireEqualDims(c: OpContext, a: MaybeDim, b: MaybeDim, what: string): void {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) c.fail(`${what}: ${a} vs ${b}`);
}

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: string;
}

/** Reads kernel_shape/strides/dilations/pads/auto_pad, with defaults, checking their lengths. */
export function windowAttrs(c: OpContext, spatial: number, kernel: number[]): Window {
  const w: Window = {
    kernel,
    strides: c.hasAttr('strides') ? c.ints('strides') : new Array<number>(spatial).fill(1),
    dilations: c.hasAttr('dilations') ? c.ints('dilations') : new Array<number>(spatial).fill(1),
    pads: c.hasAttr('pads') ? c.ints('pads') : new Array<number>(2 * spatial).fill(0),
    autoPad: c.hasAttr('auto_pad') ? c.string('auto_pad') : 'NOTSET',
  };
  const check = (name: string, v: number[], n: number, min: number) => {
    if (v.length !== n) c.fail(`attribute '${name}' has ${v.length} values, expected ${n} (for ${spatial} spatial dims)`);
    if (v.some((x) => x < min)) c.fail(`attribute '${name}' values must be >= ${min}, got ${list(v)}`);
  };
  check('kernel_shape', w.kernel, spatial, 1);
  check('strides', w.strides, spatial, 1);
  check('dilations', w.dilations, spatial, 1);
  check('pads', w.pads, 2 * spatial, 0);
  return w;
}

/**
 * Output size of a sliding window along spatial dim i (input dim i + 2). A window larger than the
 * padded input has no output position: that is an error, not a 0 or negative size.
 */
export function windowOut(c: OpContext, w: Window, i: number, input: MaybeDim, ceil = false): MaybeDim {
  if (typeof input !== 'number') return undefined;
  const s = w.strides[i]!, k = w.kernel[i]!, d = w.dilations[i]!;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(input / s);
  const pb = w.autoPad === 'VALID' ? 0 : w.pads[i]!;
  const pe = w.autoPad === 'VALID' ? 0 : w.pads[i + w.kernel.length]!;
  const window = (k - 1) * d + 1;
  const span = input + pb + pe - window;
  if (span < 0) {
    const win = d > 1 ? `the window of kernel_shape[${i}] = ${k} with dilation ${d} (${window})` : `kernel_shape[${i}] = ${k}`;
    const padded = pb || pe ? `input dim ${i + 2} padded: ${input} + ${pb} + ${pe} = ${input + pb + pe}` : `input dim ${i + 2} (${input})`;
    c.fail(`${win} is larger than ${padded}`);
  }
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // A window that would start inside the end padding is dropped (ONNX ceil_mode rule).
  if (ceil && (out - 1) * s >= input + pb) out--;
  return out;
}
