// Reductions over one axis of a (outer, len, inner) view, softmax along an axis, and the
// normalisations (layer, instance, LRN). Statistics are computed in f64, as the interpreter does.
import { f32, f64, FnBuilder, i32, v128, type binaryen, type Expr } from '../emit.js';
import { elemBytes, type WasmElementType } from '../dtype.js';
import { loadF64, storeF64 } from './element.js';
import { VecMath } from './math.js';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sum_square' | 'l1' | 'l2' | 'log_sum' | 'log_sum_exp';


/** y[o, i] = reduce over k of x[o, k, i]. */
export function reduceKernel(mod: binaryen.Module, name: string, p: { kind: ReduceKind; x: number; et: WasmElementType; y: number; outEt: WasmElementType; outer: number; len: number; inner: number }): void {
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), k = fb.local(i32), ii = fb.local(i32), acc = fb.local(f64), v = fb.local(f64), tmp = fb.local(f64);
  const m = mod.f64;
  const get = (l: number) => fb.get(l, f64);
  const init = { max: -Infinity, min: Infinity, prod: 1 }[p.kind as string] ?? 0;
  const step: Record<ReduceKind, () => Expr> = {
    sum: () => m.add(get(acc), get(v)),
    mean: () => m.add(get(acc), get(v)),
    max: () => mod.select(mod.i32.or(m.ne(get(v), get(v)), m.gt(get(v), get(acc))), get(v), get(acc)),
    min: () => mod.select(mod.i32.or(m.ne(get(v), get(v)), m.lt(get(v), get(acc))), get(v), get(acc)),
    prod: () => m.mul(get(acc), get(v)),
    sum_square: () => m.add(get(acc), m.mul(get(v), get(v))),
    l2: () => m.add(get(acc), m.mul(get(v), get(v))),
    l1: () => m.add(get(acc), m.abs(get(v))),
    log_sum: () => m.add(get(acc), get(v)),
    log_sum_exp: () => m.add(get(acc), mod.call('exp', [get(v)], f64)),
  };
  const finish = (): Expr => {
    if (p.kind === 'mean') return m.div(get(acc), m.const(p.len));
    if (p.kind === 'l2') return m.sqrt(get(acc));
    if (p.kind === 'log_sum' || p.kind === 'log_sum_exp') return mod.call('log', [get(acc)], f64);
    return get(acc);
  };
  fb.finish(name, [fb.for(o, fb.c(0), fb.c(p.outer), 1, [fb.for(ii, fb.c(0), fb.c(p.inner), 1, [
    fb.set(acc, m.const(init)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [
      fb.set(v, loadF64(mod, p.et, fb.add(fb.c(p.x), fb.mul(fb.add(fb.mul(fb.add(fb.mul(fb.get(o), fb.c(p.len)), fb.get(k)), fb.c(p.inner)), fb.get(ii)), fb.c(elemBytes(p.et)))))),
      fb.set(acc, step[p.kind]()),
    ]),
    storeF64(mod, p.outEt, fb.add(fb.c(p.y), fb.mul(fb.add(fb.mul(fb.get(o), fb.c(p.inner)), fb.get(ii)), fb.c(elemBytes(p.outEt)))), finish(), tmp),
  ])])]);
}

/** Softmax (or log-softmax) of f32 x along the middle axis of (outer, len, inner). */
export function softmaxKernel(mod: binaryen.Module, name: string, p: { x: number; y: number; outer: number; len: number; inner: number; log: boolean }): void {
  if (p.inner === 1 && p.len >= 8) {
    softmaxRows(mod, name, p);
    return;
  }
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), ii = fb.local(i32), k = fb.local(i32), base = fb.local(i32), mx = fb.local(f32), sum = fb.local(f64), e = fb.local(f64);
  const off = () => fb.at(fb.c(0), fb.add(fb.get(base), fb.mul(fb.get(k), fb.c(p.inner))));
  const xAt = () => mod.f32.load(0, 4, fb.add(fb.c(p.x), off()));
  const yAddr = () => fb.add(fb.c(p.y), off());
  const exp = (x: Expr) => mod.call('exp', [x], f64);
  fb.finish(name, [fb.for(o, fb.c(0), fb.c(p.outer), 1, [fb.for(ii, fb.c(0), fb.c(p.inner), 1, [
    fb.set(base, fb.add(fb.mul(fb.get(o), fb.c(p.len * p.inner)), fb.get(ii))),
    fb.set(mx, mod.f32.const(-Infinity)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [fb.set(mx, mod.f32.max(fb.get(mx, f32), xAt()))]),
    fb.set(sum, mod.f64.const(0)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [
      fb.set(e, exp(mod.f64.promote(mod.f32.sub(xAt(), fb.get(mx, f32))))),
      ...(p.log ? [] : [mod.f32.store(0, 4, yAddr(), mod.f32.demote(fb.get(e, f64)))]),
      fb.set(sum, mod.f64.add(fb.get(sum, f64), fb.get(e, f64))),
    ]),
    ...(p.log
      ? [fb.set(sum, mod.call('log', [fb.get(sum, f64)], f64)), fb.for(k, fb.c(0), fb.c(p.len), 1, [
        mod.f32.store(0, 4, yAddr(), mod.f32.demote(mod.f64.sub(mod.f64.promote(mod.f32.sub(xAt(), fb.get(mx, f32))), fb.get(sum, f64))))])]
      : [fb.set(sum, mod.f64.div(mod.f64.const(1), fb.get(sum, f64))), fb.for(k, fb.c(0), fb.c(p.len), 1, [
        mod.f32.store(0, 4, yAddr(), mod.f32.demote(mod.f64.mul(mod.f64.promote(mod.f32.load(0, 4, yAddr())), fb.get(sum, f64))))])]),
  ])])]);
}

