// Shared by nm-layout and sparsify: which ops have a constant weight that a sparse op can take, the
// weight's reduction axis and 2-d view, and the rewrite from an nn op to its sparse op.
import { ints, str } from '../ir/attributes.js';
import type { Op } from '../ir/core.js';
import type { Encoding } from '../ir/encodings.js';
import { Tensor } from '../ir/tensor.js';
import { TensorType } from '../ir/types.js';
import { getOpDef } from '../dialects/index.js';
import { OpContext } from '../ir/opdef.js';
import { constValue } from './helpers.js';
import type { Rewriter } from './rewrite.js';

export interface SparseCandidate {
  readonly op: Op;
  readonly weight: Tensor;
  /** Axis of the weight that is summed over (N:M groups run along it). */
  readonly reductionAxis: number;
  /** The weight as the 2-d matrix CSR/BSR store (rows = output features for conv and transB gemm). */
  readonly matrix: Tensor;
  readonly label: string;
}

/** An nn.gemm / nn.matmul / nn.conv whose weight (operand 1) is a dense constant. */
export function sparseCandidate(op: Op): SparseCandidate | undefined {
  if (op.name !== 'nn.gemm' && op.name !== 'nn.matmul' && op.name !== 'nn.conv') return undefined;
  const w = constValue(op.operand(1));
  if (!w || (w.elementType !== 'f32' && w.elementType !== 'f16' && w.elementType !== 'f64')) return undefined;
  const label = op.loc ?? op.operand(1).name ?? op.name;
  const c = new OpContext(op, getOpDef(op.name)!);
  if (op.name === 'nn.gemm') {
    if (c.int('transA') !== 0) return undefined;
    return { op, weight: w, reductionAxis: c.int('transB') ? 1 : 0, matrix: w, label };
  }
  if (op.name === 'nn.matmul') {
    if (w.shape.length !== 2 || op.operand(0).type.rank < 2) return undefined;
    return { op, weight: w, reductionAxis: 0, matrix: w, label };
  }
  if (w.shape.length < 3) return undefined;
  const m = w.shape[0]!;
  return { op, weight: w, reductionAxis: 1, matrix: new Tensor(w.elementType, [m, w.size / m], w.data), label };
}

/** Replaces the candidate's op by its sparse op with `weight` (typed with `encoding`). */
export function rewriteToSparse(rw: Rewriter, cand: SparseCandidate, weight: Tensor, encoding: Encoding, note?: string): Op {
  const op = cand.op;
  const w = rw.constant(op, weight, { encoding, ...(op.operand(1).name ? { name: `${op.operand(1).name}_${encoding.kind}` } : {}) });
  const attrs = Object.fromEntries(op.attrs);
  if (op.name === 'nn.conv' && weight.shape.length === 2) attrs['kernel_shape'] = ints(cand.weight.shape.slice(2));
  if (note) attrs['format_reason'] = str(note);
  const sparse = rw.create(op, op.name.replace('nn.', 'sparse.'), [op.operand(0), w, ...op.operands.slice(2)], attrs, { types: op.results.map((r) => r.type) });
  rw.replaceOp(op, sparse.results);
  return sparse;
}

/** The smallest index width that addresses `n` columns. */
export function indexBits(n: number): 8 | 16 | 32 {
  return n <= 256 ? 8 : n <= 65536 ? 16 : 32;
}

export function tensorType(t: Tensor, encoding?: Encoding): TensorType {
  return new TensorType(t.shape, t.elementType, encoding);
}
