// Data movement: copies driven by index tables computed at compile time, and gathers whose indices
// are only known at run time.
import { FnBuilder, i32, type binaryen, type Expr } from '../emit.js';
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

/** A stretch of a copy table: `len` elements from `src` on (or, with src -1, the fill) written at `dst`. */
export interface CopyRun {
  dst: number;
  src: number;
  len: number;
}

/** Runs this many or fewer are unrolled into straight-line copies; more go through a table of runs. */
const UNROLL_RUNS = 32;

/**
 * A copy table as runs: contiguous stretches become one memory.copy (and fill stretches one memory.fill
 * when the fill is one repeated byte, a loop otherwise). Few runs are unrolled; many are read from a
 * table of (dst, src, len) triples at `table` (12 bytes per run instead of 4 per element).
 */
export function runCopy(mod: binaryen.Module, name: string, p: { x: number; y: number; runs: readonly CopyRun[]; table?: number; bytes: number; fill: Uint8Array }): void {
  const fb = new FnBuilder(mod, []);
  const b = p.bytes;
  const uniform = p.fill.every((v) => v === p.fill[0]);
  // Expressions are built fresh for each use (a binaryen expression may sit in one place of the tree only).
  type E = () => Expr;
  const fill = (dst: E, len: E): Expr => {
    if (uniform) return mod.memory.fill(fb.add(fb.c(p.y), fb.mul(dst(), fb.c(b))), fb.c(p.fill[0]!), fb.mul(len(), fb.c(b)));
    const k = fb.local(i32);
    return fb.for(k, dst(), fb.add(dst(), len()), 1, [storeBits(mod, b, fb.add(fb.c(p.y), fb.mul(fb.get(k), fb.c(b))), p.fill)]);
  };
  const copy = (dst: E, src: E, len: E): Expr => mod.memory.copy(fb.add(fb.c(p.y), fb.mul(dst(), fb.c(b))), fb.add(fb.c(p.x), fb.mul(src(), fb.c(b))), fb.mul(len(), fb.c(b)));
  if (p.table === undefined) {
    const body = p.runs.map((r) => (r.src < 0 ? fill(() => fb.c(r.dst), () => fb.c(r.len)) : copy(() => fb.c(r.dst), () => fb.c(r.src), () => fb.c(r.len))));
    fb.finish(name, body.length ? body : [mod.nop()]);
    return;
  }
  const r = fb.local(i32), dst = fb.local(i32), src = fb.local(i32), len = fb.local(i32);
  const field = (k: number) => mod.i32.load(4 * k, 4, fb.add(fb.c(p.table!), fb.mul(fb.get(r), fb.c(12))));
  fb.finish(name, [fb.for(r, fb.c(0), fb.c(p.runs.length), 1, [
    fb.set(dst, field(0)), fb.set(src, field(1)), fb.set(len, field(2)),
    mod.if(mod.i32.lt_s(fb.get(src), fb.c(0)), fill(() => fb.get(dst), () => fb.get(len)), copy(() => fb.get(dst), () => fb.get(src), () => fb.get(len))),
  ])]);
}

/** Whether runs of this count serve better than the element table they replace, and whether to unroll them. */
export function runPlan(runs: number, elements: number): 'unrolled' | 'table' | 'elements' {
  if (runs <= UNROLL_RUNS) return 'unrolled';
  return runs * 3 <= elements / 2 ? 'table' : 'elements';
}
