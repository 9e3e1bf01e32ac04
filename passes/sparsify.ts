// sparsify: chooses, per weight, dense, CSR or BSR from its density and block structure, and rewrites
// the users of sparse weights to sparse ops. The choice and its reason are recorded on the op
// (`format_reason`) for a later autotuner to revisit.
import { bsr, csr, type Encoding } from '../src/ir/encodings.js';
import { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { indexBits, rewriteToSparse, sparseCandidate } from '../src/pass/sparse-weights.js';

export interface BlockStats {
  block: [number, number];
  /** Fraction of blocks with a nonzero. */
  blockDensity: number;
  /** Nonzeros / elements of the nonzero blocks. */
  fill: number;
}

/** Density and block structure of a 2-d matrix. */
export function blockStats(m: Tensor, block: [number, number]): BlockStats | undefined {
  const [rows, cols] = m.shape as [number, number];
  const [br, bc] = block;
  if (rows % br !== 0 || cols % bc !== 0) return undefined;
  let nzBlocks = 0, nnz = 0;
  for (let R = 0; R < rows / br; R++) for (let C = 0; C < cols / bc; C++) {
    let k = 0;
    for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) if (m.data[(R * br + i) * cols + C * bc + j] !== 0) k++;
    if (k) nzBlocks++;
    nnz += k;
  }
  const blocks = (rows / br) * (cols / bc);
  return { block, blockDensity: blocks ? nzBlocks / blocks : 0, fill: nzBlocks ? nnz / (nzBlocks * br * bc) : 0 };
}

export function choose(m: Tensor, opts: { maxDensity: number; minFill: number; blocks: [number, number][] }): { encoding?: Encoding; reason: string } {
  const nnz = m.countNonzero();
  const density = m.size ? nnz / m.size : 1;
  if (density > opts.maxDensity) return { reason: `density ${density.toFixed(3)} > ${opts.maxDensity}: dense` };
  let best: BlockStats | undefined;
  for (const b of opts.blocks) {
    const s = blockStats(m, b);
    if (s && s.fill >= opts.minFill && (!best || b[0] * b[1] > best.block[0] * best.block[1])) best = s;
  }
  const cols = m.shape[1]!;
  if (best) {
    return {
      encoding: bsr(best.block, indexBits(cols / best.block[1])),
      reason: `density ${density.toFixed(3)}; ${best.block.join('x')} blocks ${(100 * best.fill).toFixed(0)}% full: bsr`,
    };
  }
  const why = opts.blocks.length ? `no block shape >= ${opts.minFill} full` : 'no block shapes offered';
  return { encoding: csr(indexBits(cols)), reason: `density ${density.toFixed(3)}; ${why}: csr` };
}

const BLOCKS = ['1x4', '4x1', '4x4', '2x2', '1x8', '8x1', '8x8'];

export default definePass({
  name: 'sparsify',
  summary: 'Chooses dense, CSR or BSR per weight from its density and block structure and rewrites users to sparse ops.',
  description:
    'For Conv (2-d view [M, C/group x kernel]), Gemm and 2-d MatMul weights: a weight denser than max-density stays dense; otherwise the largest block shape (of blocks) whose nonzero blocks are at least min-fill full gives BSR, else CSR. Convolutions are offered CSR only (no convolution kernel reads blocks). The reason is recorded on the op as format_reason.',
  options: {
    'max-density': { type: 'float', default: 0.35, min: 0, max: 1, doc: 'weights with more nonzeros than this fraction stay dense' },
    'min-fill': { type: 'float', default: 0.7, min: 0, max: 1, doc: 'BSR needs its nonzero blocks at least this full' },
    blocks: { type: 'strings', default: ['1x4', '4x1', '4x4'], oneOf: BLOCKS, doc: 'block shapes BSR may use' },
  },
  run(module, ctx) {
    const blocks = ctx.options.blocks.map((b) => b.split('x').map(Number) as [number, number]);
    const p = pattern('*', (op, rw) => {
      const cand = sparseCandidate(op);
      if (!cand) return false;
      // Convolutions are offered CSR only: no convolution kernel reads blocks (docs/lowering.md).
      const conv = op.name === 'nn.conv';
      const { encoding, reason } = choose(cand.matrix, { maxDensity: ctx.options['max-density'], minFill: ctx.options['min-fill'], blocks: conv ? [] : blocks });
      if (!encoding) {
        ctx.stat('weights left dense');
        return false;
      }
      rewriteToSparse(rw, cand, cand.matrix === cand.weight ? cand.weight : cand.matrix, encoding, reason);
      ctx.stat(`weights stored as ${encoding.kind}`);
      return true;
    }, 'sparsify');
    applyPatterns(module, [p]);
  },
});
