// channel-elimination: removes dead, zero and constant channels physically (see
// src/analysis/elimination.ts for which channels may go). Producers lose weight rows and bias
// entries, consumers lose weight columns and fold constant channels into their bias, and every
// tensor in between shrinks; coupled channels (residual branches, concat members, groups) go together.
import { getOpDef } from '../src/dialects/index.js';
import { int } from '../src/ir/attributes.js';
import type { Func, Op, Value } from '../src/ir/core.js';
import { OpContext } from '../src/ir/opdef.js';
import { Tensor } from '../src/ir/tensor.js';
import { Builder } from '../src/ir/builder.js';
import { planElimination } from '../src/analysis/elimination.js';
import type { ChannelInfo } from '../src/analysis/channels.js';
import { convGeometry } from '../src/tensor-math/window.js';
import { definePass } from '../src/pass/define.js';
import { constValue } from '../src/pass/helpers.js';
import { fromF64, gatherElements, toF64 } from '../src/tensor-math/numeric.js';

const keepOf = (n: number, removed: readonly number[] = []): number[] => {
  const r = new Set(removed);
  return [...Array(n).keys()].filter((i) => !r.has(i));
};

/** t with only the indices `keep` along `axis` (elements copied as they are, so exact for every type). */
function take(t: Tensor, axis: number, keep: readonly number[]): Tensor {
  const len = t.shape[axis]!, inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1), outer = t.size / (len * inner) || 0;
  const map = new Int32Array(outer * keep.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) for (const j of keep) for (let i = 0; i < inner; i++) map[k++] = (o * len + j) * inner + i;
  const shape = [...t.shape];
  shape[axis] = keep.length;
  return gatherElements(t, shape, map);
}

/** Model size and work: constant elements, and multiply-adds of conv/gemm/matmul (symbolic dims as 1). */
export function costOf(f: Func): { params: number; macs: number } {
  let params = 0, macs = 0;
  const n = (d: number | string) => (typeof d === 'number' ? d : 1);
  for (const op of f.ops) {
    if (op.name === 'nn.constant') {
      const a = op.attrs.get('value');
      if (a?.kind === 'dense' && a.value.size > 1) params += a.value.size;
    }
    const out = op.results[0]?.type;
    if (!out) continue;
    const outSize = out.shape.reduce<number>((a, d) => a * n(d), 1);
    if (op.name.endsWith('.conv')) {
      const w = op.operand(1).type;
      macs += outSize * w.shape.slice(1).reduce<number>((a, d) => a * n(d), 1);
    } else if (op.name.endsWith('.gemm') || op.name.endsWith('.matmul')) {
      const a = op.operand(0).type;
      macs += outSize * n(a.shape[a.rank - 1]!);
    }
  }
  return { params, macs };
}

