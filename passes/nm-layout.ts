// nm-layout: weights that already have at most N nonzeros in every group of M along their reduction
// axis are stored as N:M and their ops become sparse ops. Others are left dense and counted, unless
// force=true prunes them to N:M by magnitude (the only lossy mode; it reports the energy removed).
import { nm } from '../src/ir/encodings.js';
import { encodingViolation } from '../src/ir/sparse-data.js';
import type { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { rewriteToSparse, sparseCandidate } from '../src/pass/sparse-weights.js';
import { fromF64, toF64 } from '../src/tensor-math/numeric.js';
import { UserError } from '../src/util/errors.js';

/** Keeps the n largest-magnitude values of every group of m along `axis`; returns the pruned tensor and the energy removed. */
export function pruneToNM(t: Tensor, n: number, m: number, axis: number): { pruned: Tensor; removed: number; total: number } {
  const v = toF64(t);
  const len = t.shape[axis]!;
  const inner = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = v.length / (len * inner);
  let removed = 0, total = 0;
  for (const x of v) total += x * x;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) for (let g = 0; g < len; g += m) {
    const idx = Array.from({ length: m }, (_, k) => (o * len + g + k) * inner + i);
    idx.sort((a, b) => Math.abs(v[b]!) - Math.abs(v[a]!));
    for (const j of idx.slice(n)) {
      removed += v[j]! * v[j]!;
      v[j] = 0;
    }
  }
  return { pruned: fromF64(t.elementType, t.shape, v), removed, total };
}

export default definePass({
  name: 'nm-layout',
  summary: 'Stores weights that satisfy N:M sparsity along their reduction axis as N:M and rewrites their ops to sparse ops.',
  description:
    'Candidates are Conv (4-d weight, groups along input channels), Gemm and 2-d MatMul with constant weights whose reduction length is a multiple of m. A weight with more than n nonzeros in some group is left dense and counted; with force=true it is pruned to N:M by magnitude instead (lossy: the relative weight energy removed is reported in parts per million). N:M stores n of every m values whatever they hold: a weight whose nonzeros fill fewer than min-fill of those slots (e.g. a 90%-sparse weight that happens to be 2:4) is left to sparsify, whose CSR stores only the nonzeros.',
  options: {
    n: { type: 'int', default: 2, min: 1, doc: 'nonzeros kept per group' },
    m: { type: 'int', default: 4, min: 2, doc: 'group length along the reduction axis' },
    force: { type: 'bool', default: false, doc: 'prune weights to N:M by magnitude when they do not satisfy it (changes results)' },
    'min-fill': { type: 'float', default: 0.75, min: 0, max: 1, doc: 'weights whose nonzeros fill less than this fraction of the n/m slots stay for sparsify (CSR)' },
  },
  run(module, ctx) {
    const { n, m, force } = ctx.options;
    if (n < 1 || m < 1 || n > m) throw new UserError(`nm-layout needs 1 <= n <= m, got n=${n}, m=${m}`);
    let removed = 0, total = 0;
    const p = pattern('*', (op, rw) => {
      const cand = sparseCandidate(op);
      if (!cand || cand.weight.shape[cand.reductionAxis]! % m !== 0) return false;
      const enc = nm(n, m, cand.reductionAxis);
      let w = cand.weight;
      if (w.size && w.countNonzero() / w.size < ctx.options['min-fill'] * (n / m)) {
        ctx.stat('weights left for sparsify (sparser than N:M)');
        return false;
      }
      if (encodingViolation(w, enc)) {
        if (!force) {
          ctx.stat('weights left dense (not N:M)');
          return false;
        }
        const r = pruneToNM(w, n, m, cand.reductionAxis);
        w = r.pruned;
        removed += r.removed;
        total += r.total;
        ctx.stat('weights pruned to N:M (force)');
      }
      rewriteToSparse(rw, cand, w, enc);
      ctx.stat('weights stored as N:M');
      return true;
    }, 'nm-layout');
    applyPatterns(module, [p]);
    if (force && total > 0) ctx.stat('relative weight energy removed (ppm)', Math.round((1e6 * removed) / total));
  },
});
