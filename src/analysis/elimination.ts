// Planning channel elimination: channels that are coupled (the same channel seen through
// element-wise ops, residual adds, concat offsets, flatten blocks, conv groups) form classes in a
// union-find; a class can go when every member is dead, zero, or constant with every weighted
// consumer able to fold the constant into its bias, and no member is a function input or output
// or passes through an op the analysis cannot see through.
import { getOpDef } from '../dialects/index.js';
import type { Func, Op, Value } from '../ir/core.js';
import { OpContext, type ChannelMap, type MaskInputs } from '../ir/opdef.js';
import { analyzeChannels, type ChannelInfo } from './channels.js';
import { opaqueMask } from './transfer.js';
import { weightView } from './weighted.js';
import { activationOf, constValue, exactIntAccumulation, intMagnitude, maxAbs } from '../pass/helpers.js';
import { isInteger } from '../ir/types.js';

export interface EliminationPlan {
  info: Map<Value, ChannelInfo>;
  /** Channels to remove, per value (sorted). */
  removed: Map<Value, number[]>;
}


/**
 * Whether a weighted op can fold a constant input channel into its bias exactly. For integer
 * element types the folded bias (computed in f64, then wrapped to the type) and the remaining
 * products must stay exact in the interpreter's f64 accumulation (see exactIntAccumulation).
 */
function canAbsorbConstant(op: Op, c: OpContext, opts: EliminationOptions): boolean {
  const et = op.results[0]!.type.elementType;
  const bias = op.operands.length > 2 ? constValue(op.operand(2)) : undefined;
  if (op.operands.length > 2 && !bias) return false;
  const scale = op.name === 'nn.gemm' ? Math.abs(c.float('beta')) : 1;
  if (isInteger(et) && !exactIntAccumulation(op, Math.max(bias ? scale * maxAbs(bias) : 0, intMagnitude(et)!))) return false;
  if (op.name === 'nn.conv') {
    if (c.int('group') !== 1) return false;
    const pads = c.hasAttr('pads') ? c.ints('pads') : [];
    const auto = c.hasAttr('auto_pad') ? c.string('auto_pad') : 'NOTSET';
    if (pads.every((p) => p === 0) && (auto === 'NOTSET' || auto === 'VALID')) return true;
    if (!opts.foldPadded) return false;
    // Padding mixes zeros into a constant channel at the borders: the output then gains a constant
    // map per position (computed at compile time, added after the conv), which needs static shapes,
    // floats (the map is no integer fold the interpreter's wrapping would reproduce) and no fused
    // activation between the sum and the add.
    const static_ = [op.operand(0), op.results[0]!].every((v) => v.type.shape.every((d) => typeof d === 'number'));
    return static_ && !isInteger(et) && activationOf(op) === 'none';
  }
  if (op.name === 'nn.gemm' || op.name === 'nn.matmul') {
    // Only a bias that is the same for every row (a per-column C) can take a per-column constant.
    return !bias || bias.shape.length < 2 || bias.shape[0] === 1;
  }
  return false;
}

export interface EliminationOptions {
  /**
   * Fold constant channels into padded convolutions too, adding a constant [1, M, ...spatial] map
   * for the borders after them: fewer multiply-adds, but the map may hold more values than the
   * weights it removes (off by default).
   */
  readonly foldPadded?: boolean;
}

