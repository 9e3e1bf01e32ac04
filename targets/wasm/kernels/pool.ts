// Pooling through window tables.
import type { binaryen } from '../emit.js';
import { f32, FnBuilder, i32 } from '../emit.js';

/** Pooling through a window table: for output o, `win` entries of input indices (-1 = padding). */
export function windowPool(mod: binaryen.Module, name: string, p: { kind: 'max' | 'avg'; x: number; y: number; table: number; outs: number; win: number; countPad: boolean }): void {
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), k = fb.local(i32), j = fb.local(i32), s = fb.local(f32), n = fb.local(f32);
  fb.finish(name, [fb.for(o, fb.c(0), fb.c(p.outs), 1, [
    fb.set(s, mod.f32.const(p.kind === 'max' ? -Infinity : 0)),
    fb.set(n, mod.f32.const(0)),
    fb.for(k, fb.c(0), fb.c(p.win), 1, [
      fb.set(j, mod.i32.load(0, 4, fb.at(fb.c(p.table), fb.add(fb.mul(fb.get(o), fb.c(p.win)), fb.get(k))))),
      mod.if(mod.i32.ge_s(fb.get(j), fb.c(0)), mod.block(null, [
        fb.set(s, p.kind === 'max' ? mod.f32.max(fb.get(s, f32), mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.get(j)))) : mod.f32.add(fb.get(s, f32), mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.get(j))))),
        fb.set(n, mod.f32.add(fb.get(n, f32), mod.f32.const(1))),
      ]), p.countPad ? mod.if(mod.i32.eq(fb.get(j), fb.c(-1)), fb.set(n, mod.f32.add(fb.get(n, f32), mod.f32.const(1)))) : undefined),
    ]),
    mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.get(o)), p.kind === 'max' ? fb.get(s, f32) : mod.f32.div(fb.get(s, f32), fb.get(n, f32))),
  ])]);
}
