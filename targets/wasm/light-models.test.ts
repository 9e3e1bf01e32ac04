// The light model graphs (ONNX's SqueezeNet, AlexNet, Inception-v1, ResNet-50 with seeded random
// weights, final softmax dropped) compiled after the default pipeline, run on the documented input,
// against the reference interpreter on the original model: normwise relative error below 1e-4.
// VGG-19 is left to `npx tsx bench/...` runs: 143M weights make it a minute of CI for no new kernel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { normwiseRelError } from '../../src/interp/compare.js';
import { randomizeConstantOfShape } from '../../src/testing/randomize.js';
import { documentedInput, LIGHT_DIR } from '../../src/testing/light-models.js';
import { runPipeline } from '../../src/pass/manager.js';
import { parsePipeline } from '../../src/pass/pipeline.js';
import { passRegistry } from '../../src/pass/registry.js';
import { DEFAULT_COMPILE_PIPELINE } from '../../src/cli/pipelines.js';
import { compileWasm } from './compile.js';
import { instantiate } from './runtime.js';

describe('light models compiled to wasm vs the interpreter', () => {
  for (const name of ['squeezenet', 'bvlc_alexnet', 'inception_v1', 'resnet50']) {
    it(name, async () => {
      const bytes = randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${name}.onnx`), 11, { dropFinalSoftmax: true });
      const x = documentedInput();
      const want = interpret(importOnnx(bytes).module, [x])[0]!;
      const { module } = importOnnx(bytes);
      runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
      const { wasm, manifest } = compileWasm(module.funcs[0]!);
      const got = (await instantiate(wasm, manifest)).run([x])[0]!;
      const rel = normwiseRelError(got, want);
      console.log(`${name}: wasm vs interpreter, normwise relative error ${rel.toExponential(2)}`);
      expect(rel).toBeLessThan(1e-4);
    }, 120_000);
  }
});
