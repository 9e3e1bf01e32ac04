// Size limits, checked before anything is allocated, so that a hostile or mistaken input gets one
// clear line instead of exhausting memory. One owner for every limit; messages give limit and value.
import { LimitError } from './errors.js';

/** Most elements one tensor may hold (constants, interpreter values, index tables). */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;
/** Most bytes one tensor may hold: 2 GiB, half of what wasm32 can address. */
export const MAX_TENSOR_BYTES = 2 ** 31;
/** wasm32's whole address space: a compiled model's memory plan must fit in it. */
export const WASM32_MAX_BYTES = 2 ** 32;
/** Widest channel axis mask propagation keeps per-channel facts for (wider values are left opaque). */
export const MAX_TRACKED_CHANNELS = 2 ** 20;
/** Deepest nesting of brackets, braces and parentheses the IR parser accepts. */
export const MAX_NESTING = 256;
/** Most characters of a value (a list, a shape) quoted in an error message before it is elided. */
export const MAX_QUOTED_CHARS = 80;

/** Elements of a shape, exactly as a number (may exceed 2^53 only for absurd shapes, which fail the check). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws a LimitError when a tensor of this shape and element size is over the limits. */
export function checkTensorSize(shape: readonly number[], bytesPerElement: number, what: string): void {
  const n = elementCount(shape);
  if (!Number.isSafeInteger(n) || n > MAX_TENSOR_ELEMENTS) {
    throw new LimitError(`${what}: ${formatCount(n)} elements (shape [${elide(shape.join(', '))}]) is over the limit of ${formatCount(MAX_TENSOR_ELEMENTS)} elements per tensor`);
  }
  const bytes = n * bytesPerElement;
  if (bytes > MAX_TENSOR_BYTES) {
    throw new LimitError(`${what}: ${formatBytes(bytes)} (shape [${elide(shape.join(', '))}]) is over the limit of ${formatBytes(MAX_TENSOR_BYTES)} per tensor`);
  }
}

/**
 * Text quoted in a message: control characters escaped (so a message stays one line) and, when
 * long, cut to its start and end with the number of characters left out.
 */
export function elide(raw: string, max = MAX_QUOTED_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  if (text.length <= max) return text;
  const keep = Math.floor((max - 20) / 2);
  return `${text.slice(0, keep)} ...(${text.length - 2 * keep} chars)... ${text.slice(-keep)}`;
}

export function formatCount(n: number): string {
  return Number.isFinite(n) && Math.abs(n) < 1e15 ? String(n) : n.toExponential(3);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n, u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${n} bytes (${v.toFixed(v < 10 ? 2 : 1)} ${units[u]})`;
}
