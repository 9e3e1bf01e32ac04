// Ops without a choice to make (element-wise maps, movement, reductions, normalisations, pooling):
// one kernel per op kind, named after the op, dense. A target lists the ops it renders this way in
// its capabilities (caps.genericOps); how it renders each (a map, block copies, a window walk) is
// the target's own business, as it depends on nothing the plan decides.
import type { Op } from '../../ir/core.js';
import { elementwiseMask } from '../../analysis/transfer.js';
import { getOpDef } from '../../dialects/index.js';
import type { TargetCaps } from '../caps.js';
import type { KernelDef } from '../table.js';

/** The kernel name of a generic op: the op's name without its dialect (`nn.relu` -> `relu`). */
export const genericKernelName = (opName: string): string => opName.slice(opName.indexOf('.') + 1);

export function genericKernel(opName: string): KernelDef {
  const choice = { format: { kind: 'dense' } as const, schedule: {} };
  return {
    name: genericKernelName(opName), summary: `${opName} as one kernel`, ops: [opName],
    applies: (op: Op, caps: TargetCaps) => (caps.genericOps.has(op.name) ? true : `the ${caps.name} target has no ${opName} kernel`),
    space: () => [choice],
    default: () => ({ ...choice, why: 'one kernel per op kind' }),
    shape: (op) => ({ scratchBytes: 0, ...inPlaceOperand(op) }),
  };
}

/**
 * An element-wise op (its dialect entry says so: the element-wise mask transfer) reads element i of
 * each operand before writing element i, so its result may take the slot of a computed operand of the
 * same type; the memory plan decides whether that operand is free to give (its last use is here).
 */
function inPlaceOperand(op: Op): { inPlace?: number } {
  if (getOpDef(op.name)?.mask !== elementwiseMask || op.results.length !== 1) return {};
  // Constants and the function's inputs are not the op's to overwrite.
  const k = op.operands.findIndex((v) => v.type.equals(op.result(0).type) && v.definingOp !== undefined && v.definingOp.name !== 'nn.constant');
  return k >= 0 ? { inPlace: k } : {};
}
