// What a reduction reads, for every target: its axes (constant, normalised, sorted) as one
// contiguous run outer x len x inner (legalize-reduce moves separated axes next to each other).
import type { Op } from '../ir/core.js';
import { OpContext } from '../ir/opdef.js';
import { getOpDef } from '../dialects/index.js';
import { constData } from '../pass/helpers.js';
import { axis as normAxis, sizeOf as prod } from '../tensor-math/numeric.js';

export interface ReductionShape {
  /** The sorted axes (empty: a no-op reduction, a copy). */
  readonly axes: readonly number[];
  readonly outer: number;
  readonly len: number;
  readonly inner: number;
}

/** The reduction's axes and extents, or why there are none (axes computed at run time, not adjacent). */
export function reductionShape(op: Op): ReductionShape | string {
  const c = new OpContext(op, getOpDef(op.name)!);
  const xs = op.operand(0).type.shape as number[], r = xs.length;
  let axes: number[];
  const axesV = op.operands[1];
  if (axesV && prod(axesV.type.shape as number[]) > 0) {
    const t = constData(axesV);
    if (!t) return 'the axes must be constant';
    axes = Array.from({ length: t.size }, (_, i) => normAxis(Number(t.get(i)), r));
  } else axes = c.int('noop_with_empty_axes') ? [] : [...Array(r).keys()];
  axes = [...new Set(axes)].sort((a, b) => a - b);
  if (axes.some((a, i) => i > 0 && a !== axes[i - 1]! + 1)) return `internal: reduces axes [${axes.join(', ')}], which are not adjacent (legalize-reduce makes them so)`;
  if (!axes.length) return { axes, outer: prod(xs), len: 1, inner: 1 };
  return { axes, outer: prod(xs.slice(0, axes[0]!)), len: prod(axes.map((a) => xs[a]!)), inner: prod(xs.slice(axes[axes.length - 1]! + 1)) };
}