/**
 * Softmax along contiguous rows (the last axis), f32x4: the row's max, then exp4(x - max) stored and
 * summed in four lanes, then scaled by 1 / sum (log-softmax: (x - max) - log(sum)); the last len % 4
 * values of a row go through the scalar f64 exp.
 */
function softmaxRows(mod: binaryen.Module, name: string, p: { x: number; y: number; outer: number; len: number; log: boolean }): void {
  const fb = new FnBuilder(mod, []);
  const o = fb.local(i32), k = fb.local(i32), xr = fb.local(i32), yr = fb.local(i32), mx = fb.local(v128), sum = fb.local(v128), e = fb.local(v128), m = fb.local(f32), s = fb.local(f32), es = fb.local(f32);
  const v = mod.f32x4, L4 = p.len - (p.len % 4), vm = new VecMath(mod, fb);
  const lane = (a: number, i: number) => v.extract_lane(fb.get(a, v128), i);
  const xv = () => mod.v128.load(0, 4, fb.at(fb.get(xr), fb.get(k))), xs = () => mod.f32.load(0, 4, fb.at(fb.get(xr), fb.get(k)));
  const yAt = () => fb.at(fb.get(yr), fb.get(k));
  const rows = fb.for(o, fb.c(0), fb.c(p.outer), 1, [
    fb.set(xr, fb.add(fb.c(p.x), fb.mul(fb.get(o), fb.c(4 * p.len)))),
    fb.set(yr, fb.add(fb.c(p.y), fb.mul(fb.get(o), fb.c(4 * p.len)))),
    fb.set(mx, v.splat(mod.f32.const(-Infinity))),
    fb.for(k, fb.c(0), fb.c(L4), 4, [fb.set(mx, v.max(fb.get(mx, v128), xv()))]),
    fb.set(m, mod.f32.max(mod.f32.max(lane(mx, 0), lane(mx, 1)), mod.f32.max(lane(mx, 2), lane(mx, 3)))),
    fb.for(k, fb.c(L4), fb.c(p.len), 1, [fb.set(m, mod.f32.max(fb.get(m, f32), xs()))]),
    fb.set(sum, v.splat(mod.f32.const(0))),
    fb.for(k, fb.c(0), fb.c(L4), 4, [
      fb.set(e, vm.exp(v.sub(xv(), v.splat(fb.get(m, f32))))),
      ...(p.log ? [] : [mod.v128.store(0, 4, yAt(), fb.get(e, v128))]),
      fb.set(sum, v.add(fb.get(sum, v128), fb.get(e, v128))),
    ]),
    fb.set(s, mod.f32.add(mod.f32.add(lane(sum, 0), lane(sum, 1)), mod.f32.add(lane(sum, 2), lane(sum, 3)))),
    fb.for(k, fb.c(L4), fb.c(p.len), 1, [
      fb.set(es, mod.f32.demote(mod.call('exp', [mod.f64.promote(mod.f32.sub(xs(), fb.get(m, f32)))], f64))),
      ...(p.log ? [] : [mod.f32.store(0, 4, yAt(), fb.get(es, f32))]),
      fb.set(s, mod.f32.add(fb.get(s, f32), fb.get(es, f32))),
    ]),
    ...(p.log
      ? [
        // y = (x - max) - log(sum): x - max first, exact for values near the max (large logits)
        fb.set(s, mod.f32.demote(mod.call('log', [mod.f64.promote(fb.get(s, f32))], f64))),
        fb.for(k, fb.c(0), fb.c(L4), 4, [mod.v128.store(0, 4, yAt(), v.sub(v.sub(xv(), v.splat(fb.get(m, f32))), v.splat(fb.get(s, f32))))]),
        fb.for(k, fb.c(L4), fb.c(p.len), 1, [mod.f32.store(0, 4, yAt(), mod.f32.sub(mod.f32.sub(xs(), fb.get(m, f32)), fb.get(s, f32)))]),
      ]
      : [
        fb.set(s, mod.f32.div(mod.f32.const(1), fb.get(s, f32))),
        fb.for(k, fb.c(0), fb.c(L4), 4, [mod.v128.store(0, 4, yAt(), v.mul(mod.v128.load(0, 4, yAt()), v.splat(fb.get(s, f32))))]),
        fb.for(k, fb.c(L4), fb.c(p.len), 1, [mod.f32.store(0, 4, yAt(), mod.f32.mul(mod.f32.load(0, 4, yAt()), fb.get(s, f32)))]),
      ]),
  ]);
  fb.finish(name, [...vm.prologue, rows]);
}

