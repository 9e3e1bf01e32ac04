// legalize-reduce: a reduction over axes that are not adjacent becomes a transpose that moves them
// last, a reduction over those trailing axes, and (keepdims = 1) a reshape back to the result's shape.
// The reduced elements are visited in the same order, so results are bit-identical. After it, every
// reduction a kernel sees reduces one contiguous run of axes: [outer, len, inner].
import { int, ints } from '../src/ir/attributes.js';
import { getOpDef } from '../src/dialects/index.js';
import { OpContext } from '../src/ir/opdef.js';
import { Tensor } from '../src/ir/tensor.js';
import { TensorType } from '../src/ir/types.js';
import { definePass } from '../src/pass/define.js';
import { constValue, isStatic } from '../src/pass/helpers.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { axis as normAxis } from '../src/tensor-math/numeric.js';

const REDUCTIONS = ['nn.reduce_sum', 'nn.reduce_mean', 'nn.reduce_max', 'nn.reduce_min'];

const legalize = pattern('*', (op, rw) => {
  if (!REDUCTIONS.includes(op.name) || op.operands.length < 2) return false;
  const x = op.operand(0), y = op.result(0);
  const t = constValue(op.operand(1));
  if (!t || t.size === 0 || !isStatic(x.type.shape) || !isStatic(y.type.shape)) return false;
  const xs = x.type.shape, r = xs.length;
  const axes = [...new Set(Array.from({ length: t.size }, (_, i) => normAxis(Number(t.get(i)), r)))].sort((a, b) => a - b);
  if (axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1)) return false;
  const keep = xs.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...keep, ...axes];
  const et = x.type.elementType;
  const moved = rw.create(op, 'nn.transpose', [x], { perm: ints(perm) }, { types: [new TensorType(perm.map((p) => xs[p]!), et)] }).result(0);
  const trailing = rw.constant(op, Tensor.from('i64', [axes.length], axes.map((_, i) => BigInt(keep.length + i))));
  const keepShape = keep.map((i) => xs[i]!);
  const attrs = { ...Object.fromEntries(op.attrs), keepdims: int(0) };
  let out = rw.create(op, op.name, [moved, trailing], attrs, { types: [new TensorType(keepShape, y.type.elementType)] }).result(0);
  if (new OpContext(op, getOpDef(op.name)!).int('keepdims') === 1) {
    const shape = rw.constant(op, Tensor.from('i64', [y.type.rank], y.type.shape.map((d) => BigInt(d as number))));
    // allowzero: an empty kept dim stays 0 (not "copy the input dim").
    out = rw.create(op, 'nn.reshape', [out, shape], { allowzero: int(1) }, { types: [y.type] }).result(0);
  }
  rw.replaceOp(op, [out]);
  return true;
}, 'legalize-reduce');

export default definePass({
  name: 'legalize-reduce',
  summary: 'Makes the reduced axes adjacent: a reduction over axes apart becomes transpose (those axes last), reduce, and a reshape for keepdims.',
  description:
    'For ReduceSum / Mean / Max / Min with constant axes that are not one contiguous run and static shapes. The transpose keeps the reduced axes in their order, so each output sums the same elements in the same order (results are identical). Reductions over adjacent axes, over all axes, or with axes computed at run time are left as they are.',
  options: {},
  run(module) {
    applyPatterns(module, [legalize]);
  },
});
