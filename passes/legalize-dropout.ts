// legalize-dropout: inference dropout (no training mode, training mode constant false, or ratio 0)
// is the identity: its output is its input and its mask, when used, a constant of trues. After it, a
// dropout that reaches a kernel is in training mode (random), which targets refuse.
import type { Op } from '../src/ir/core.js';
import { Tensor } from '../src/ir/tensor.js';
import { definePass } from '../src/pass/define.js';
import { constValue, isStatic } from '../src/pass/helpers.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { toF64 } from '../src/tensor-math/numeric.js';

/** Whether a dropout is known at compile time to be the identity (as the interpreter decides it). */
function isInference(op: Op): boolean {
  const training = op.operands[2];
  if (!training) return true;
  const t = constValue(training);
  if (t && (t.size === 0 || !t.data[0])) return true;
  const ratio = op.operands[1] ? constValue(op.operands[1]) : undefined;
  return ratio !== undefined && ratio.size > 0 && toF64(ratio)[0] === 0;
}

const legalize = pattern('nn.dropout', (op, rw) => {
  if (!isInference(op)) return false;
  const x = op.operand(0);
  const mask = op.results[1];
  if (!mask?.hasUses) {
    rw.replaceAllUsesWith(op.result(0), x);
    rw.eraseOp(op);
    return true;
  }
  if (!isStatic(mask.type.shape)) return false;
  const ones = Tensor.zeros('bool', mask.type.shape);
  (ones.data as Uint8Array).fill(1);
  rw.replaceOp(op, [x, rw.constant(op, ones)]);
  return true;
}, 'legalize-dropout');

export default definePass({
  name: 'legalize-dropout',
  summary: 'Replaces inference dropout by its input (and a used mask by a constant of trues).',
  description:
    'A Dropout without training_mode, with training_mode a constant false, or with ratio a constant 0 returns its input unchanged and an all-true mask. A dropout whose training mode is on or computed at run time is left as it is (random: targets refuse it). A used mask needs a static shape.',
  options: {},
  run(module) {
    applyPatterns(module, [legalize]);
  },
});
