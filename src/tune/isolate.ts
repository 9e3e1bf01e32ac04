// One op as a function of its own: computed operands become inputs, constants are copied (with their
// encodings), the results are returned. What a kernel candidate is measured on.
import { Builder } from '../ir/builder.js';
import type { Module, Op, Value } from '../ir/core.js';
import type { TargetCaps } from '../lower/caps.js';
import type { Choice, KernelPlan } from '../lower/plan.js';
import { select } from '../lower/select.js';
import { constData } from '../pass/helpers.js';

/** The op alone, planned with the given kernel choice (the other ops of the function, constants, take their defaults). */
export function isolatedPlan(op: Op, caps: TargetCaps, pick: { kernel: string; choice: Choice; why: string }): KernelPlan {
  const f = isolate(op).funcs[0]!, alone = f.ops.find((o) => o.name === op.name)!;
  return select(f, caps, (o) => (o === alone ? pick : undefined));
}

export function isolate(op: Op): Module {
  const { module, func, b } = Builder.func();
  const copies = new Map<Value, Value>();
  const operands = op.operands.map((v, i) => {
    const known = copies.get(v);
    if (known) return known;
    const t = constData(v);
    const c = t ? b.constant(t, v.type.encoding ? { encoding: v.type.encoding } : {}) : func.addArgument(v.type, `in${i}`);
    copies.set(v, c);
    return c;
  });
  const copy = b.create(op.name, operands, new Map(op.attrs), { types: op.results.map((r) => r.type) });
  copy.loc = op.loc;
  b.ret(copy.results);
  return module;
}