export interface NormSpec {
  x: number; y: number; rows: number; len: number; eps: number;
  scale: number; bias?: number;
  /** Which scale/bias element a value uses: its position in the row modulo `size` (layer norm), or its row modulo `size` (instance norm: the channel). */
  by: 'position' | 'row'; size: number;
  /** Optional statistics outputs (layer norm): mean and 1/stddev per row. */
  mean?: number; invStd?: number;
}

/** y = (x - mean(row)) / sqrt(var(row) + eps) * scale + bias over rows of `len` f32 values. */
export function normKernel(mod: binaryen.Module, name: string, p: NormSpec): void {
  const fb = new FnBuilder(mod, []);
  const r = fb.local(i32), k = fb.local(i32), base = fb.local(i32), s = fb.local(f64), q = fb.local(f64), mu = fb.local(f64), inv = fb.local(f64), d = fb.local(f64), si = fb.local(i32);
  const m = mod.f64;
  const xAt = () => m.promote(mod.f32.load(0, 4, fb.at(fb.c(p.x), fb.add(fb.get(base), fb.get(k)))));
  const param = (addr: number) => m.promote(mod.f32.load(0, 4, fb.at(fb.c(addr), fb.get(si))));
  fb.finish(name, [fb.for(r, fb.c(0), fb.c(p.rows), 1, [
    fb.set(base, fb.mul(fb.get(r), fb.c(p.len))),
    fb.set(s, m.const(0)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [fb.set(s, m.add(fb.get(s, f64), xAt()))]),
    fb.set(mu, m.div(fb.get(s, f64), m.const(p.len))),
    fb.set(q, m.const(0)),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [fb.set(d, m.sub(xAt(), fb.get(mu, f64))), fb.set(q, m.add(fb.get(q, f64), m.mul(fb.get(d, f64), fb.get(d, f64))))]),
    fb.set(inv, m.div(m.const(1), m.sqrt(m.add(m.div(fb.get(q, f64), m.const(p.len)), m.const(p.eps))))),
    ...(p.mean !== undefined ? [mod.f32.store(0, 4, fb.at(fb.c(p.mean), fb.get(r)), mod.f32.demote(fb.get(mu, f64)))] : []),
    ...(p.invStd !== undefined ? [mod.f32.store(0, 4, fb.at(fb.c(p.invStd), fb.get(r)), mod.f32.demote(fb.get(inv, f64)))] : []),
    ...(p.by === 'row' ? [fb.set(si, mod.i32.rem_u(fb.get(r), fb.c(p.size)))] : []),
    fb.for(k, fb.c(0), fb.c(p.len), 1, [
      ...(p.by === 'position' ? [fb.set(si, p.size === p.len ? fb.get(k) : mod.i32.rem_u(fb.get(k), fb.c(p.size)))] : []),
      mod.f32.store(0, 4, fb.at(fb.c(p.y), fb.add(fb.get(base), fb.get(k))), mod.f32.demote(
        m.add(m.mul(m.mul(m.sub(xAt(), fb.get(mu, f64)), fb.get(inv, f64)), param(p.scale)), p.bias !== undefined ? param(p.bias) : m.const(0)))),
    ]),
  ])]);
}

