// fuse-bias: `add(conv(x, w), b)` with a constant per-channel b becomes conv's bias operand; the same
// for Gemm (its C operand) and MatMul (its bias operand, along the last dim).
import type { Op, Value } from '../src/ir/core.js';
import { getOpDef } from '../src/dialects/index.js';
import { OpContext } from '../src/ir/opdef.js';
import type { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { activationOf, constValue, hasOneUse, isStatic } from '../src/pass/helpers.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { fromF64, toF64 } from '../src/interp/numeric.js';

/** The bias vector (length n) when c broadcasts onto `shape` only along `axis`, else undefined. */
function alongAxis(c: Tensor, shape: readonly number[], axis: number): Float64Array | undefined {
  if (c.shape.length > shape.length) return undefined;
  const padded = [...new Array<number>(shape.length - c.shape.length).fill(1), ...c.shape];
  if (padded.some((d, i) => d !== 1 && i !== axis)) return undefined;
  const n = shape[axis]!;
  const v = toF64(c);
  if (padded[axis] === n) return Float64Array.from(v);
  if (padded[axis] === 1) return new Float64Array(n).fill(v[0]!);
  return undefined;
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
    let sum = vec;
    if (old) {
      const ov = alongAxis(old, y.type.shape, axis);
      if (!ov) continue;
      sum = vec.map((v, i) => v + scaleOld * ov[i]!);
    }
    const bias = rw.constant(add, fromF64(c.elementType, [sum.length], sum), { name: `${p.operand(1).name ?? 'w'}_bias` });
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
