// Benchmark models, generated from seeds (nothing downloaded): the MLP rows of the benchmark table.
import { readFileSync } from 'node:fs';
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

/** Magnitude pruning of a weight to 10% nonzeros. */
function prune90(w: Float32Array): Float32Array {
  return prune(w, 0, 'unstructured90');
}

/**
 * One BERT-base encoder layer (hidden 768, 12 heads of 64, FFN 3072, GELU, post-layer-norm) on a
 * sequence of 128, with its six linear weights 90% sparse (magnitude-pruned).
 */
export function bertLayer(seed = 11, hidden = 768, heads = 12, ffn = 3072, seq = 128): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('bert_layer_sparse90');
  const x = g.input('x', 'f32', [1, seq, hidden]);
  const dh = hidden / heads;
  const shape = (name: string, dims: number[]) => g.initializer(name, Tensor.from('i64', [dims.length], dims.map(BigInt)));
  const scalar = (name: string, v: number) => g.initializer(name, Tensor.from('f32', [], [v]));
  const linear = (h: string, name: string, k: number, n: number) => {
    const w = g.initializer(`${name}.w`, new Tensor('f32', [k, n], prune90(normal(r, k * n, Math.sqrt(1 / k)))));
    const b = g.initializer(`${name}.b`, new Tensor('f32', [n], normal(r, n, 0.02)));
    return g.op('Add', [g.op('MatMul', [h, w]), b]);
  };
  const layerNorm = (h: string, name: string, out?: string) => g.op('LayerNormalization', [h, g.initializer(`${name}.g`, Tensor.from('f32', [hidden], Array.from(normal(r, hidden, 0.1), (v) => 1 + v))), g.initializer(`${name}.b`, new Tensor('f32', [hidden], normal(r, hidden, 0.02)))], { axis: A.i(-1), epsilon: A.f(1e-12) }, out);
  const headsShape = shape('heads_shape', [1, seq, heads, dh]);
  const split = (h: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [h, headsShape])], { perm: A.ints(perm) });
  const q = split(linear(x, 'q', hidden, hidden), [0, 2, 1, 3]);
  const kT = split(linear(x, 'k', hidden, hidden), [0, 2, 3, 1]);
  const v = split(linear(x, 'v', hidden, hidden), [0, 2, 1, 3]);
  const scores = g.op('Softmax', [g.op('Mul', [g.op('MatMul', [q, kT]), scalar('scale', 1 / Math.sqrt(dh))])], { axis: A.i(-1) });
  const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [scores, v])], { perm: A.ints([0, 2, 1, 3]) }), shape('merge_shape', [1, seq, hidden])]);
  const h1 = layerNorm(g.op('Add', [linear(ctx, 'o', hidden, hidden), x]), 'ln1');
  const f = linear(h1, 'ffn1', hidden, ffn);
  const gelu = g.op('Mul', [g.op('Mul', [f, scalar('half', 0.5)]), g.op('Add', [g.op('Erf', [g.op('Mul', [f, scalar('rsqrt2', Math.SQRT1_2)])]), scalar('one', 1)])]);
  layerNorm(g.op('Add', [linear(gelu, 'ffn2', ffn, hidden), h1]), 'ln2', 'y');
  g.output('y', 'f32', [1, seq, hidden]);
  return g.model(17);
}

/**
 * ResNet-style CNN (stem, three stages of basic blocks with batch norm, 64x64 input) where half of
 * the channels inside each block are pruned: their filters and batch-norm scale and shift are zero,
 * as channel-pruning tools (network slimming) leave them.
 */
