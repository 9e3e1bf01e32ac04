// Deep copies of functions and modules (tensor data is shared: passes replace constants rather
// than write into them).
import { Func, Module, Op, type Value } from './core.js';

export function cloneFunc(f: Func): Func {
  const g = new Func(f.name, [...f.resultTypes]);
  g.resultAttrs = f.resultAttrs.map((a) => new Map(a));
  g.pos = f.pos;
  const map = new Map<Value, Value>();
  f.args.forEach((a, i) => map.set(a, g.addArgument(a.type, a.name, new Map(f.argAttrs[i]))));
  for (const op of f.body) {
    const c = new Op(op.name, op.operands.map((v) => map.get(v) ?? v), op.results.map((r) => r.type), new Map(op.attrs));
    c.loc = op.loc;
    c.pos = op.pos;
    op.results.forEach((r, i) => {
      c.results[i]!.name = r.name;
      map.set(r, c.results[i]!);
    });
    g.body.append(c);
  }
  return g;
}

export function cloneModule(m: Module): Module {
  const out = new Module();
  for (const f of m.funcs) out.addFunc(cloneFunc(f));
  return out;
}
