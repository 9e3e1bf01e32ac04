// Data movement: copies driven by index tables computed at compile time, and gathers whose indices
// are only known at run time.
import { FnBuilder, i32, type binaryen } from '../emit.js';
import { elemBytes, type WasmElementType } from '../dtype.js';
import { copyElement, loadF64, storeBits } from './element.js';

/**
 * y[i] = x[idx[i]] for elements of `bytes` width; where idx[i] is -1 the fill bit pattern is
 * written (padding), where it is -2 y[i] is left as it is (another operand's element).
 */
export function tableCopy(mod: binaryen.Module, name: string, p: { x: number; y: number; idx: number; size: number; bytes: number; fill: Uint8Array }): void {
  const fb = new FnBuilder(mod, []);
  const i = fb.local(i32), j = fb.local(i32);
  const addr = (base: number, e: number) => fb.add(fb.c(base), fb.mul(e, fb.c(p.bytes)));
  fb.finish(name, [fb.for(i, fb.c(0), fb.c(p.size), 1, [
    fb.set(j, mod.i32.load(0, 4, fb.at(fb.c(p.idx), fb.get(i)))),
    mod.if(mod.i32.ge_s(fb.get(j), fb.c(0)),
      copyElement(mod, p.bytes, addr(p.y, fb.get(i)), addr(p.x, fb.get(j))),
      mod.if(mod.i32.eq(fb.get(j), fb.c(-1)), storeBits(mod, p.bytes, addr(p.y, fb.get(i)), p.fill))),
  ])]);
}

/** A contiguous copy of `bytes` bytes. */
export function blockCopy(mod: binaryen.Module, name: string, p: { x: number; y: number; bytes: number }): void {
  const fb = new FnBuilder(mod, []);
  fb.finish(name, [mod.memory.copy(fb.c(p.y), fb.c(p.x), fb.c(p.bytes))]);
}

/**
 * Gather along an axis with indices read at run time: y[o, j, :] = x[o, idx[j], :], negative
 * indices counting from the end; an index out of range traps.
 */
export function runtimeGather(mod: binaryen.Module, name: string, p: { x: number; y: number; idx: number; idxEt: WasmElementType; outer: number; axisLen: number; count: number; innerBytes: number }): void {
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), j = fb.local(i32), k = fb.local(i32);
  const idxBytes = elemBytes(p.idxEt);
  fb.finish(name, [fb.for(o, fb.c(0), fb.c(p.outer), 1, [fb.for(j, fb.c(0), fb.c(p.count), 1, [
    fb.set(k, mod.i32.trunc_s_sat.f64(loadF64(mod, p.idxEt, fb.add(fb.c(p.idx), fb.mul(fb.get(j), fb.c(idxBytes)))))),
    mod.if(mod.i32.lt_s(fb.get(k), fb.c(0)), fb.set(k, fb.add(fb.get(k), fb.c(p.axisLen)))),
    mod.if(mod.i32.ge_u(fb.get(k), fb.c(p.axisLen)), mod.unreachable()),
    mod.memory.copy(
      fb.add(fb.c(p.y), fb.mul(fb.add(fb.mul(fb.get(o), fb.c(p.count)), fb.get(j)), fb.c(p.innerBytes))),
      fb.add(fb.c(p.x), fb.mul(fb.add(fb.mul(fb.get(o), fb.c(p.axisLen)), fb.get(k)), fb.c(p.innerBytes))),
      fb.c(p.innerBytes)),
  ])])]);
}
