// `sparsec export` round trip: every example and light model imported, run through the default
// compile pipeline (channels eliminated, batch norms folded, biases and activations fused, weights
// stored N:M or CSR), exported to ONNX, and run in onnxruntime-node: its output matches the
// interpreter on the IR. What ONNX cannot hold is one error.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx, importOnnxFile } from '../importer/import.js';
import { interpret } from '../interp/interpret.js';
import { normwiseRelError } from '../interp/compare.js';
import type { Module } from '../ir/core.js';
import type { Tensor } from '../ir/tensor.js';
import { parseModule } from '../ir/parser.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { randomInputs } from '../pass/semantics.js';
import { DEFAULT_COMPILE_PIPELINE } from '../cli/pipelines.js';
import { randomizeConstantOfShape } from '../testing/randomize.js';
import { documentedInput, LIGHT_DIR } from '../testing/light-models.js';
import { runOrt } from '../testing/ort.js';
import { main } from '../cli/main.js';
import type { Io } from '../cli/command.js';
import { exportOnnx } from './onnx.js';

/** The IR after the default pipeline, exported and run in onnxruntime-node, against the interpreter on the IR. */
async function roundTrip(module: Module, inputs: Tensor[]): Promise<number> {
  runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
  const want = interpret(module, inputs);
  const bytes = exportOnnx(module);
  const names = importOnnx(bytes).module.funcs[0]!.args.map((a) => a.name!);
  const got = Object.values(await runOrt(bytes, Object.fromEntries(names.map((n, i) => [n, inputs[i]!]))));
  expect(got.length).toBe(want.length);
  return Math.max(...got.map((t, i) => normwiseRelError(t, want[i]!)));
}

describe('export to ONNX', () => {
  for (const name of ['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned']) {
    it(`examples/${name}.onnx: onnxruntime-node on the export matches the interpreter on the IR`, async () => {
      const m = importOnnxFile(`examples/${name}.onnx`, { dims: { N: 2 } }).module;
      expect(await roundTrip(m, randomInputs(m, 5, 2))).toBeLessThan(1e-5);
    });
  }

  for (const name of ['squeezenet', 'bvlc_alexnet', 'inception_v1', 'resnet50']) {
    it(`light ${name}`, async () => {
      const bytes = randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${name}.onnx`), 11, { dropFinalSoftmax: true });
      const rel = await roundTrip(importOnnx(bytes).module, [documentedInput()]);
      console.log(`${name}: exported model in onnxruntime-node vs the interpreter, normwise relative error ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(1e-4);
    }, 300_000);
  }

  it('sparsec export writes the file; what ONNX cannot hold is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sparsec-export-'));
    let out = '', err = '';
    const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), cwd: process.cwd(), readStdin: () => '', readFile: (p) => readFileSync(p, 'utf8') };
    expect(await main(['export', 'examples/resnet-pruned.onnx', '-o', join(dir, 'r.onnx'), '-p', DEFAULT_COMPILE_PIPELINE], io)).toBe(0);
    expect(out).toMatch(/^wrote .*r\.onnx \(\d+ KiB, opset 21\)\n$/);
    // a sparse Conv's 2-d weight goes back to its kernel shape; fused activations are nodes again
    const back = importOnnx(new Uint8Array(readFileSync(join(dir, 'r.onnx')))).module;
    expect(back.funcs[0]!.ops.some((o) => o.name === 'nn.relu')).toBe(true);
    expect(await main(['export', 'examples/resnet-pruned.onnx'], io)).toBe(1);
    expect(err).toBe('sparsec: error: export writes a model: give -o FILE\n');
    const shapeOnly = parseModule('module {\n  func @f(%x: tensor<2x3xf32>) -> (tensor<2xi64>) {\n    %0 = nn.shape(%x) : tensor<2xi64>\n    return %0\n  }\n}\n');
    expect(() => exportOnnx(shapeOnly)).not.toThrow();
    const two = parseModule('module {\n  func @f(%x: tensor<2xf32>) -> (tensor<2xf32>) {\n    return %x\n  }\n  func @g(%x: tensor<2xf32>) -> (tensor<2xf32>) {\n    return %x\n  }\n}\n');
    expect(() => exportOnnx(two)).toThrow('export: the module has 2 functions; an ONNX model is one graph');
  });
});
