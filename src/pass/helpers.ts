// Small queries passes share: constant values, single uses, static shapes, and when integer
// arithmetic of a contraction is exact in the interpreter.
import type { Op, Value } from '../ir/core.js';
import type { Tensor } from '../ir/tensor.js';
import { intRange, isInteger, type Dim, type ElementType } from '../ir/types.js';

/** The dense value of a constant-defined value (undefined when not constant or elided). */
export function constValue(v: Value | undefined): Tensor | undefined {
  return v && !v.type.encoding ? constData(v) : undefined;
}

/** The tensor of a constant-defined value, sparse-encoded ones included (their meaning is the dense tensor). */
export function constData(v: Value | undefined): Tensor | undefined {
  const op = v?.definingOp;
  if (op?.name !== 'nn.constant') return undefined;
  const a = op.attrs.get('value');
  return a?.kind === 'dense' ? a.value : undefined;
}

/** True when v has exactly one use (by one op, once). */
export function hasOneUse(v: Value): boolean {
  return v.uses.length === 1;
}

export function isStatic(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}

/** The string attribute `activation` of an op, 'none' when absent. */
export function activationOf(op: Op): string {
  const a = op.attrs.get('activation');
  return a?.kind === 'string' ? a.value : 'none';
}

/**
 * Integers below this magnitude are exact in f64. The reference interpreter accumulates integer
 * Conv, ConvTranspose, Gemm and MatMul in f64 (and wraps once, when it stores the result), so a
 * rewrite that moves integer terms between their bias and their sum of products keeps results
 * exact only while every partial sum stays below it.
 */
export const F64_EXACT_INT = 2 ** 53;

/** The largest magnitude of an integer element type (2^31 for i32, 2^32 - 1 for u32), undefined for floats and bool. */
export function intMagnitude(et: ElementType): number | undefined {
  const r = intRange(et);
  return r ? Math.max(Number(r.max), -Number(r.min)) : undefined;
}

/** The largest |element| of a tensor (as a double: 64-bit values past 2^53 round, upward or not, but stay far past it). */
export function maxAbs(t: Tensor): number {
  let m = 0;
  for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(Number(t.get(i))));
  return m;
}

/** Gemm's alpha or beta (1 when absent). */
function scaleAttr(op: Op, name: string): number {
  const a = op.attrs.get(name);
  return a?.kind === 'float' || a?.kind === 'int' ? a.value : 1;
}

function absSum(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += Math.abs(Number(t.get(i)));
  return s;
}

/**
 * An upper bound on the magnitude of any output element's sum of products of a Conv,
 * ConvTranspose, Gemm or MatMul on an integer element type (alpha included, the bias not). Each
 * element of either operand meets a given output element at most once, so a constant operand
 * bounds the sum by the sum of its magnitudes times the other operand's largest magnitude.
 * Infinity when nothing bounds it (dynamic shapes, non-integer types).
 */
export function contractionBound(op: Op): number {
  const [a, b] = [op.operand(0), op.operand(1)];
  const ra = intMagnitude(a.type.elementType), rb = intMagnitude(b.type.elementType);
  if (ra === undefined || rb === undefined) return Infinity;
  const count = (v: Value) => (isStatic(v.type.shape) ? v.type.shape.reduce((x, y) => x * y, 1) : Infinity);
  const ta = constValue(a), tb = constValue(b);
  let bound = ra * rb * Math.min(count(a), count(b));
  if (tb) bound = Math.min(bound, ra * absSum(tb));
  if (ta) bound = Math.min(bound, rb * absSum(ta));
  if (op.name.endsWith('.gemm')) bound *= Math.abs(scaleAttr(op, 'alpha'));
  return bound;
}

/**
 * Whether an integer Conv/ConvTranspose/Gemm/MatMul computes exactly in the interpreter with a
 * bias of magnitude up to `biasMagnitude`: Gemm's alpha and beta are integers (the interpreter
 * scales in f64 and truncates once at the end, so a fractional scale does not commute with moving
 * an integer term in or out), and no partial sum reaches 2^53. Under these conditions integer
 * terms may move between the bias and the products, computed modulo the type's width. Always true
 * for float element types (their rewrites are exact up to rounding).
 */
export function exactIntAccumulation(op: Op, biasMagnitude: number): boolean {
  const et = op.results[0]!.type.elementType;
  if (!isInteger(et)) return true;
  if (op.name.endsWith('.gemm')) {
    if (!Number.isInteger(scaleAttr(op, 'alpha')) || !Number.isInteger(scaleAttr(op, 'beta'))) return false;
  }
  return biasMagnitude + contractionBound(op) < F64_EXACT_INT;
}