export function planElimination(f: Func, opts: EliminationOptions = {}): EliminationPlan {
  const info = analyzeChannels(f);
  const ids = new Map<Value, number>();
  let next = 0;
  for (const [v, ci] of info) {
    if (v.definingOp?.name === 'nn.constant') continue;
    ids.set(v, next);
    next += ci.facts.length;
  }
  const parent = Array.from({ length: next }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number) => void (parent[find(a)] = find(b));
  const blocked = new Uint8Array(next);
  const needsAbsorb = new Uint8Array(next); // a used constant member feeding a weighted op
  const node = (v: Value, ch: number) => ids.get(v)! + ch;
  const blockAll = (v: Value) => {
    const id = ids.get(v);
    if (id !== undefined) for (let k = 0; k < info.get(v)!.facts.length; k++) blocked[id + k] = 1;
  };
  f.args.forEach(blockAll);
  f.returnValues.forEach(blockAll);

  for (const op of f.ops) {
    if (op.name === 'return' || op.name === 'nn.constant') continue;
    const def = getOpDef(op.name);
    const c = new OpContext(op, def!);
    op.results.slice(1).forEach(blockAll);
    const res = op.results[0];
    const resId = res ? ids.get(res) : undefined;
    const isWeighted = ['nn.conv', 'nn.gemm', 'nn.matmul'].includes(op.name);
    if (isWeighted) {
      const in_: MaskInputs = { facts: op.operands.map((v) => info.get(v)?.facts), consts: op.operands.map((v) => constValue(v)) };
      const view = weightView(c, in_);
      const x = op.operand(0);
      if (!view || ids.get(x) === undefined || resId === undefined || (op.operands.length > 2 && !constValue(op.operand(2)))) {
        op.operands.forEach(blockAll);
        blockAll(res!);
        continue;
      }
      const g = op.name === 'nn.conv' ? c.int('group') : 1;
      if (g > 1) {
        // Grouped (and depthwise) convs couple a group's input and output channels: whole groups only.
        const cin = view.ins / g, cout = view.outs / g;
        for (let gi = 0; gi < g; gi++) {
          const first = node(x, gi * cin);
          for (let k = 0; k < cin; k++) union(node(x, gi * cin + k), first);
          for (let k = 0; k < cout; k++) union(node(res!, gi * cout + k), first);
        }
      } else {
        const absorb = canAbsorbConstant(op, c, opts);
        const xf = info.get(x)!;
        xf.facts.forEach((fact, ch) => {
          if (fact.k === 'C' && xf.used[ch] && !absorb) needsAbsorb[node(x, ch)] = 1;
        });
      }
      continue;
    }
    const maps: ChannelMap[] = (def?.mask?.map ?? opaqueMask.map!)(c);
    if (resId === undefined) {
      op.operands.forEach(blockAll);
      continue;
    }
    op.operands.forEach((v, i) => {
      const m = maps[i] ?? ({ kind: 'opaque' } as ChannelMap);
      const vid = ids.get(v);
      if (vid === undefined) {
        // An operand without facts of its own (a constant, or a value without a static channel
        // axis). The rewrite shrinks only dense constants, and only along a 'same' axis or within
        // a concat member's range; broadcast operands stay as they are. Where such an operand
        // carries result channels any other way, the result keeps all of its channels.
        const t = constValue(v);
        switch (m.kind) {
          case 'uniform': break;
          case 'same': if (!t && v.type.shape[m.axis] !== 1) blockAll(res!); break;
          case 'offset': if (!t) blockAll(res!); break;
          case 'opaque': if (t && v.type.rank >= 2 && v.type.shape[1] !== 1) blockAll(res!); break;
          default: blockAll(res!);
        }
        return;
      }
      const n = info.get(v)!.facts.length;
      switch (m.kind) {
        case 'same':
          if (m.axis === 1) for (let ch = 0; ch < n; ch++) union(node(v, ch), node(res!, ch));
          else { blockAll(v); blockAll(res!); }
          break;
        case 'offset':
          for (let ch = 0; ch < n; ch++) union(node(v, ch), node(res!, ch + m.offset));
          break;
        case 'slice':
          for (let ch = 0; ch < m.count; ch++) union(node(v, m.start + ch), node(res!, ch));
          break;
        case 'block':
          for (let ch = 0; ch < n; ch++) for (let k = 0; k < m.size; k++) union(node(v, ch), node(res!, ch * m.size + k));
          break;
        case 'uniform':
          blockAll(v);
          break;
        default:
          blockAll(v);
          blockAll(res!);
      }
    });
  }

  // A class goes when no member is blocked, live-and-used, or a constant its consumer cannot absorb.
  const bad = new Uint8Array(next);
  for (const [v, id] of ids) {
    const ci = info.get(v)!;
    ci.facts.forEach((fact, ch) => {
      const i = id + ch;
      if (blocked[i] || needsAbsorb[i] || (ci.used[ch] && fact.k === 'L')) bad[find(i)] = 1;
    });
  }
  // Removing every channel of a tensor would leave it empty: keep (all of) such classes.
  for (;;) {
    let changed = false;
    for (const [v, id] of ids) {
      const n = info.get(v)!.facts.length;
      let all = true;
      for (let ch = 0; ch < n && all; ch++) if (bad[find(id + ch)]) all = false;
      if (all && n > 0) {
        for (let ch = 0; ch < n; ch++) bad[find(id + ch)] = 1;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const removed = new Map<Value, number[]>();
  for (const [v, id] of ids) {
    const n = info.get(v)!.facts.length;
    const r: number[] = [];
    for (let ch = 0; ch < n; ch++) if (!bad[find(id + ch)]) r.push(ch);
    if (r.length) removed.set(v, r);
  }
  return { info, removed };
}
