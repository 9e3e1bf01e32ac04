// From a function to its kernel plan: a copy of the function is legalised (the legalize-* passes,
// verified after each) and each of its ops selected a kernel. Targets render the plan's function.
import { cloneFunc } from '../ir/clone.js';
import { Module, type Func } from '../ir/core.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import type { TargetCaps } from './caps.js';
import type { KernelPlan } from './plan.js';
import { select, type Chooser } from './select.js';

/** The passes that bring ops into the forms the kernels take, in order. */
export const LEGALIZE_PIPELINE = 'legalize-window,legalize-gemm,legalize-reduce,legalize-dropout';

/** A legalised copy of `func` (the original is left as it is). */
export function legalize(func: Func): Func {
  const m = new Module();
  const f = m.addFunc(cloneFunc(func));
  runPipeline(m, parsePipeline(LEGALIZE_PIPELINE, passRegistry()), { log: () => undefined });
  return f;
}

/** Legalise, then select: the plan a target renders. */
export function planFor(func: Func, caps: TargetCaps, choose?: Chooser): KernelPlan {
  return select(legalize(func), caps, choose);
}
