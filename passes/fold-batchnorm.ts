// fold-batchnorm: an inference BatchNormalization right after a Conv, Gemm or MatMul with constant
// weights is folded into those weights and the bias: y = s * (W x + b - mean) + beta with
// s = scale / sqrt(var + eps) becomes (s W) x + (s (b - mean) + beta).
import { float } from '../src/ir/attributes.js';
import type { Op, Value } from '../src/ir/core.js';
import { getOpDef } from '../src/dialects/index.js';
import { OpContext } from '../src/ir/opdef.js';
import { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { activationOf, constValue, hasOneUse } from '../src/pass/helpers.js';
import { applyPatterns, pattern, type Rewriter } from '../src/pass/rewrite.js';
import { fromF64, toF64 } from '../src/tensor-math/numeric.js';

interface Folded {
  scale: Float64Array;
  shift: Float64Array;
}

/** Per-channel factors of an inference batch norm, when all its parameters are constant. */
function bnFactors(bn: Op): Folded | undefined {
  const def = getOpDef(bn.name)!;
  const c = new OpContext(bn, def);
  if (c.int('training_mode') !== 0 || bn.results.length !== 1) return undefined;
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => constValue(bn.operand(i)));
  if (!scale || !bias || !mean || !variance) return undefined;
  const eps = c.float('epsilon');
  const sc = toF64(scale), b = toF64(bias), m = toF64(mean), v = toF64(variance);
  const s = sc.map((x, i) => x / Math.sqrt(v[i]! + eps));
  return { scale: s, shift: b.map((x, i) => x - m[i]! * s[i]!) };
}

/** w scaled along `axis` by s[index along axis]. */
function scaleAlong(w: Tensor, axis: number, s: Float64Array): Tensor {
  const v = toF64(w);
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const len = w.shape[axis]!;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * s[Math.floor(i / inner) % len]!;
  return fromF64(w.elementType, w.shape, out);
}

/** New bias s * b + shift (b absent: zeros), as a [C] tensor of type et. */
function newBias(b: Tensor | undefined, f: Folded, et: Tensor['elementType'], beta = 1): Tensor {
  const bv = b ? toF64(b) : new Float64Array(f.scale.length);
  const out = f.scale.map((s, i) => s * beta * bv[b && b.size === 1 ? 0 : i]! + f.shift[i]!);
  return fromF64(et, [f.scale.length], out);
}

function replaceProducer(rw: Rewriter, bn: Op, producer: Op, operands: Value[], attrs: Record<string, ReturnType<typeof float>> = {}): void {
  const a: Record<string, ReturnType<typeof float>> = Object.fromEntries(producer.attrs);
  const op = rw.create(bn, producer.name, operands, { ...a, ...attrs }, { types: [bn.result(0).type] });
  op.loc = producer.loc;
  rw.replaceOp(bn, [op.result(0)]);
}

const foldPattern = pattern('nn.batch_normalization', (bn, rw) => {
  const x = bn.operand(0);
  const p = x.definingOp;
  if (!p || !hasOneUse(x) || activationOf(p) !== 'none') return false;
  if (p.name !== 'nn.conv' && p.name !== 'nn.gemm' && p.name !== 'nn.matmul') return false;
  const w = constValue(p.operand(1));
  if (!w) return false;
  const bias = p.operands.length > 2 ? constValue(p.operand(2)) : undefined;
  if (p.operands.length > 2 && !bias) return false;
  const f = bnFactors(bn);
  if (!f) return false;
  const et = w.elementType;
  if (p.name === 'nn.conv') {
    if (bias && bias.size !== f.scale.length) return false;
    const nw = rw.constant(bn, scaleAlong(w, 0, f.scale), { name: `${p.operand(1).name ?? 'w'}_bn` });
    const nb = rw.constant(bn, newBias(bias, f, et), { name: `${p.operand(1).name ?? 'w'}_bn_bias` });
    replaceProducer(rw, bn, p, [p.operand(0), nw, nb]);
    return true;
  }
  // Gemm / MatMul: the BN input must be [M, N] with channels = N (axis 1).
  if (x.type.rank !== 2 || w.shape.length !== 2) return false;
  const n = f.scale.length;
  if (p.name === 'nn.gemm') {
    const c = new OpContext(p, getOpDef('nn.gemm')!);
    if (bias && !(bias.size === n || bias.size === 1) ) return false;
    if (bias && bias.shape.length === 2 && bias.shape[0] !== 1) return false;
    const transB = c.int('transB') === 1;
    const nw = rw.constant(bn, scaleAlong(w, transB ? 0 : 1, f.scale), { name: `${p.operand(1).name ?? 'w'}_bn` });
    const nb = rw.constant(bn, newBias(bias, f, et, c.float('beta')), { name: `${p.operand(1).name ?? 'w'}_bn_bias` });
    replaceProducer(rw, bn, p, [p.operand(0), nw, nb], { beta: float(1) });
    return true;
  }
  if (bias && bias.size !== n) return false;
  const nw = rw.constant(bn, scaleAlong(w, 1, f.scale), { name: `${p.operand(1).name ?? 'w'}_bn` });
  const nb = rw.constant(bn, newBias(bias, f, et), { name: `${p.operand(1).name ?? 'w'}_bn_bias` });
  replaceProducer(rw, bn, p, [p.operand(0), nw, nb]);
  return true;
}, 'fold-batchnorm');

export default definePass({
  name: 'fold-batchnorm',
  summary: 'Folds inference BatchNormalization after Conv, Gemm or MatMul into their weights and bias.',
  description:
    'Needs constant weights, bias and batch-norm parameters, a producer with no other users and no fused activation, and (for Gemm/MatMul) a 2-d result whose channels are its columns. The producer gets scaled weights and a new bias; the batch norm disappears.',
  run(module, ctx) {
    const r = applyPatterns(module, [foldPattern]);
    if (r.rewrites) ctx.stat('batch norms folded', r.rewrites);
  },
});
