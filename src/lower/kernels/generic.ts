// Ops without a choice to make (element-wise maps, movement, reductions, normalisations, pooling):
// one kernel per op kind, named after the op, dense. A target lists the ops it renders this way in
// its capabilities (caps.genericOps); how it renders each (a map, block copies, a window walk) is
// the target's own business, as it depends on nothing the plan decides.
import type { Op } from '../../ir/core.js';
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
    shape: () => ({ scratchBytes: 0 }),
  };
}
