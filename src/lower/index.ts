// The target-neutral lowering layer: capabilities, the kernel table, selection and the plan format.
export type { TargetCaps } from './caps.js';
export type { Choice, Format, KernelCall, KernelPlan, PlannedCall, Schedule } from './plan.js';
export { formatName, planData, printPlan } from './plan.js';
export type { KernelDef, Packed } from './table.js';
export { KERNELS, kernelDef } from './kernels/index.js';
export { candidates, select, type Candidate, type Chooser } from './select.js';
export { legalize, LEGALIZE_PIPELINE, planFor } from './lower.js';
