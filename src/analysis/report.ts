// The per-layer sparsity report behind `sparsec analyze`: density, N:M compliance, block density,
// channel facts, FLOPs, and what channel elimination would save.
import type { Func, Op } from '../ir/core.js';
import { nm } from '../ir/encodings.js';
import { encodingViolation } from '../ir/sparse-data.js';
import type { Tensor } from '../ir/tensor.js';
import { analyzeChannels } from './channels.js';
import { planElimination } from './elimination.js';
import { sparseCandidate } from '../pass/sparse-weights.js';
import { blockStats } from '../../passes/sparsify.js';

export const NM_PATTERNS: readonly [number, number][] = [[1, 2], [2, 4], [4, 8]];
export const BLOCKS: readonly [number, number][] = [[1, 4], [4, 1], [4, 4]];

export interface LayerReport {
  name: string;
  op: string;
  weightShape: number[];
  params: number;
  density: number;
  /** Output channels: live, zero, constant, dead (from mask propagation). */
  channels: { total: number; zero: number; constant: number; dead: number };
  /** `2:4` -> whether every group along the reduction axis complies. */
  nm: Record<string, boolean>;
  /** `1x4` -> fraction of blocks with a nonzero. */
  blockDensity: Record<string, number>;
  flops: number;
  /** Output channels channel elimination removes, and the weight elements it saves here. */
  eliminated: { channels: number; params: number };
}

export interface ModelReport {
  layers: LayerReport[];
  totals: { params: number; nonzeros: number; flops: number; paramsAfterElimination: number; flopsAfterElimination: number };
}

const dimsOf = (shape: readonly (number | string)[]) => shape.map((d) => (typeof d === 'number' ? d : 1));

function flopsOf(op: Op, w: Tensor): number {
  const out = dimsOf(op.result(0).type.shape).reduce((a, b) => a * b, 1);
  const perOut = op.name === 'nn.conv' ? w.size / w.shape[0]! : w.size / (op.name === 'nn.gemm' ? (op.result(0).type.shape[1] as number) : w.shape[w.shape.length - 1]!);
  return 2 * out * perOut;
}

export function analyzeModel(f: Func): ModelReport {
  const info = analyzeChannels(f);
  const plan = planElimination(f);
  const layers: LayerReport[] = [];
  let params = 0, nonzeros = 0, flops = 0, paramsAfter = 0, flopsAfter = 0;
  f.ops.forEach((op) => {
    const cand = sparseCandidate(op);
    if (!cand) return;
    const w = cand.weight;
    const nnz = w.countNonzero();
    const ci = info.get(op.result(0));
    const nmRes: Record<string, boolean> = {};
    for (const [n, m] of NM_PATTERNS) nmRes[`${n}:${m}`] = w.shape[cand.reductionAxis]! % m === 0 && !encodingViolation(w, nm(n, m, cand.reductionAxis));
    const blocks: Record<string, number> = {};
    for (const b of BLOCKS) {
      const s = blockStats(cand.matrix, b);
      if (s) blocks[b.join('x')] = s.blockDensity;
    }
    const fl = flopsOf(op, w);
    // Elimination: output channels of this op removed, and input channels removed from its operand.
    const outRemoved = plan.removed.get(op.result(0))?.length ?? 0;
    const inRemoved = plan.removed.get(op.operand(0))?.length ?? 0;
    let after: number;
    if (op.name === 'nn.conv') {
      const [M, Cg] = w.shape as [number, number];
      const k = w.size / (M * Cg);
      const group = (op.attr('group') as { value: number } | undefined)?.value ?? 1;
      after = (M - outRemoved) * (group > 1 ? Cg : Cg - inRemoved) * k;
    } else {
      const [r0, r1] = w.shape as [number, number];
      const transB = op.name === 'nn.gemm' && (op.attr('transB') as { value: number } | undefined)?.value === 1;
      const N = transB ? r0 : r1, K = transB ? r1 : r0;
      after = (N - outRemoved) * (K - inRemoved);
    }
    layers.push({
      name: cand.label,
      op: op.name,
      weightShape: [...w.shape],
      params: w.size,
      density: w.size ? nnz / w.size : 0,
      channels: {
        total: ci?.facts.length ?? 0,
        zero: ci?.facts.filter((x) => x.k === 'Z').length ?? 0,
        constant: ci?.facts.filter((x) => x.k === 'C').length ?? 0,
        dead: ci?.used.filter((u) => !u).length ?? 0,
      },
      nm: nmRes,
      blockDensity: blocks,
      flops: fl,
      eliminated: { channels: outRemoved, params: w.size - after },
    });
    params += w.size;
    nonzeros += nnz;
    flops += fl;
    paramsAfter += after;
    flopsAfter += w.size ? fl * (after / w.size) : 0;
  });
  return { layers, totals: { params, nonzeros, flops, paramsAfterElimination: paramsAfter, flopsAfterElimination: Math.round(flopsAfter) } };
}

export function formatReport(r: ModelReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = r.layers.map((l) => [
    l.name, l.op.replace('nn.', ''), l.weightShape.join('x'), pct(l.density),
    `${l.channels.zero}/${l.channels.constant}/${l.channels.dead}`,
    Object.entries(l.nm).filter(([, ok]) => ok).map(([k]) => k).join(' ') || '-',
    Object.entries(l.blockDensity).map(([k, v]) => `${k}:${(100 * v).toFixed(0)}%`).join(' '),
    (l.flops / 1e6).toFixed(1),
    l.eliminated.channels ? `-${l.eliminated.channels} ch, -${l.eliminated.params} w` : '-',
  ]);
  const head = ['layer', 'op', 'weight', 'density', 'zero/const/dead ch', 'N:M ok', 'block density', 'MFLOPs', 'channel elimination'];
  const widths = head.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((x) => x[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (c.length > widths[i]! ? c.slice(0, widths[i]! - 1) + '…' : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const t = r.totals;
  return [
    line(head),
    ...rows.map(line),
    '',
    `total: ${t.params} weights, ${pct(t.params ? t.nonzeros / t.params : 0)} nonzero, ${(t.flops / 1e6).toFixed(1)} MFLOPs (dense)`,
    `after channel elimination: ${t.paramsAfterElimination} weights (-${pct(t.params ? 1 - t.paramsAfterElimination / t.params : 0)}), ${(t.flopsAfterElimination / 1e6).toFixed(1)} MFLOPs (-${pct(t.flops ? 1 - t.flopsAfterElimination / t.flops : 0)})`,
  ].join('\n') + '\n';
}
