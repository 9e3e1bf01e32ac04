// Benchmark models, generated from seeds (nothing downloaded): the MLP rows of the benchmark table.
import { Tensor } from '../src/ir/tensor.js';
import { A, OnnxGraphBuilder } from '../src/onnx/build.js';
import { normal, rng } from '../src/util/random.js';

export type Pruning = 'dense' | 'unstructured90' | 'nm24';

function prune(w: Float32Array, k: number, how: Pruning): Float32Array {
  if (how === 'unstructured90') {
    const mags = Float32Array.from(w, Math.abs).sort();
    const cut = mags[Math.floor(0.9 * mags.length)]!;
    for (let i = 0; i < w.length; i++) if (Math.abs(w[i]!) < cut) w[i] = 0;
  } else if (how === 'nm24') {
    for (let g = 0; g < w.length; g += 4) {
      const idx = [0, 1, 2, 3].sort((a, b) => Math.abs(w[g + b]!) - Math.abs(w[g + a]!));
      w[g + idx[2]!] = 0;
      w[g + idx[3]!] = 0;
    }
  }
  void k;
  return w;
}

/** MLP 1024-4096-1024 (Gemm, ReLU, Gemm), weights [out, in] pruned along `in`. */
export function mlp(how: Pruning, seed = 7): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder(`mlp_${how}`);
  let h = g.input('x', 'f32', ['N', 1024]);
  const dims = [1024, 4096, 1024];
  for (let i = 0; i < 2; i++) {
    const [k, n] = [dims[i]!, dims[i + 1]!];
    const w = g.initializer(`fc${i}.w`, new Tensor('f32', [n, k], prune(normal(r, n * k, Math.sqrt(2 / k)), k, how)));
    const b = g.initializer(`fc${i}.b`, new Tensor('f32', [n], normal(r, n, 0.01)));
    h = g.op('Gemm', [h, w, b], { transB: A.i(1) }, i === 1 ? 'y' : undefined);
    if (i === 0) h = g.op('Relu', [h]);
  }
  g.output('y', 'f32', ['N', 1024]);
  return g.model(17);
}

/** MobileNet-style: a stem conv, then blocks of depthwise 3x3 + pointwise 1x1 (90% sparse), at 112x112. */
export function mobilenet(seed = 9): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('mobilenet_sparse');
  let h = g.input('image', 'f32', ['N', 3, 112, 112]);
  const conv = (x: string, cout: number, cin: number, k: number, stride: number, group: number, sparse: boolean) => {
    const w = normal(r, cout * (cin / group) * k * k, Math.sqrt(2 / ((cin / group) * k * k)));
    if (sparse) {
      const mags = Float32Array.from(w, Math.abs).sort();
      const cut = mags[Math.floor(0.9 * mags.length)]!;
      for (let i = 0; i < w.length; i++) if (Math.abs(w[i]!) < cut) w[i] = 0;
    }
    const wn = g.initializer(`w${g.initializers.length}`, new Tensor('f32', [cout, cin / group, k, k], w));
    const bn = g.initializer(`b${g.initializers.length}`, new Tensor('f32', [cout], normal(r, cout, 0.01)));
    const p = (k - 1) >> 1;
    return g.op('Relu', [g.op('Conv', [x, wn, bn], { kernel_shape: A.ints([k, k]), pads: A.ints([p, p, p, p]), strides: A.ints([stride, stride]), group: A.i(group) })]);
  };
  h = conv(h, 32, 3, 3, 2, 1, false);
  let c = 32;
  for (const [cout, stride] of [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1]] as const) {
    h = conv(h, c, c, 3, stride, c, false); // depthwise
    h = conv(h, cout, c, 1, 1, 1, true); // pointwise, 90% sparse
    c = cout;
  }
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])], { axis: A.i(1) });
  const w = g.initializer('fc.w', new Tensor('f32', [1000, c], normal(r, 1000 * c, Math.sqrt(1 / c))));
  g.op('Gemm', [h, w], { transB: A.i(1) }, 'logits');
  g.output('logits', 'f32', ['N', 1000]);
  return g.model(13);
}
