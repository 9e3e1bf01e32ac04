// Pooling through window tables, in f64 for any element type (max pooling may also write the
// index of each maximum, as MaxPool's second output).
import type { binaryen } from '../emit.js';
import { f64, FnBuilder, i32 } from '../emit.js';
import { elemBytes, type WasmElementType } from '../dtype.js';
import { loadF64, storeF64 } from './element.js';

export interface WindowPool {
  kind: 'max' | 'avg';
  x: number; y: number; et: WasmElementType;
  /** For output o, `win` entries of input element numbers (-1: padding, -2: unused slot). */
  table: number; outs: number; win: number;
  countPad: boolean;
  /** Max pooling: where to write each maximum's index (i64), and the index value of each table entry (i32). */
  indices?: { y: number; ids: number };
}

export function windowPool(mod: binaryen.Module, name: string, p: WindowPool): void {
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), k = fb.local(i32), j = fb.local(i32), s = fb.local(f64), n = fb.local(f64), v = fb.local(f64), first = fb.local(i32), best = fb.local(i32), tmp = fb.local(f64);
  const m = mod.f64;
  const bytes = elemBytes(p.et);
  const entry = () => fb.add(fb.mul(fb.get(o), fb.c(p.win)), fb.get(k));
  const take = p.kind === 'max'
    // the interpreter's rule: a larger value, the first cell, or a NaN replaces the maximum
    ? mod.if(mod.i32.or(mod.i32.or(m.gt(fb.get(v, f64), fb.get(s, f64)), fb.get(first)), m.ne(fb.get(v, f64), fb.get(v, f64))), mod.block(null, [
      fb.set(s, fb.get(v, f64)),
      fb.set(first, fb.c(0)),
      ...(p.indices ? [fb.set(best, mod.i32.load(0, 4, fb.at(fb.c(p.indices.ids), entry())))] : []),
    ]))
    : fb.set(s, m.add(fb.get(s, f64), fb.get(v, f64)));
  fb.finish(name, [fb.for(o, fb.c(0), fb.c(p.outs), 1, [
    fb.set(s, m.const(p.kind === 'max' ? -Infinity : 0)),
    fb.set(n, m.const(0)),
    fb.set(first, fb.c(1)),
    fb.set(best, fb.c(-1)),
    fb.for(k, fb.c(0), fb.c(p.win), 1, [
      fb.set(j, mod.i32.load(0, 4, fb.at(fb.c(p.table), entry()))),
      mod.if(mod.i32.ge_s(fb.get(j), fb.c(0)), mod.block(null, [
        fb.set(v, loadF64(mod, p.et, fb.add(fb.c(p.x), fb.mul(fb.get(j), fb.c(bytes))))),
        take,
        fb.set(n, m.add(fb.get(n, f64), m.const(1))),
      ]), p.countPad ? mod.if(mod.i32.eq(fb.get(j), fb.c(-1)), fb.set(n, m.add(fb.get(n, f64), m.const(1)))) : undefined),
    ]),
    storeF64(mod, p.et, fb.add(fb.c(p.y), fb.mul(fb.get(o), fb.c(bytes))), p.kind === 'max' ? fb.get(s, f64) : m.div(fb.get(s, f64), fb.get(n, f64)), tmp),
    ...(p.indices ? [mod.i64.store(0, 8, fb.add(fb.c(p.indices.y), fb.mul(fb.get(o), fb.c(8))), mod.i64.extend_s(fb.get(best)))] : []),
  ])]);
}
