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

/** Pooling windows walked by arithmetic (no table): 1-d to 3-d spatial dims, given here as 3-d. */
export interface DirectPool {
  kind: 'max' | 'avg';
  x: number; y: number; et: WasmElementType;
  /** N * C. */
  planes: number;
  /** Input and output spatial sizes, kernel, strides, dilations, begin and end pads: 3 each. */
  inSp: number[]; outSp: number[]; kernel: number[]; strides: number[]; dilations: number[]; padBegin: number[]; padEnd: number[];
  countPad: boolean;
}

/**
 * The same results as windowPool, cell for cell: a cell inside the input is taken (max: a larger
 * value, the first cell or a NaN replaces the maximum; avg: summed and counted); a cell in the padding
 * (before the input's end pad) counts for average pooling with count_include_pad.
 */
export function directPool(mod: binaryen.Module, name: string, p: DirectPool): void {
  const fb = new FnBuilder(mod, []);
  const m = mod.f64;
  const bytes = elemBytes(p.et);
  const pl = fb.local(i32), o = [fb.local(i32), fb.local(i32), fb.local(i32)], k = [fb.local(i32), fb.local(i32), fb.local(i32)], pos = [fb.local(i32), fb.local(i32), fb.local(i32)];
  const s = fb.local(f64), n = fb.local(f64), v = fb.local(f64), first = fb.local(i32), tmp = fb.local(f64), out = fb.local(i32);
  const [D, H, W] = p.inSp as [number, number, number];
  const inPlane = D * H * W;
  const at = (dim: number) => fb.set(pos[dim]!, fb.add(mod.i32.sub(fb.mul(fb.get(o[dim]!), fb.c(p.strides[dim]!)), fb.c(p.padBegin[dim]!)), fb.mul(fb.get(k[dim]!), fb.c(p.dilations[dim]!))));
  const inside = () => mod.i32.and(mod.i32.and(mod.i32.lt_u(fb.get(pos[0]!), fb.c(D)), mod.i32.lt_u(fb.get(pos[1]!), fb.c(H))), mod.i32.lt_u(fb.get(pos[2]!), fb.c(W)));
  const inPadded = () => mod.i32.and(mod.i32.and(mod.i32.lt_s(fb.get(pos[0]!), fb.c(D + p.padEnd[0]!)), mod.i32.lt_s(fb.get(pos[1]!), fb.c(H + p.padEnd[1]!))), mod.i32.lt_s(fb.get(pos[2]!), fb.c(W + p.padEnd[2]!)));
  const cell = fb.add(fb.mul(fb.get(pl), fb.c(inPlane)), fb.add(fb.mul(fb.add(fb.mul(fb.get(pos[0]!), fb.c(H)), fb.get(pos[1]!)), fb.c(W)), fb.get(pos[2]!)));
  const take = p.kind === 'max'
    ? mod.if(mod.i32.or(mod.i32.or(m.gt(fb.get(v, f64), fb.get(s, f64)), fb.get(first)), m.ne(fb.get(v, f64), fb.get(v, f64))), mod.block(null, [fb.set(s, fb.get(v, f64)), fb.set(first, fb.c(0))]))
    : fb.set(s, m.add(fb.get(s, f64), fb.get(v, f64)));
  const one = () => fb.set(n, m.add(fb.get(n, f64), m.const(1)));
  const visit = mod.block(null, [
    at(0), at(1), at(2),
    mod.if(inside(), mod.block(null, [fb.set(v, loadF64(mod, p.et, fb.add(fb.c(p.x), fb.mul(cell, fb.c(bytes))))), take, one()]),
      p.countPad ? mod.if(inPadded(), one()) : undefined),
  ]);
  const window = fb.for(k[0]!, fb.c(0), fb.c(p.kernel[0]!), 1, [fb.for(k[1]!, fb.c(0), fb.c(p.kernel[1]!), 1, [fb.for(k[2]!, fb.c(0), fb.c(p.kernel[2]!), 1, [visit])])]);
  const result = p.kind === 'max' ? fb.get(s, f64) : m.div(fb.get(s, f64), fb.get(n, f64));
  const perOutput = [
    fb.set(s, m.const(p.kind === 'max' ? -Infinity : 0)), fb.set(n, m.const(0)), fb.set(first, fb.c(1)),
    window,
    storeF64(mod, p.et, fb.add(fb.c(p.y), fb.mul(fb.get(out), fb.c(bytes))), result, tmp),
    fb.set(out, fb.add(fb.get(out), fb.c(1))),
  ];
  fb.finish(name, [fb.set(out, fb.c(0)), fb.for(pl, fb.c(0), fb.c(p.planes), 1, [
    fb.for(o[0]!, fb.c(0), fb.c(p.outSp[0]!), 1, [fb.for(o[1]!, fb.c(0), fb.c(p.outSp[1]!), 1, [fb.for(o[2]!, fb.c(0), fb.c(p.outSp[2]!), 1, perOutput)])]),
  ])]);
}
