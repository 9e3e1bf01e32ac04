// Writes the example models in examples/: small pruned networks a user would recognise, built
// deterministically (seeded) with onnx-proto, and two small models trained on handwritten digits with
// their test set (scripts/digits/). `npm run examples` (`-- --no-digits`: without the training, which
// takes about two minutes); a test checks the untrained files match.
import { mkdirSync, writeFileSync } from 'node:fs';
import { A, OnnxGraphBuilder } from '../src/onnx/build.js';
import { Tensor } from '../src/ir/tensor.js';
import { normal, rng } from '../src/util/random.js';
import { loadDigits, testSetFiles, trainCnn, trainMlp } from './digits/make.js';

/** He-initialised weights (approximately normal: sum of uniforms). */
function weights(r: () => number, shape: number[], fanIn: number): Float32Array {
  return normal(r, shape.reduce((a, b) => a * b, 1), Math.sqrt(2 / fanIn));
}

/** Zeroes the fraction `sparsity` of smallest-magnitude weights (unstructured magnitude pruning). */
function pruneUnstructured(w: Float32Array, sparsity: number): Float32Array {
  const order = [...w.keys()].sort((a, b) => Math.abs(w[a]!) - Math.abs(w[b]!));
  for (const i of order.slice(0, Math.round(sparsity * w.length))) w[i] = 0;
  return w;
}

/** N:M pruning along the last axis: keeps the n largest of every m consecutive weights. */
function pruneNM(w: Float32Array, n: number, m: number): Float32Array {
  for (let g = 0; g + m <= w.length; g += m) {
    const idx = [...Array(m).keys()].map((k) => g + k).sort((a, b) => Math.abs(w[b]!) - Math.abs(w[a]!));
    for (const i of idx.slice(n)) w[i] = 0;
  }
  return w;
}

/** Channel pruning: zeroes whole output channels (leading dim) and their biases. */
function pruneChannels(w: Float32Array, b: Float32Array, channels: number[]): void {
  const per = w.length / b.length;
  for (const c of channels) {
    w.fill(0, c * per, (c + 1) * per);
    b[c] = 0;
  }
}

const t = (shape: number[], data: Float32Array) => new Tensor('f32', shape, data);

function mlp(name: string, prune: (w: Float32Array) => Float32Array, seed: number): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder(name);
  let h = g.input('x', 'f32', ['N', 256]);
  const dims = [256, 512, 256, 10];
  for (let i = 0; i < 3; i++) {
    const [k, n] = [dims[i]!, dims[i + 1]!];
    // Gemm with transB = 1: weights stored [out, in] like PyTorch's Linear, pruned along `in`.
    const w = g.initializer(`fc${i + 1}.weight`, t([n, k], prune(weights(r, [n, k], k))));
    const b = g.initializer(`fc${i + 1}.bias`, t([n], weights(r, [n], k).map((v) => v * 0.1)));
    h = g.op('Gemm', [h, w, b], { transB: A.i(1) }, i === 2 ? 'logits' : undefined);
    if (i < 2) h = g.op('Relu', [h]);
  }
  g.output('logits', 'f32', ['N', 10]);
  return g.model(17);
}

function conv(g: OnnxGraphBuilder, r: () => number, x: string, name: string, cin: number, cout: number, k: number, stride: number, prunedChannels: number[]): string {
  const w = weights(r, [cout, cin, k, k], cin * k * k);
  const b = weights(r, [cout], cin).map((v) => v * 0.1);
  pruneChannels(w, b, prunedChannels);
  pruneUnstructured(w, 0.5);
  const wn = g.initializer(`${name}.weight`, t([cout, cin, k, k], w));
  const bn = g.initializer(`${name}.bias`, t([cout], b));
  const p = (k - 1) >> 1;
  return g.op('Conv', [x, wn, bn], { kernel_shape: A.ints([k, k]), pads: A.ints([p, p, p, p]), strides: A.ints([stride, stride]) });
}