function eliminate(f: Func, stat: (k: string, n?: number) => void, foldPadded: boolean): void {
  const { info, removed } = planElimination(f, { foldPadded });
  if (removed.size === 0) return;
  const R = (v: Value) => removed.get(v) ?? [];
  const channels = (v: Value) => v.type.shape[1] as number;
  for (const op of [...f.ops]) {
    if (op.name === 'return' || op.name === 'nn.constant') continue;
    const b = new Builder(f).setInsertionPointBefore(op);
    const setConst = (i: number, t: Tensor) => op.setOperand(i, b.constant(t, op.operand(i).name ? { name: op.operand(i).name } : {}));
    const res = op.results[0]!;
    const c = new OpContext(op, getOpDef(op.name)!);
    if (op.name === 'nn.conv' || op.name === 'nn.gemm' || op.name === 'nn.matmul') {
      const x = op.operand(0);
      const rIn = R(x), rOut = R(res);
      if (!rIn.length && !rOut.length) continue;
      const w = constValue(op.operand(1))!;
      const xInfo = info.get(x)!;
      // Used constant input channels fold into the bias (the plan checked that this op can absorb
      // them exactly); dead ones only reach dead outputs and go without a trace.
      const folded = rIn.filter((ch) => xInfo.facts[ch]!.k === 'C' && xInfo.used[ch]);
      const factOf = (ch: number) => { const f = xInfo.facts[ch]!; return f.k === 'C' ? f.v : 0; };
      if (op.name === 'nn.conv') {
        const [M, Cg] = w.shape as [number, number];
        const g = c.int('group');
        const per = w.size / (M * Cg);
        const keepM = keepOf(M, rOut);
        let nw = take(w, 0, keepM);
        if (g === 1) nw = take(nw, 1, keepOf(Cg, rIn));
        setConst(1, nw);
        const b0 = op.operands.length > 2 ? constValue(op.operand(2))! : undefined;
        if (folded.length && g === 1) {
          const wv = toF64(w);
          const bias = b0 ? Float64Array.from(toF64(b0)) : new Float64Array(M);
          for (const ci of folded) {
            for (let m = 0; m < M; m++) {
              let s = 0;
              for (let j = 0; j < per; j++) s += wv[(m * Cg + ci) * per + j]!;
              bias[m]! += factOf(ci) * s;
            }
          }
          const nb = take(fromF64(w.elementType, [M], bias), 0, keepM);
          if (b0) setConst(2, nb);
          else op.setOperands([...op.operands, b.constant(nb)]);
          borderCorrection(op, c, w, folded.map((ci) => [ci, factOf(ci)]), keepM, info, removed);
        } else if (b0 && rOut.length) setConst(2, take(b0, 0, keepM));
        if (g > 1) op.setAttr('group', int(g - rIn.length / Cg));
      } else {
        const transB = op.name === 'nn.gemm' && c.int('transB') === 1;
        const alpha = op.name === 'nn.gemm' ? c.float('alpha') : 1;
        const beta = op.name === 'nn.gemm' ? c.float('beta') : 1;
        const [r0, r1] = w.shape as [number, number];
        const N = transB ? r0 : r1, K = transB ? r1 : r0;
        const keepN = keepOf(N, rOut), keepK = keepOf(K, rIn);
        setConst(1, transB ? take(take(w, 0, keepN), 1, keepK) : take(take(w, 0, keepK), 1, keepN));
        const cc = op.operands.length > 2 ? constValue(op.operand(2)) : undefined;
        if (folded.length) {
          // Only per-column biases absorb constants (the plan checked): the new bias is
          // beta * C + alpha * sum_k v_k * w[k, :], one value per kept column, and beta becomes 1.
          const wv = toF64(w);
          const bias = new Float64Array(N);
          if (cc) {
            const cv = toF64(cc);
            for (let n = 0; n < N; n++) bias[n] = beta * cv[cc.size === 1 ? 0 : n]!;
          }
          for (const k of folded) for (let n = 0; n < N; n++) bias[n]! += alpha * factOf(k) * (transB ? wv[n * K + k]! : wv[k * N + n]!);
          const nb = take(fromF64(w.elementType, [N], bias), 0, keepN);
          if (cc) setConst(2, nb);
          else op.setOperands([...op.operands, b.constant(nb)]);
          if (op.name === 'nn.gemm') op.setAttr('beta', { kind: 'float', value: 1 });
        } else if (cc && rOut.length && cc.shape.length > 0 && cc.shape[cc.shape.length - 1] === N && N > 1) {
          // C keeps its shape (a [M, N] C stays one row per M) and loses the removed columns.
          setConst(2, take(cc, cc.shape.length - 1, keepN));
        }
      }
      continue;
    }
    const rRes = R(res);
    const maps = getOpDef(op.name)?.mask?.map?.(c) ?? [];
    const dropped: number[] = [];
    op.operands.forEach((v, i) => {
      const m = maps[i];
      const t = constValue(v);
      if (!t || !m || !rRes.length) return;
      if (m.kind === 'same' && t.shape[m.axis] === channels(res)) setConst(i, take(t, m.axis, keepOf(channels(res), rRes)));
      if (m.kind === 'offset') {
        // A constant concat member loses the removed channels of its range, or leaves the concat.
        const n = t.shape[1]!;
        const gone = rRes.filter((r) => r >= m.offset && r < m.offset + n).map((r) => r - m.offset);
        if (gone.length === n) dropped.push(i);
        else if (gone.length) setConst(i, take(t, 1, keepOf(n, gone)));
      }
    });
    if (dropped.length) op.setOperands(op.operands.filter((_, i) => !dropped.includes(i)));
    if (op.name === 'nn.reshape' && rRes.length) {
      const spec = constValue(op.operand(1));
      if (spec && Number(spec.get(1)) !== -1) {
        const vals = Array.from({ length: spec.size }, (_, k) => BigInt(Number(spec.get(k))));
        vals[1] = BigInt(channels(res) - rRes.length);
        setConst(1, Tensor.from('i64', [vals.length], vals));
      }
    }
    if (op.name === 'nn.slice') {
      const m = maps[0];
      if (m?.kind === 'slice' && (R(op.operand(0)).length || rRes.length)) {
        const keepIn = keepOf(channels(op.operand(0)), R(op.operand(0)));
        const start = keepIn.filter((ch) => ch < m.start).length;
        const count = channels(res) - rRes.length;
        const axes = op.operands.length > 3 ? Array.from({ length: constValue(op.operand(3))!.size }, (_, k) => Number(constValue(op.operand(3))!.get(k))) : [...Array(constValue(op.operand(1))!.size).keys()];
        const starts = Array.from({ length: axes.length }, (_, k) => Number(constValue(op.operand(1))!.get(k)));
        const ends = Array.from({ length: axes.length }, (_, k) => Number(constValue(op.operand(2))!.get(k)));
        const k = axes.findIndex((a) => (a < 0 ? a + op.operand(0).type.rank : a) === 1);
        starts[k] = start;
        ends[k] = start + count;
        setConst(1, Tensor.from('i64', [starts.length], starts.map(BigInt)));
        setConst(2, Tensor.from('i64', [ends.length], ends.map(BigInt)));
      }
    }
  }
  let total = 0;
  for (const [v, r] of removed) {
    const shape = [...v.type.shape];
    shape[1] = (shape[1] as number) - r.length;
    v.type = v.type.withShape(shape);
    total += r.length;
  }
  stat('channels removed (summed over tensors)', total);
  stat('tensors shrunk', removed.size);
  for (const op of [...f.ops]) if (op.name === 'nn.constant' && !op.result(0).hasUses) op.erase();
}

