// A custom pass, written against sparsec's public API only: a per-channel constant Mul after a
// Conv (as some exporters emit for folded normalisation or quantisation scales) is folded into the
// conv's weights and bias. Load it with:
//   sparsec opt model.ir --load-pass examples/custom-pass/fold-scale.ts -p fold-scale
import { applyPatterns, constValue, definePass, hasOneUse, pattern, Tensor } from 'sparsec';

const foldScale = pattern('nn.mul', (mul, rw) => {
  const [y, s] = [mul.operand(0), constValue(mul.operand(1))];
  const conv = y.definingOp;
  if (conv?.name !== 'nn.conv' || !s || !hasOneUse(y) || conv.attr('activation')) return false;
  const w = constValue(conv.operand(1));
  const channels = y.type.shape[1];
  // The scale must be one value per output channel: shape [C, 1, 1] (or [1, C, 1, 1]).
  if (!w || typeof channels !== 'number' || s.size !== channels || s.shape[s.shape.length - 3] !== channels) return false;
  const per = w.size / channels;
  const scaled = Tensor.from(w.elementType, w.shape, Array.from({ length: w.size }, (_, i) => (w.get(i) as number) * (s.get(Math.floor(i / per)) as number)));
  const b = conv.operands.length > 2 ? constValue(conv.operand(2)) : undefined;
  if (conv.operands.length > 2 && !b) return false;
  const bias = Tensor.from(w.elementType, [channels], Array.from({ length: channels }, (_, c) => (b ? (b.get(c) as number) : 0) * (s.get(c) as number)));
  const folded = rw.create(mul, 'nn.conv', [conv.operand(0), rw.constant(mul, scaled), rw.constant(mul, bias)], Object.fromEntries(conv.attrs), { types: [mul.result(0).type] });
  rw.replaceOp(mul, [folded.result(0)]);
  return true;
}, 'fold-scale');

export default definePass({
  name: 'fold-scale',
  summary: 'Folds a per-channel constant Mul after a Conv into the conv weights and bias (example custom pass).',
  run(module, ctx) {
    ctx.stat('scales folded', applyPatterns(module, [foldScale]).rewrites);
  },
});
