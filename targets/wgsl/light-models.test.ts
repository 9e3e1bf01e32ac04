// The light model graphs (ONNX's SqueezeNet, AlexNet, Inception-v1, ResNet-50 with seeded random
// weights, final softmax dropped) and the benchmark-style examples compiled for WebGPU after the
// default pipeline, run on this machine's adapter (software Vulkan without a GPU: the kernels are
// the plain grid ones, so this is about correctness, not speed), against the reference interpreter
// on the original model: normwise relative error below 1e-4.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx, importOnnxFile } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { normwiseRelError } from '../../src/interp/compare.js';
import { randomizeConstantOfShape } from '../../src/testing/randomize.js';
import { documentedInput, LIGHT_DIR } from '../../src/testing/light-models.js';
import { runPipeline } from '../../src/pass/manager.js';
import { parsePipeline } from '../../src/pass/pipeline.js';
import { passRegistry } from '../../src/pass/registry.js';
import { randomInputs } from '../../src/pass/semantics.js';
import { DEFAULT_COMPILE_PIPELINE } from '../../src/cli/pipelines.js';
import type { Module } from '../../src/ir/core.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { webgpuTarget } from './target.js';
import { releaseDevice } from './device.js';

afterAll(releaseDevice);

async function runGpu(module: Module, inputs: Tensor[]): Promise<Tensor[]> {
  runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
  const artifact = webgpuTarget.compile(webgpuTarget.plan(module.funcs[0]!));
  const model = await webgpuTarget.instantiate((name) => artifact.files[name]);
  try {
    return await model.run(inputs);
  } finally {
    model.dispose?.();
  }
}

describe('light models and examples on WebGPU vs the interpreter', () => {
  // AlexNet's 244 MB of weights span two weight buffers where a binding holds 128 MiB (lavapipe)
  for (const name of ['squeezenet', 'bvlc_alexnet', 'inception_v1', 'resnet50']) {
    it(name, async () => {
      const bytes = randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${name}.onnx`), 11, { dropFinalSoftmax: true });
      const x = documentedInput();
      const want = interpret(importOnnx(bytes).module, [x])[0]!;
      const got = (await runGpu(importOnnx(bytes).module, [x]))[0]!;
      const rel = normwiseRelError(got, want);
      console.log(`${name}: webgpu vs interpreter, normwise relative error ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(1e-4);
    }, 300_000);
  }

  for (const name of ['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned']) {
    it(`examples/${name}.onnx`, async () => {
      const path = new URL(`../../examples/${name}.onnx`, import.meta.url).pathname;
      const original = importOnnxFile(path, { dims: { N: 2 } }).module;
      const inputs = randomInputs(original, 3, 2);
      const want = interpret(original, inputs)[0]!;
      const got = (await runGpu(importOnnxFile(path, { dims: { N: 2 } }).module, inputs))[0]!;
      expect(normwiseRelError(got, want)).toBeLessThan(1e-4);
    }, 120_000);
  }
});