function resnet(seed: number): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('tiny_resnet');
  const x = g.input('image', 'f32', ['N', 3, 32, 32]);
  let h = g.op('Relu', [conv(g, r, x, 'stem', 3, 16, 3, 1, [3, 7])]);
  const stage = (cin: number, cout: number, stride: number, name: string, pruned: number[]) => {
    const a = g.op('Relu', [conv(g, r, h, `${name}.conv1`, cin, cout, 3, stride, pruned)]);
    const bb = conv(g, r, a, `${name}.conv2`, cout, cout, 3, 1, pruned);
    const skip = stride === 1 && cin === cout ? h : conv(g, r, h, `${name}.down`, cin, cout, 1, stride, []);
    h = g.op('Relu', [g.op('Add', [bb, skip])]);
  };
  stage(16, 16, 1, 'layer1', [1, 5, 9]);
  stage(16, 32, 2, 'layer2', [0, 4, 8, 12, 30]);
  stage(32, 64, 2, 'layer3', [2, 3, 10, 11, 40, 41, 60]);
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])], { axis: A.i(1) });
  const w = g.initializer('fc.weight', t([10, 64], pruneUnstructured(weights(r, [10, 64], 64), 0.5)));
  const b = g.initializer('fc.bias', t([10], new Float32Array(10)));
  g.op('Gemm', [h, w, b], { transB: A.i(1) }, 'logits');
  g.output('logits', 'f32', ['N', 10]);
  return g.model(17);
}

function fireNet(seed: number): Uint8Array {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('tiny_squeezenet');
  const x = g.input('image', 'f32', ['N', 3, 32, 32]);
  let h = g.op('Relu', [conv(g, r, x, 'conv1', 3, 32, 3, 2, [5, 6, 20])]);
  h = g.op('MaxPool', [h], { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) });
  const fire = (cin: number, s: number, e: number, name: string, pruned: number[]) => {
    const sq = g.op('Relu', [conv(g, r, h, `${name}.squeeze`, cin, s, 1, 1, pruned.slice(0, 1))]);
    const e1 = g.op('Relu', [conv(g, r, sq, `${name}.expand1x1`, s, e, 1, 1, pruned)]);
    const e3 = g.op('Relu', [conv(g, r, sq, `${name}.expand3x3`, s, e, 3, 1, pruned.map((c) => (c + 3) % e))]);
    h = g.op('Concat', [e1, e3], { axis: A.i(1) });
  };
  fire(32, 8, 16, 'fire2', [2, 9]);
  fire(32, 16, 32, 'fire3', [1, 4, 17, 30]);
  h = conv(g, r, h, 'classifier', 64, 10, 1, 1, []);
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])], { axis: A.i(1) }, 'logits');
  g.output('logits', 'f32', ['N', 10]);
  return g.model(13);
}

export const EXAMPLES: Readonly<Record<string, () => Uint8Array>> = {
  'mlp-sparse90': () => mlp('mlp_sparse90', (w) => pruneUnstructured(w, 0.9), 1),
  'mlp-2of4': () => mlp('mlp_2of4', (w) => pruneNM(w, 2, 4), 2),
  'resnet-pruned': () => resnet(3),
  'squeezenet-pruned': () => fireNet(4),
};

/** The trained digits models and their test set (minutes of training: not in the test above; see scripts/digits/make.ts). */
function writeDigits(): void {
  const sets = loadDigits();
  const write = (file: string, bytes: Uint8Array) => {
    writeFileSync(new URL(`../examples/${file}`, import.meta.url), bytes);
    console.log(`wrote examples/${file} (${(bytes.byteLength / 1024).toFixed(0)} KiB)`);
  };
  mkdirSync(new URL('../examples/digits', import.meta.url), { recursive: true });
  for (const [file, bytes] of Object.entries(testSetFiles(sets))) write(`digits/${file}`, bytes);
  for (const [name, fit] of [['mlp', trainMlp], ['cnn', trainCnn]] as const) {
    console.log(`training digits-${name} on ${sets.train.labels.length} digits`);
    const m = fit(sets, (line) => console.log(`  ${line}`));
    write(`digits-${name}.onnx`, m.onnx);
    console.log(`  top-1 accuracy on the ${sets.test.labels.length} held-back digits: ${(100 * m.accuracy).toFixed(1)}%`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, make] of Object.entries(EXAMPLES)) {
    const path = new URL(`../examples/${name}.onnx`, import.meta.url);
    const bytes = make();
    writeFileSync(path, bytes);
    console.log(`wrote examples/${name}.onnx (${(bytes.byteLength / 1024).toFixed(0)} KiB)`);
  }
  if (!process.argv.includes('--no-digits')) writeDigits();
}
