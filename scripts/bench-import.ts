// Times `sparsec import` on a ResNet-50-shaped ONNX model with 25.5M random weights in raw_data
// initializers (written to a temporary folder). Usage: npm run bench:import
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../src/ir/tensor.js';
import { A, OnnxGraphBuilder } from '../src/onnx/build.js';
import { normal, rng } from '../src/util/random.js';

export function resnet50Onnx(seed = 1): { bytes: Uint8Array; weights: number } {
  const r = rng(seed);
  const g = new OnnxGraphBuilder('resnet50');
  let weights = 0, n = 0;
  const param = (shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    weights += size;
    const data = normal(r, size, 0.05);
    for (let i = 0; i < size; i += 2) data[i] = 0; // half pruned
    return g.initializer(`p${n++}`, new Tensor('f32', shape, data));
  };
  const conv = (x: string, cin: number, cout: number, k: number, stride: number, relu: boolean) => {
    const p = (k - 1) >> 1;
    const y = g.op('Conv', [x, param([cout, cin, k, k]), param([cout])], { pads: A.ints([p, p, p, p]), strides: A.ints([stride, stride]) });
    return relu ? g.op('Relu', [y]) : y;
  };
  let h = conv(g.input('input', 'f32', ['N', 3, 224, 224]), 3, 64, 7, 2, true);
  h = g.op('MaxPool', [h], { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]), strides: A.ints([2, 2]) });
  let cin = 64;
  [[3, 64], [4, 128], [6, 256], [3, 512]].forEach(([blocks, width], stage) => {
    for (let i = 0; i < blocks!; i++) {
      const stride = i === 0 && stage > 0 ? 2 : 1;
      let y = conv(h, cin, width!, 1, 1, true);
      y = conv(y, width!, width!, 3, stride, true);
      y = conv(y, width!, width! * 4, 1, 1, false);
      const skip = i === 0 ? conv(h, cin, width! * 4, 1, stride, false) : h;
      h = g.op('Relu', [g.op('Add', [y, skip])]);
      cin = width! * 4;
    }
  });
  h = g.op('Flatten', [g.op('GlobalAveragePool', [h])], { axis: A.i(1) });
  g.op('Gemm', [h, param([1000, 2048]), param([1000])], { transB: A.i(1) }, 'logits');
  g.output('logits', 'f32', ['N', 1000]);
  return { bytes: g.model(17), weights };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { bytes, weights } = resnet50Onnx();
  const dir = mkdtempSync(join(tmpdir(), 'sparsec-bench-'));
  const model = join(dir, 'resnet50.onnx');
  writeFileSync(model, bytes);
  const bin = new URL('../bin/sparsec.mjs', import.meta.url).pathname;
  for (const [label, extra] of [['import -o resnet50.ir', ['-o', join(dir, 'resnet50.ir')]], ['import --elide-weights', ['--elide-weights', '-o', join(dir, 'elided.ir')]]] as const) {
    const t0 = performance.now();
    execFileSync(process.execPath, [bin, 'import', model, ...extra]);
    console.log(`sparsec ${label}: ${((performance.now() - t0) / 1000).toFixed(2)} s (process start to exit)`);
  }
  console.log(`model: ${(weights / 1e6).toFixed(1)}M weights, ${(statSync(model).size / 2 ** 20).toFixed(1)} MiB ONNX, ${(statSync(join(dir, 'resnet50.ir')).size / 2 ** 20).toFixed(1)} MiB IR; files in ${dir}`);
}
