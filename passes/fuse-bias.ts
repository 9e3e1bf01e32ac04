// fuse-bias: `add(conv(x, w), b)` with a constant per-channel b becomes conv's bias operand; the same
// for Gemm (its C operand) and MatMul (its bias operand, along the last dim).
import type { Op, Value } from '../src/ir/core.js';
import { getOpDef } from '../src/dialects/index.js';
import { OpContext } from '../src/ir/opdef.js';
import { Tensor } from '../src/ir/tensor.js';
import { ELEMENT_TYPES, isInteger } from '../src/ir/types.js';
import { definePass } from '../src/pass/define.js';
import { activationOf, constValue, exactIntAccumulation, hasOneUse, isStatic, maxAbs } from '../src/pass/helpers.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { fromF64, gatherElements, toF64 } from '../src/tensor-math/numeric.js';

/** The bias vector (length n, c's element type, values copied exactly) when c broadcasts onto `shape` only along `axis`, else undefined. */
function alongAxis(c: Tensor, shape: readonly number[], axis: number): Tensor | undefined {
  if (c.shape.length > shape.length) return undefined;
  const padded = [...new Array<number>(shape.length - c.shape.length).fill(1), ...c.shape];
  if (padded.some((d, i) => d !== 1 && i !== axis)) return undefined;
  const n = shape[axis]!;
  if (padded[axis] === n) return gatherElements(c, [n], Int32Array.from({ length: n }, (_, i) => i));
  if (padded[axis] === 1) return gatherElements(c, [n], new Int32Array(n));
  return undefined;
}

/**
 * vec + scale * old, stored in vec's element type: floats in f64 (rounded once); integers exactly,
 * wrapping modulo the type's width as the interpreter's integer Add does (undefined when the scale
 * of an integer old bias is not an integer).
 */
function sumBias(vec: Tensor, old: Tensor | undefined, scale: number): Tensor | undefined {
  const et = vec.elementType;
  if (!isInteger(et)) {
    const v = toF64(vec), o = old ? toF64(old) : undefined;
    return fromF64(et, [vec.size], o ? v.map((x, i) => x + scale * o[i]!) : v);
  }
  if (old && !Number.isInteger(scale)) return undefined;
  const bits = 8 * ELEMENT_TYPES[et].bytes;
  const wrap = ELEMENT_TYPES[et].kind === 'uint' ? (x: bigint) => BigInt.asUintN(bits, x) : (x: bigint) => BigInt.asIntN(bits, x);
  const big = (t: Tensor, i: number) => BigInt(t.get(i) as number | bigint);
  return Tensor.from(et, [vec.size], Array.from({ length: vec.size }, (_, i) => wrap(big(vec, i) + (old ? BigInt(scale) * big(old, i) : 0n))));
}

const fuse = pattern('nn.add', (add, rw) => {
  for (const k of [0, 1]) {
    const y = add.operand(k), other = add.operand(1 - k);
    const p = y.definingOp;
    if (!p || !hasOneUse(y) || activationOf(p) !== 'none') continue;
    if (!['nn.conv', 'nn.conv_transpose', 'nn.gemm', 'nn.matmul'].includes(p.name)) continue;
    const c = constValue(other);
    const out = add.result(0).type;
    if (!c || c.elementType !== y.type.elementType || !out.equals(y.type) || !isStatic(y.type.shape)) continue;
    const axis = p.name === 'nn.matmul' || p.name === 'nn.gemm' ? y.type.rank - 1 : 1;
    const vec = alongAxis(c, y.type.shape, axis);
    if (!vec) continue;
    let scaleOld = 1;
    if (p.name === 'nn.gemm') scaleOld = new OpContext(p, getOpDef('nn.gemm')!).float('beta');
    const old = p.operands.length > 2 ? constValue(p.operand(2)) : undefined;
    if (p.operands.length > 2 && !old) continue;
    const ov = old ? alongAxis(old, y.type.shape, axis) : undefined;
    if (old && !ov) continue;
    if (ov && ov.elementType !== vec.elementType) continue;
    const sum = sumBias(vec, ov, scaleOld);
    if (!sum) continue;
    // Integer types: the interpreter sums the producer's products and bias in f64 and wraps once,
    // while the Add wraps exactly; the two agree only while the sums stay exact (and Gemm's alpha
    // and beta are integers). 64-bit types never qualify (their range is past 2^53).
    if (!exactIntAccumulation(p, Math.max(ov ? Math.abs(scaleOld) * maxAbs(ov) : 0, maxAbs(sum)))) continue;
    const bias = rw.constant(add, sum, { name: `${p.operand(1).name ?? 'w'}_bias` });
    const attrs = Object.fromEntries(p.attrs);
    if (p.name === 'nn.gemm') attrs['beta'] = { kind: 'float', value: 1 };
    const op: Op = rw.create(add, p.name, [p.operand(0), p.operand(1), bias as Value], attrs, { types: [out] });
    op.loc = p.loc;
    rw.replaceOp(add, [op.result(0)]);
    return true;
  }
  return false;
}, 'fuse-bias');

export default definePass({
  name: 'fuse-bias',
  summary: 'Fuses a constant bias Add into the producing Conv, ConvTranspose, Gemm or MatMul.',
  description:
    'The Add must read the producer (which has no other users and no fused activation) and a constant that broadcasts only along the channel axis (axis 1 for convolutions, the last axis for Gemm/MatMul). An existing constant bias is summed with it.',
  run(module, ctx) {
    const r = applyPatterns(module, [fuse]);
    if (r.rewrites) ctx.stat('bias adds fused', r.rewrites);
  },
});
