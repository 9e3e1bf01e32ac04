// legalize-gemm: brings Gemm into the form the product kernels take: no transposed A, no transposed
// run-time B (an explicit nn.transpose instead), alpha folded into a constant B (or a multiply after),
// beta folded into a constant row C, and any other C added after the product. A constant B keeps
// transB: [N, K] is a layout the kernels read directly.
import { float, int, ints, str } from '../src/ir/attributes.js';
import type { Op, Value } from '../src/ir/core.js';
import { getOpDef } from '../src/dialects/index.js';
import { OpContext } from '../src/ir/opdef.js';
import { Tensor } from '../src/ir/tensor.js';
import { TensorType, isFloat } from '../src/ir/types.js';
import { definePass } from '../src/pass/define.js';
import { activationOf, constData } from '../src/pass/helpers.js';
import { applyPatterns, pattern, type Rewriter } from '../src/pass/rewrite.js';
import { fromF64, toF64 } from '../src/tensor-math/numeric.js';
import { isRowBias } from '../src/lower/linear-facts.js';

const scaled = (t: Tensor, s: number): Tensor => fromF64(t.elementType, t.shape, toF64(t).map((v) => s * v));

function transposed(rw: Rewriter, at: Op, v: Value): Value {
  const [r, c] = v.type.shape;
  return rw.create(at, 'nn.transpose', [v], { perm: ints([1, 0]) }, { types: [new TensorType([c!, r!], v.type.elementType)] }).result(0);
}


/** The op a fused activation stands for (the inverse of fuse-activation), applied to x. */
function activationOp(rw: Rewriter, at: Op, x: Value, activation: string, params: readonly number[]): Value {
  const types = { types: [x.type] };
  const scalar = (v: number) => rw.constant(at, fromF64(x.type.elementType, [], [v]));
  switch (activation) {
    case 'leaky_relu': return rw.create(at, 'nn.leaky_relu', [x], { alpha: float(params[0]!) }, types).result(0);
    case 'gelu_tanh': return rw.create(at, 'nn.gelu', [x], { approximate: str('tanh') }, types).result(0);
    case 'clip': return rw.create(at, 'nn.clip', [x, scalar(params[0]!), scalar(params[1]!)], {}, types).result(0);
    default: return rw.create(at, `nn.${activation}`, [x], {}, types).result(0);
  }
}

const legalize = pattern('*', (op, rw) => {
  if (op.name !== 'nn.gemm' && op.name !== 'sparse.gemm') return false;
  const y = op.result(0), et = y.type.elementType;
  if (!isFloat(et)) return false; // integer Gemm keeps its scales: the typed kernel applies them exactly
  const c = new OpContext(op, getOpDef(op.name)!);
  let a = op.operand(0), b = op.operand(1);
  let transA = c.int('transA'), transB = c.int('transB'), alpha = c.float('alpha'), beta = c.float('beta');
  let cv: Value | undefined = op.operands[2];
  const bConst = constData(b), cConst = cv ? constData(cv) : undefined;
  const N = y.type.shape[1] as number;
  // What cannot be folded must be applied after the product, and a fused activation after that.
  const after = (alpha !== 1 && !bConst) || (cv !== undefined && beta !== 0 && !(cConst && isRowBias(cConst, N)));
  const changes = transA === 1 || (transB === 1 && !bConst) || (alpha !== 1 && bConst) || (cv !== undefined && (beta !== 1 || after));
  if (!changes) return false;
  if (transA === 1) { a = transposed(rw, op, a); transA = 0; }
  if (transB === 1 && !bConst) { b = transposed(rw, op, b); transB = 0; }
  if (alpha !== 1 && bConst) {
    const enc = b.type.encoding;
    b = rw.constant(op, scaled(bConst, alpha), { ...(b.name ? { name: `${b.name}_scaled` } : {}), ...(enc ? { encoding: enc } : {}) });
    alpha = 1;
  }
  if (cv && beta === 0) cv = undefined; // beta 0: C does not contribute (the interpreter skips it too)
  if (cv && cConst && isRowBias(cConst, N) && beta !== 1) {
    cv = rw.constant(op, scaled(cConst, beta), { ...(cv.name ? { name: `${cv.name}_scaled` } : {}) });
    beta = 1;
  }
  const late = after ? cv : undefined;
  // The product's scales are now 1 and transA 0 (their defaults); transB stays only on a constant B.
  // A fused activation applies after C: with work after the product, it moves after that work too.
  const moved = after ? ['activation', 'activation_params'] : [];
  const attrs = Object.fromEntries([...op.attrs].filter(([k]) => !['transA', 'transB', 'alpha', 'beta', ...moved].includes(k)));
  if (transB === 1) attrs['transB'] = int(1);
  const g = rw.create(op, op.name, [a, b, ...(cv && !late ? [cv] : [])], attrs, { types: [y.type] });
  let out = g.result(0);
  const scalar = (s: number) => rw.constant(op, fromF64(et, [], [s]));
  if (after && alpha !== 1) out = rw.create(op, 'nn.mul', [out, scalar(alpha)], {}, { types: [y.type] }).result(0);
  if (late) {
    const term = beta === 1 ? late : rw.create(op, 'nn.mul', [late, scalar(beta)], {}, { types: [late.type] }).result(0);
    out = rw.create(op, 'nn.add', [out, term], {}, { types: [y.type] }).result(0);
  }
  if (after && activationOf(op) !== 'none') out = activationOp(rw, op, out, activationOf(op), c.hasAttr('activation_params') ? c.floats('activation_params') : []);
  rw.replaceOp(op, [out]);
  return true;
}, 'legalize-gemm');

export default definePass({
  name: 'legalize-gemm',
  summary: 'Brings float Gemm into kernel form: transposes made explicit, alpha and beta folded into constants or applied after, C added after unless it is a constant row.',
  description:
    'transA = 1 becomes an nn.transpose of A; transB = 1 on a run-time B becomes an nn.transpose of B (a constant B keeps transB, a layout the kernels read). alpha scales a constant B (its encoding kept) or multiplies the product; beta scales a constant row C ([N], [1, N] or a scalar) or multiplies C; any other C is added after the product; beta = 0 drops C; a fused activation then moves after the add, as its own op. Integer Gemms are left as they are (the typed kernel applies their scales exactly).',
  options: {},
  run(module) {
    applyPatterns(module, [legalize]);
  },
});
