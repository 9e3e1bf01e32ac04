// Small queries passes share: constant values, single uses, static shapes.
import type { Op, Value } from '../ir/core.js';
import type { Tensor } from '../ir/tensor.js';
import type { Dim } from '../ir/types.js';

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
