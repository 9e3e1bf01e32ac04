// fuse-activation: an element-wise activation right after a Conv, ConvTranspose, Gemm or MatMul
// becomes the producer's `activation` attribute, for backends to apply in the kernel epilogue.
import { floats, str } from '../src/ir/attributes.js';
import { getOpDef } from '../src/dialects/index.js';
import type { Op } from '../src/ir/core.js';
import { OpContext } from '../src/ir/opdef.js';
import { definePass } from '../src/pass/define.js';
import { activationOf, constValue, contractionBound, F64_EXACT_INT, hasOneUse, maxAbs } from '../src/pass/helpers.js';
import { intRange } from '../src/ir/types.js';
import { applyPatterns, pattern, type Pattern } from '../src/pass/rewrite.js';
import { toF64 } from '../src/tensor-math/numeric.js';

const FUSIBLE = ['relu', 'clip', 'leaky_relu', 'sigmoid', 'hard_swish', 'gelu'] as const;
const PRODUCERS = ['nn.conv', 'nn.conv_transpose', 'nn.gemm', 'nn.matmul'];

/** The epilogue (activation, params) an activation op stands for, or undefined. */
function epilogueOf(op: Op): { activation: string; params: number[] } | undefined {
  const c = new OpContext(op, getOpDef(op.name)!);
  switch (op.name) {
    case 'nn.relu': return { activation: 'relu', params: [] };
    case 'nn.sigmoid': return { activation: 'sigmoid', params: [] };
    case 'nn.hard_swish': return { activation: 'hard_swish', params: [] };
    case 'nn.leaky_relu': return { activation: 'leaky_relu', params: [c.float('alpha')] };
    case 'nn.gelu': return { activation: c.string('approximate') === 'tanh' ? 'gelu_tanh' : 'gelu', params: [] };
    case 'nn.clip': {
      const lo = op.operands.length > 1 ? constValue(op.operand(1)) : undefined;
      const hi = op.operands.length > 2 ? constValue(op.operand(2)) : undefined;
      if ((op.operands.length > 1 && !lo) || (op.operands.length > 2 && !hi)) return undefined;
      return { activation: 'clip', params: [lo ? toF64(lo)[0]! : -Infinity, hi ? toF64(hi)[0]! : Infinity] };
    }
  }
  return undefined;
}

/**
 * Integer producers: the interpreter applies a fused activation to the f64 sum before wrapping it
 * to the element type, an activation op after (relu(2^31) is 2^31, wrapped -2^31; relu(wrapped) is
 * 0). Fusing is exact only when the sum provably stays exact and inside the type's range.
 */
function staysInRange(p: Op): boolean {
  const r = intRange(p.results[0]!.type.elementType);
  if (!r) return true;
  const bias = p.operands.length > 2 ? constValue(p.operand(2)) : undefined;
  if (p.operands.length > 2 && !bias) return false;
  const c = new OpContext(p, getOpDef(p.name)!);
  const [alpha, beta] = p.name === 'nn.gemm' ? [c.float('alpha'), c.float('beta')] : [1, 1];
  const bound = (bias ? Math.abs(beta) * maxAbs(bias) : 0) + contractionBound(p);
  // Unsigned operands give a sum >= 0 unless a Gemm scale is negative.
  const unsigned = p.operands.every((v) => intRange(v.type.elementType)?.min === 0n);
  const lowest = unsigned && alpha >= 0 && beta >= 0 ? 0 : -bound;
  return bound < F64_EXACT_INT && bound <= Number(r.max) && lowest >= Number(r.min);
}

function patternsFor(allowed: readonly string[]): Pattern[] {
  const names: Record<string, string> = { relu: 'nn.relu', clip: 'nn.clip', leaky_relu: 'nn.leaky_relu', sigmoid: 'nn.sigmoid', hard_swish: 'nn.hard_swish', gelu: 'nn.gelu' };
  return allowed.map((a) =>
    pattern(names[a]!, (act, rw) => {
      const x = act.operand(0);
      const p = x.definingOp;
      if (!p || !PRODUCERS.includes(p.name) || !hasOneUse(x) || activationOf(p) !== 'none' || !staysInRange(p)) return false;
      if (!act.result(0).type.equals(x.type)) return false;
      const e = epilogueOf(act);
      if (!e) return false;
      rw.updateInPlace(p, () => {
        p.setAttr('activation', str(e.activation));
        if (e.params.length) p.setAttr('activation_params', floats(e.params));
      });
      rw.replaceOp(act, [x]);
      return true;
    }, `fuse-${a}`),
  );
}

export default definePass({
  name: 'fuse-activation',
  summary: 'Fuses Relu, Clip (Relu6), LeakyRelu, Sigmoid, HardSwish and Gelu into the producing Conv, Gemm or MatMul.',
  description:
    'The activation must read a Conv, ConvTranspose, Gemm or MatMul that has no other users and no fused activation yet; Clip bounds must be constant. The producer gets `activation` (and `activation_params` for clip and leaky_relu) and the activation op disappears.',
  options: {
    ops: { type: 'strings', default: [...FUSIBLE], oneOf: FUSIBLE, doc: 'which activations to fuse, joined by + (e.g. relu+clip)' },
  },
  run(module, ctx) {
    const r = applyPatterns(module, patternsFor(ctx.options.ops));
    for (const [k, v] of r.byPattern) ctx.stat(`${k.replace('fuse-', '')} fused`, v);
  },
});