/**
 * A padded convolution that folded constant input channels into its bias added them at every tap,
 * but at the borders some taps read padding (zeros): the output gets, per kept channel and
 * position, minus the folded constants times the weights of the taps that fall outside the input,
 * as a constant [1, M, ...spatial] map added right after the conv (exact: the interpreter computes
 * the same sums). Nothing is added when no tap of a folded channel reaches the padding.
 */
function borderCorrection(op: Op, c: OpContext, w: Tensor, folded: readonly [number, number][], keepM: readonly number[], info: Map<Value, ChannelInfo>, removed: Map<Value, number[]>): void {
  const xs = op.operand(0).type.shape as number[], y = op.results[0]!, ys = y.type.shape as number[];
  const kernel = w.shape.slice(2) as number[];
  const g = convGeometry(c, xs, kernel);
  if (g.pads.every((p) => p === 0)) return;
  const sp = xs.slice(2), osp = ys.slice(2), S = sp.length;
  const P = osp.reduce((a, b) => a * b, 1), T = kernel.reduce((a, b) => a * b, 1);
  const Cg = w.shape[1]!;
  const wv = toF64(w), corr = new Float64Array(keepM.length * P);
  const o = new Array<number>(S), k = new Array<number>(S);
  let any = false;
  for (let p = 0; p < P; p++) {
    for (let d = S - 1, r = p; d >= 0; d--) { o[d] = r % osp[d]!; r = Math.floor(r / osp[d]!); }
    for (let t = 0; t < T; t++) {
      for (let d = S - 1, r = t; d >= 0; d--) { k[d] = r % kernel[d]!; r = Math.floor(r / kernel[d]!); }
      let outside = false;
      for (let d = 0; d < S; d++) {
        const i = o[d]! * g.strides[d]! - g.pads[d]! + k[d]! * g.dilations[d]!;
        if (i < 0 || i >= sp[d]!) outside = true;
      }
      if (!outside) continue;
      keepM.forEach((m, mi) => {
        for (const [ci, v] of folded) corr[mi * P + p]! -= v * wv[(m * Cg + ci) * T + t]!;
      });
      any = true;
    }
  }
  if (!any) return;
  const b = new Builder(op.parent!).setInsertionPointAfter(op);
  const map = b.constant(fromF64(w.elementType, [1, keepM.length, ...osp], corr), { name: `${op.operand(1).name ?? 'conv'}_border` });
  const sum = b.create('nn.add', [y, map], {}, { types: [y.type], ...(op.loc ? { loc: op.loc } : {}) }).results[0]!;
  for (const u of [...y.users]) if (u !== sum.definingOp) u.operands.forEach((v: Value, i: number) => v === y && u.setOperand(i, sum));
  // the sum stands where the conv's output stood: the same facts, the same removed channels
  info.set(sum, info.get(y)!);
  const r = removed.get(y);
  if (r) removed.set(sum, r);
}

export default definePass({
  name: 'channel-elimination',
  summary: 'Removes dead, zero and constant channels physically, shrinking weights, biases and tensors.',
  description:
    'Uses the facts of mask-propagation (computed afresh). Coupled channels (residual branches, concat members, flatten blocks, conv groups) go together or not at all; constant channels are folded into the consumers biases (convolutions without padding; with fold-padded=true padded ones too, each then followed by the add of a constant per-position map for its borders, exact: fewer multiply-adds, though the map may hold more values than the weights it removes); function inputs and outputs keep their shapes. Statistics: channels removed, and parameters and multiply-adds before and after.',
  options: {
    'fold-padded': { type: 'bool', default: false, doc: 'fold constant channels into padded convolutions too, adding a constant per-position map for the borders after them (fewer multiply-adds; the map may hold more values than the weights removed)' },
  },
  run(module, ctx) {
    for (const f of module.funcs) {
      const before = costOf(f);
      eliminate(f, ctx.stat, ctx.options['fold-padded']);
      const after = costOf(f);
      ctx.stat('parameters before', before.params);
      ctx.stat('parameters after', after.params);
      ctx.stat('multiply-adds before', before.macs);
      ctx.stat('multiply-adds after', after.macs);
    }
  },
});

