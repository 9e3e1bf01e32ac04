// Small architectures that stress channel bookkeeping, built as ONNX with zeroed channels:
// DenseNet-style dense concatenation and ShuffleNet-style channel shuffles (grouped 1x1 convs,
// reshape-transpose-reshape, depthwise 3x3).
import { Tensor } from '../ir/tensor.js';
import { A, OnnxGraphBuilder } from '../onnx/build.js';
import { normal, rng } from '../util/random.js';

function convWeights(g: OnnxGraphBuilder, r: () => number, name: string, cout: number, cinPerGroup: number, k: number, zeroFrac: number): [string, string] {
  const w = normal(r, cout * cinPerGroup * k * k, Math.sqrt(2 / (cinPerGroup * k * k)));
  const b = normal(r, cout, 0.1);
  const per = cinPerGroup * k * k;
  for (let m = 0; m < cout; m++) if (r() < zeroFrac) {
    w.fill(0, m * per, (m + 1) * per);
    b[m] = 0;
  }
  return [g.initializer(`${name}.w`, new Tensor('f32', [cout, cinPerGroup, k, k], w)), g.initializer(`${name}.b`, new Tensor('f32', [cout], b))];
}

export function denseNetLike(seed = 1): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('dense_concat');
  let h = g.input('x', 'f32', ['N', 3, 16, 16]);
  const [w0, b0] = convWeights(g, r, 'stem', 8, 3, 3, 0.4);
  h = g.op('Relu', [g.op('Conv', [h, w0, b0], { pads: A.ints([1, 1, 1, 1]) })]);
  let channels = 8;
  for (let i = 0; i < 3; i++) {
    const [w1, b1] = convWeights(g, r, `block${i}.conv1`, 8, channels, 1, 0.4);
    const a = g.op('Relu', [g.op('Conv', [h, w1, b1])]);
    const [w2, b2] = convWeights(g, r, `block${i}.conv2`, 4, 8, 3, 0.4);
    const y = g.op('Conv', [a, w2, b2], { pads: A.ints([1, 1, 1, 1]) });
    h = g.op('Concat', [h, y], { axis: A.i(1) });
    channels += 4;
  }
  const [w3, b3] = convWeights(g, r, 'head', 10, channels, 1, 0);
  g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Conv', [h, w3, b3])])], { axis: A.i(1) }, 'y');
  g.output('y', 'f32', ['N', 10]);
  return g.model(13);
}

export function shuffleNetLike(seed = 2): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('channel_shuffle');
  const x = g.input('x', 'f32', [1, 8, 8, 8]);
  const groups = 2;
  const [w1, b1] = convWeights(g, r, 'gconv1', 8, 8 / groups, 1, 0.4);
  let h = g.op('Relu', [g.op('Conv', [x, w1, b1], { group: A.i(groups) })]);
  // channel shuffle: [1, 8, 8, 8] -> [1, 2, 4, 8, 8] -> transpose -> [1, 8, 8, 8]
  h = g.op('Reshape', [h, g.initializer('shape5', Tensor.from('i64', [5], [1n, 2n, 4n, 8n, 8n]))]);
  h = g.op('Transpose', [h], { perm: A.ints([0, 2, 1, 3, 4]) });
  h = g.op('Reshape', [h, g.initializer('shape4', Tensor.from('i64', [4], [1n, 8n, 8n, 8n]))]);
  const [dw, db] = convWeights(g, r, 'dwconv', 8, 1, 3, 0.3);
  h = g.op('Conv', [h, dw, db], { group: A.i(8), pads: A.ints([1, 1, 1, 1]) });
  const [w2, b2] = convWeights(g, r, 'gconv2', 8, 8 / groups, 1, 0.3);
  h = g.op('Conv', [h, w2, b2], { group: A.i(groups) });
  g.op('Relu', [g.op('Add', [h, x])], {}, 'y');
  g.output('y', 'f32', [1, 8, 8, 8]);
  return g.model(13);
}