/** LRN across channels: y = x / (bias + alpha/size * sum of x^2 over the channel window)^beta. */
export function lrnKernel(mod: binaryen.Module, name: string, p: { x: number; y: number; N: number; C: number; inner: number; alpha: number; beta: number; bias: number; size: number }): void {
  const fb = new FnBuilder(mod, []);
  const n = fb.local(i32), ch = fb.local(i32), i = fb.local(i32), k = fb.local(i32), hi = fb.local(i32), s = fb.local(f64), v = fb.local(f64);
  const lo = Math.floor((p.size - 1) / 2), up = Math.ceil((p.size - 1) / 2);
  const at = (c: Expr) => fb.at(fb.c(0), fb.add(fb.mul(fb.add(fb.mul(fb.get(n), fb.c(p.C)), c), fb.c(p.inner)), fb.get(i)));
  fb.finish(name, [fb.for(n, fb.c(0), fb.c(p.N), 1, [fb.for(ch, fb.c(0), fb.c(p.C), 1, [fb.for(i, fb.c(0), fb.c(p.inner), 1, [
    fb.set(s, mod.f64.const(0)),
    fb.set(hi, mod.select(mod.i32.lt_s(fb.add(fb.get(ch), fb.c(up)), fb.c(p.C - 1)), fb.add(fb.get(ch), fb.c(up)), fb.c(p.C - 1))),
    fb.for(k, mod.select(mod.i32.gt_s(mod.i32.sub(fb.get(ch), fb.c(lo)), fb.c(0)), mod.i32.sub(fb.get(ch), fb.c(lo)), fb.c(0)), fb.add(fb.get(hi), fb.c(1)), 1, [
      fb.set(v, mod.f64.promote(mod.f32.load(p.x, 4, at(fb.get(k))))),
      fb.set(s, mod.f64.add(fb.get(s, f64), mod.f64.mul(fb.get(v, f64), fb.get(v, f64)))),
    ]),
    mod.f32.store(p.y, 4, at(fb.get(ch)), mod.f32.demote(mod.f64.div(mod.f64.promote(mod.f32.load(p.x, 4, at(fb.get(ch)))),
      mod.call('pow', [mod.f64.add(mod.f64.const(p.bias), mod.f64.mul(mod.f64.const(p.alpha / p.size), fb.get(s, f64))), mod.f64.const(p.beta)], f64)))),
  ])])])]);
}

/**
 * Batch norm in training mode: per channel, the batch mean and (population) variance over images
 * and positions normalise x; the running statistics outputs are mean * momentum + batch * (1 - momentum).
 */
export function batchNormTrainKernel(mod: binaryen.Module, name: string, p: { x: number; y: number; N: number; C: number; inner: number; eps: number; momentum: number; scale: number; bias: number; mean: number; variance: number; runMean?: number; runVar?: number }): void {
  const fb = new FnBuilder(mod, []);
  const c = fb.local(i32), n = fb.local(i32), i = fb.local(i32), base = fb.local(i32), s = fb.local(f64), q = fb.local(f64), mu = fb.local(f64), bv = fb.local(f64), k = fb.local(f64), off = fb.local(f64), d = fb.local(f64);
  const m = mod.f64;
  const count = p.N * p.inner;
  const at = () => fb.at(fb.c(0), fb.add(fb.get(base), fb.get(i)));
  const xAt = () => m.promote(mod.f32.load(p.x, 4, at()));
  const overAll = (body: Expr[]) => fb.for(n, fb.c(0), fb.c(p.N), 1, [fb.set(base, fb.mul(fb.add(fb.mul(fb.get(n), fb.c(p.C)), fb.get(c)), fb.c(p.inner))), fb.for(i, fb.c(0), fb.c(p.inner), 1, body)]);
  const param = (addr: number) => m.promote(mod.f32.load(addr, 4, fb.at(fb.c(0), fb.get(c))));
  fb.finish(name, [fb.for(c, fb.c(0), fb.c(p.C), 1, [
    fb.set(s, m.const(0)),
    overAll([fb.set(s, m.add(fb.get(s, f64), xAt()))]),
    fb.set(mu, m.div(fb.get(s, f64), m.const(count))),
    fb.set(q, m.const(0)),
    overAll([fb.set(d, m.sub(xAt(), fb.get(mu, f64))), fb.set(q, m.add(fb.get(q, f64), m.mul(fb.get(d, f64), fb.get(d, f64))))]),
    fb.set(bv, m.div(fb.get(q, f64), m.const(count))),
    fb.set(k, m.div(param(p.scale), m.sqrt(m.add(fb.get(bv, f64), m.const(p.eps))))),
    fb.set(off, m.sub(param(p.bias), m.mul(fb.get(mu, f64), fb.get(k, f64)))),
    overAll([mod.f32.store(p.y, 4, at(), mod.f32.demote(m.add(m.mul(xAt(), fb.get(k, f64)), fb.get(off, f64))))]),
    ...(p.runMean !== undefined ? [mod.f32.store(p.runMean, 4, fb.at(fb.c(0), fb.get(c)), mod.f32.demote(m.add(m.mul(param(p.mean), m.const(p.momentum)), m.mul(fb.get(mu, f64), m.const(1 - p.momentum)))))] : []),
    ...(p.runVar !== undefined ? [mod.f32.store(p.runVar, 4, fb.at(fb.c(0), fb.get(c)), mod.f32.demote(m.add(m.mul(param(p.variance), m.const(p.momentum)), m.mul(fb.get(bv, f64), m.const(1 - p.momentum)))))] : []),
  ])]);
}
