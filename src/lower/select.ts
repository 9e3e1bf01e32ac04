// Selection: each op of a (legalised) function becomes one KernelCall. The first entry of the kernel
// table that applies gives its default choice, unless a chooser (the autotuner, a tuning database)
// picks a kernel and a choice from the candidates' spaces. The call records why.
import type { Func, Op } from '../ir/core.js';
import { valueNamer } from '../ir/printer.js';
import { UnsupportedError } from '../util/errors.js';
import type { TargetCaps } from './caps.js';
import { genericKernel } from './kernels/generic.js';
import { KERNELS_BY_OP } from './kernels/index.js';
import type { Choice, ChoiceSource, KernelCall, KernelPlan } from './plan.js';
import type { KernelDef } from './table.js';

export interface Candidate {
  readonly kernel: KernelDef;
  readonly space: readonly Choice[];
}

/** Picks a kernel and a choice among the candidates (in table order), or undefined for the default. */
export type Chooser = (op: Op, candidates: readonly Candidate[]) => { kernel: string; choice: Choice; why: string; source?: ChoiceSource } | undefined;

/** Records compared by content, whatever the order of their keys (a tuning record read back from JSON). */
const canon = (r: object): string => JSON.stringify(Object.entries(r).sort(([x], [y]) => (x < y ? -1 : 1)));
export const sameChoice = (a: Choice, b: Choice): boolean => canon(a.format) === canon(b.format) && canon(a.schedule) === canon(b.schedule);

const describe = (op: Op) => `${op.name}${op.loc ? ` "${op.loc}"` : ''}`;

/** The kernels that can compute an op on these capabilities, in preference order, and why the others cannot. */
export function candidates(op: Op, caps: TargetCaps): { applicable: KernelDef[]; rejected: string[] } {
  const defs = KERNELS_BY_OP.get(op.name) ?? [genericKernel(op.name)];
  const applicable: KernelDef[] = [], rejected: string[] = [];
  for (const d of defs) {
    // another target's kernel is no candidate at all (and not worth a word in the error)
    if (KERNELS_BY_OP.has(op.name) && !caps.kernels.has(d.name)) continue;
    const a = d.applies(op, caps);
    if (a === true) applicable.push(d);
    else rejected.push(`${d.name}: ${a}`);
  }
  return { applicable, rejected };
}

export function select(f: Func, caps: TargetCaps, choose?: Chooser): KernelPlan {
  const name = valueNamer(f);
  const calls = f.ops.filter((op) => op.name !== 'nn.constant' && op.name !== 'return').map((op) => {
    const { applicable, rejected } = candidates(op, caps);
    if (!applicable.length) throw new UnsupportedError(`${caps.name} target: no kernel computes ${describe(op)} (${rejected.join('; ')})`);
    const cands = choose ? applicable.map((k) => ({ kernel: k, space: k.space(op, caps) })) : [];
    const picked = choose?.(op, cands);
    const def = picked ? applicable.find((k) => k.name === picked.kernel) : applicable[0]!;
    if (!def) throw new Error(`internal: the chooser picked kernel '${picked!.kernel}', not a candidate for ${describe(op)}`);
    // A choice outside the kernel's space (a stale tuning record, a bug) would run something untested.
    if (picked && !cands.find((c) => c.kernel === def)!.space.some((c) => sameChoice(c, picked.choice))) {
      throw new Error(`internal: the chooser picked ${JSON.stringify(picked.choice)} for ${def.name}, which is not in its space for ${describe(op)}`);
    }
    const choice = picked ? { ...picked.choice, why: picked.why } : def.default(op, caps);
    const s = def.shape(op, choice);
    const call: KernelCall = {
      kernel: def.name, op: op.name, ...(op.loc ? { loc: op.loc } : {}),
      operands: op.operands.map(name), results: op.results.map(name),
      format: choice.format, schedule: choice.schedule, ...(s.dims ? { dims: s.dims } : {}),
      scratchBytes: s.scratchBytes, ...(s.inPlace !== undefined ? { inPlace: s.inPlace } : {}), why: choice.why,
      source: picked ? picked.source ?? 'tuned' : 'default',
    };
    return { op, call };
  });
  return { target: caps.name, func: f, calls };
}
