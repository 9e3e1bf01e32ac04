// Channel-mask transfer functions of ops that mix channels through a constant weight: Conv (grouped
// and depthwise included), Gemm and 2-d MatMul. Output channel m is constant (its bias, through the
// fused activation) when every input channel it has a nonzero weight for is zero; input channel c
// is used when a used output channel has a nonzero weight for it.
import type { ChannelFact, ChannelMap, MaskInputs, MaskTransfer, OpContext } from '../ir/opdef.js';
import { Tensor } from '../ir/tensor.js';
import { applyEpilogue } from '../interp/kernels/linear.js';
import { toF64 } from '../tensor-math/numeric.js';
import { constFacts, factOf, LIVE, opaqueMask, storedAs } from './transfer.js';

/** A weight as seen from channels: output m reads input channel c when some weight between them is nonzero. */
export interface WeightView {
  readonly outs: number;
  readonly ins: number;
  /** Whether output m has a nonzero weight for input channel c. */
  readonly reads: (m: number, c: number) => boolean;
  /** The constant added to output m when all its inputs are zero (bias, beta * C...), or undefined when not constant. */
  readonly base: readonly (number | undefined)[];
}

/** Nonzero test on raw element data (f16 held as bits: +-0 are 0x0000 and 0x8000). */
function nonzero(t: Tensor): (i: number) => boolean {
  const d = t.data as ArrayLike<number | bigint>;
  if (t.elementType === 'f16') return (i) => ((d[i] as number) & 0x7fff) !== 0;
  return (i) => d[i] !== 0 && d[i] !== 0n;
}

/** The weight view of a conv / gemm / matmul, or undefined when the weight is not constant or the layout is not understood. */
export function weightView(c: OpContext, in_: MaskInputs): WeightView | undefined {
  const op = c.op;
  const w = in_.consts[1];
  if (!w) return undefined;
  const nz = nonzero(w);
  if (op.name === 'nn.conv') {
    const [M, Cg] = w.shape as [number, number];
    const k = w.size / (M * Cg);
    const g = c.int('group');
    const Mg = M / g;
    const reads = (m: number, ch: number) => {
      const gi = Math.floor(m / Mg), ci = ch - gi * Cg;
      if (ci < 0 || ci >= Cg) return false;
      for (let j = 0; j < k; j++) if (nz((m * Cg + ci) * k + j)) return true;
      return false;
    };
    return { outs: M, ins: Cg * g, reads, base: baseOf(c, in_, M) };
  }
  if (op.name === 'nn.gemm' || op.name === 'nn.matmul') {
    if (op.operand(0).type.rank !== 2 || w.shape.length !== 2) return undefined;
    const transB = op.name === 'nn.gemm' && c.int('transB') === 1;
    if (op.name === 'nn.gemm' && c.int('transA') !== 0) return undefined;
    const [r0, r1] = w.shape as [number, number];
    const N = transB ? r0 : r1, K = transB ? r1 : r0;
    return { outs: N, ins: K, reads: (n, kk) => nz(transB ? n * K + kk : kk * N + n), base: baseOf(c, in_, N) };
  }
  return undefined;
}

/** The constant each output gets when all its inputs are zero: bias, or beta * C per column. */
function baseOf(c: OpContext, in_: MaskInputs, N: number): (number | undefined)[] {
  const op = c.op;
  if (op.operands.length <= 2) return new Array<number>(N).fill(0);
  const cc = in_.consts[2];
  if (!cc) return new Array<undefined>(N).fill(undefined);
  if (op.name === 'nn.conv') {
    const b = toF64(cc);
    return Array.from({ length: N }, (_, m) => b[m]!);
  }
  const beta = op.name === 'nn.gemm' ? c.float('beta') : 1;
  const cf = cc.shape.length === 0 || cc.size === 1 ? constFacts(cc, 0).slice(0, 1) : constFacts(cc, cc.shape.length - 1);
  const perColumn = cc.shape.length < 2 || cc.shape[0] === 1;
  return Array.from({ length: N }, (_, n) => {
    const f = cf.length === 1 ? cf[0]! : cf[n]!;
    if (!perColumn || !f || f.k === 'L') return undefined;
    return beta * (f.k === 'C' ? f.v : 0);
  });
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
    const nonZeroIn = x.map((f, ch) => (f.k !== 'Z' ? ch : -1)).filter((ch) => ch >= 0);
    const out: ChannelFact[] = [];
    for (let m = 0; m < view.outs; m++) {
      // Live as soon as one non-zero input channel has a nonzero weight (dense rows stop at once).
      if (nonZeroIn.some((ch) => view.reads(m, ch))) out.push(LIVE);
      else {
        const b = view.base[m];
        // The value the op stores: rounded, or truncated and wrapped, to its element type.
        const et = c.op.results[0]!.type.elementType;
        out.push(b === undefined ? LIVE : factOf(et, storedAs(et, epilogueConst(c, b))));
      }
    }
    return [out];
  },
  backward(c, in_, used) {
    const view = weightView(c, in_);
    const x = in_.facts[0];
    if (!view || !x || x.length !== view.ins) return opaqueMask.backward(c, in_, used);
    const u = used[0];
    const usedOuts = [...Array(view.outs).keys()].filter((m) => !u || u[m]);
    const inUsed = x.map((_, ch) => usedOuts.some((m) => view.reads(m, ch)));
    return [inUsed, ...in_.facts.slice(1).map((f) => f?.map(() => true))];
  },
};
