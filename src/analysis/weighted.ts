// Channel-mask transfer functions of ops that mix channels through a constant weight: Conv (grouped
// and depthwise included), Gemm and 2-d MatMul. Output channel m is constant (its bias, through the
// fused activation) when every input channel it has a nonzero weight for is zero; input channel c
// is used when a used output channel has a nonzero weight for it.
import type { ChannelFact, ChannelMap, MaskInputs, MaskTransfer, OpContext } from '../ir/opdef.js';
import { Tensor } from '../ir/tensor.js';
import { applyEpilogue } from '../interp/kernels/linear.js';
import { toF64 } from '../interp/numeric.js';
import { constFacts, konst, LIVE, opaqueMask } from './transfer.js';

/** The weight as a dense matrix nz[out][in] (true where nonzero) with in = the x channel, plus per-output bias. */
export interface WeightView {
  readonly outs: number;
  readonly ins: number;
  /** For output m, the x channels with a nonzero weight. */
  readonly reads: readonly (readonly number[])[];
  /** The constant added to output m when all its inputs are zero (bias, beta * C...), or undefined when not constant. */
  readonly base: readonly (number | undefined)[];
}

function denseOf(t: Tensor | undefined): Float64Array | undefined {
  return t ? toF64(t) : undefined;
}

/** The weight view of a conv / gemm / matmul, or undefined when the weight is not constant or the layout is not understood. */
export function weightView(c: OpContext, in_: MaskInputs): WeightView | undefined {
  const op = c.op;
  const w = in_.consts[1];
  if (!w) return undefined;
  const wv = toF64(w);
  if (op.name === 'nn.conv') {
    const [M, Cg] = w.shape as [number, number];
    const k = w.size / (M * Cg);
    const g = c.int('group');
    const Mg = M / g;
    const reads = Array.from({ length: M }, (_, m) => {
      const gi = Math.floor(m / Mg);
      const r: number[] = [];
      for (let ci = 0; ci < Cg; ci++) {
        for (let j = 0; j < k; j++) if (wv[(m * Cg + ci) * k + j] !== 0) { r.push(gi * Cg + ci); break; }
      }
      return r;
    });
    const b = denseOf(in_.consts[2]);
    const base = Array.from({ length: M }, (_, m) => (op.operands.length > 2 ? (b ? b[m]! : undefined) : 0));
    return { outs: M, ins: Cg * g, reads, base };
  }
  if (op.name === 'nn.gemm' || op.name === 'nn.matmul') {
    if (op.operand(0).type.rank !== 2 || w.shape.length !== 2) return undefined;
    const transB = op.name === 'nn.gemm' && c.int('transB') === 1;
    if (op.name === 'nn.gemm' && c.int('transA') !== 0) return undefined;
    const [r0, r1] = w.shape as [number, number];
    const N = transB ? r0 : r1, K = transB ? r1 : r0;
    const reads = Array.from({ length: N }, (_, n) => {
      const r: number[] = [];
      for (let kk = 0; kk < K; kk++) if ((transB ? wv[n * K + kk] : wv[kk * N + n]) !== 0) r.push(kk);
      return r;
    });
    let base: (number | undefined)[] = new Array<number>(N).fill(0);
    if (op.operands.length > 2) {
      const cc = in_.consts[2];
      const beta = op.name === 'nn.gemm' ? c.float('beta') : 1;
      if (!cc) base = base.map(() => undefined);
      else {
        const cf = cc.shape.length === 0 || cc.size === 1 ? constFacts(cc, 0).slice(0, 1) : constFacts(cc, cc.shape.length - 1);
        // C broadcast to [M, N]: per column constant only when it does not vary along rows.
        const perColumn = cc.shape.length < 2 || cc.shape[0] === 1;
        base = Array.from({ length: N }, (_, n) => {
          const f = cf.length === 1 ? cf[0]! : cf[n]!;
          if (!perColumn || !f || f.k === 'L') return undefined;
          return beta * (f.k === 'C' ? f.v : 0);
        });
      }
    }
    return { outs: N, ins: K, reads, base };
  }
  return undefined;
}

function epilogueConst(c: OpContext, v: number): number {
  return applyEpilogue(c, Float64Array.of(v))[0]!;
}

export const weightedMask: MaskTransfer = {
  map: (c) => c.op.operands.map((_, i) => (i === 0 ? { kind: 'weights' } : { kind: 'opaque' }) as ChannelMap),
  forward(c, in_) {
    const view = weightView(c, in_);
    const x = in_.facts[0];
    if (!view || !x || x.length !== view.ins) return opaqueMask.forward(c, in_);
    const out: ChannelFact[] = view.reads.map((reads, m) => {
      if (reads.some((ch) => x[ch]!.k !== 'Z')) return LIVE;
      const b = view.base[m];
      return b === undefined ? LIVE : konst(epilogueConst(c, b));
    });
    return [out];
  },
  backward(c, in_, used) {
    const view = weightView(c, in_);
    const x = in_.facts[0];
    if (!view || !x || x.length !== view.ins) return opaqueMask.backward(c, in_, used);
    const u = used[0];
    const inUsed = x.map(() => false);
    view.reads.forEach((reads, m) => {
      if (u && !u[m]) return;
      for (const ch of reads) inUsed[ch] = true;
    });
    return [inUsed, ...in_.facts.slice(1).map((f) => f?.map(() => true))];
  },
};