export function resnetChannelPruned(seed = 13): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('resnet_channels50');
  let h = g.input('image', 'f32', ['N', 3, 64, 64]);
  let n = 0;
  const convBn = (x: string, cin: number, cout: number, k: number, stride: number, pruned: boolean, relu: boolean) => {
    const w = normal(r, cout * cin * k * k, Math.sqrt(2 / (cin * k * k)));
    const scale = Float32Array.from(normal(r, cout, 0.1), (v) => 1 + v), shift = normal(r, cout, 0.05);
    if (pruned) {
      for (let c = 0; c < cout; c++) {
        if (c % 2 === 0) continue; // every other channel of the block's inner width
        w.fill(0, c * cin * k * k, (c + 1) * cin * k * k);
        scale[c] = 0;
        shift[c] = 0;
      }
    }
    const id = n++;
    const p = (k - 1) >> 1;
    const conv = g.op('Conv', [x, g.initializer(`c${id}.w`, new Tensor('f32', [cout, cin, k, k], w))], { kernel_shape: A.ints([k, k]), pads: A.ints([p, p, p, p]), strides: A.ints([stride, stride]) });
    const bn = g.op('BatchNormalization', [conv, g.initializer(`bn${id}.s`, new Tensor('f32', [cout], scale)), g.initializer(`bn${id}.b`, new Tensor('f32', [cout], shift)),
      g.initializer(`bn${id}.m`, new Tensor('f32', [cout], normal(r, cout, 0.05))), g.initializer(`bn${id}.v`, Tensor.from('f32', [cout], Array.from({ length: cout }, () => 0.5 + r())))]);
    return relu ? g.op('Relu', [bn]) : bn;
  };
  h = convBn(h, 3, 32, 3, 2, false, true);
  let c = 32;
  for (const [cout, stride] of [[32, 1], [64, 2], [128, 2], [128, 1]] as const) {
    const inner = convBn(h, c, cout, 3, stride, true, true);
    const body = convBn(inner, cout, cout, 3, 1, false, false);
    const skip = stride === 1 && c === cout ? h : convBn(h, c, cout, 1, stride, false, false);
    h = g.op('Relu', [g.op('Add', [body, skip])]);
    c = cout;
  }
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])], { axis: A.i(1) });
  g.op('Gemm', [h, g.initializer('fc.w', new Tensor('f32', [100, c], normal(r, 100 * c, Math.sqrt(1 / c))))], { transB: A.i(1) }, 'logits');
  g.output('logits', 'f32', ['N', 100]);
  return g.model(13);
}

export interface BenchCase {
  /** Short name for `bench/profile.ts`. */
  key: string;
  /** Row name in `npm run bench`. */
  name: string;
  make: () => Uint8Array;
  shapes: Record<string, number[]>;
}

const lightResNet50 = () => new Uint8Array(readFileSync(new URL('../../shared/onnx-tests/light/light_resnet50.onnx', import.meta.url)));

/** The benchmark table's rows, in order. */
export const BENCH_CASES: readonly BenchCase[] = [
  { key: 'mlpdense', name: 'MLP 1024-4096-1024 dense, batch 1', make: () => mlp('dense'), shapes: { x: [1, 1024] } },
  { key: 'mlp90', name: 'MLP 90% unstructured, batch 1', make: () => mlp('unstructured90'), shapes: { x: [1, 1024] } },
  { key: 'mlp24', name: 'MLP 2:4, batch 1', make: () => mlp('nm24'), shapes: { x: [1, 1024] } },
  { key: 'mlp90b16', name: 'MLP 90% unstructured, batch 16', make: () => mlp('unstructured90'), shapes: { x: [16, 1024] } },
  { key: 'resnet', name: 'ResNet-style, 50% channels pruned', make: () => resnetChannelPruned(), shapes: { image: [1, 3, 64, 64] } },
  { key: 'mobilenet', name: 'MobileNet-style, 90% sparse 1x1', make: () => mobilenet(), shapes: { image: [1, 3, 112, 112] } },
  { key: 'bert', name: 'BERT-base layer, 90% sparse linear', make: () => bertLayer(), shapes: { x: [1, 128, 768] } },
  { key: 'resnet50', name: 'light ResNet-50 dense, 224x224', make: lightResNet50, shapes: { 'gpu_0/data_0': [1, 3, 224, 224] } },
];
