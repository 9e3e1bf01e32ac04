// legalize-window: auto_pad (SAME_UPPER, SAME_LOWER, VALID) on convolutions and pooling becomes the
// explicit pads it stands for at the input's static size, so kernels read one form: pads.
import { ints } from '../src/ir/attributes.js';
import { getOpDef } from '../src/dialects/index.js';
import { OpContext } from '../src/ir/opdef.js';
import { definePass } from '../src/pass/define.js';
import { isStatic } from '../src/pass/helpers.js';
import { applyPatterns, pattern } from '../src/pass/rewrite.js';
import { convGeometry } from '../src/tensor-math/window.js';

const WINDOWED = ['nn.conv', 'sparse.conv', 'nn.max_pool', 'nn.average_pool'];

const legalize = pattern('*', (op, rw) => {
  if (!WINDOWED.includes(op.name) || !op.attrs.has('auto_pad')) return false;
  const xs = op.operand(0).type.shape;
  if (!isStatic(xs)) return false;
  const c = new OpContext(op, getOpDef(op.name)!);
  const { pads } = convGeometry(c, xs, c.ints('kernel_shape'));
  rw.updateInPlace(op, () => {
    op.attrs.delete('auto_pad');
    op.setAttr('pads', ints(pads));
  });
  return true;
}, 'legalize-window');

export default definePass({
  name: 'legalize-window',
  summary: 'Turns auto_pad on Conv and pooling into the explicit pads it means at the static input size.',
  description:
    "SAME_UPPER / SAME_LOWER give the pads that keep ceil(input / stride) outputs (the odd one at the end or the beginning), VALID gives zeros, NOTSET keeps pads; auto_pad is then removed. Needs static spatial sizes; ConvTranspose (whose auto_pad works with output_shape) is left as it is.",
  options: {},
  run(module) {
    applyPatterns(module, [legalize]);
  },
});
