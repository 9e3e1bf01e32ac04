// The standard pipeline on the example models and light models (seeded random weights): the
// optimised IR, run in the interpreter, matches onnxruntime-node on the original model.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIGHT_DIR } from './light-models.js';
import { checkPipelineAgainstOrt } from './pipeline-check.js';
import { randomizeConstantOfShape } from './randomize.js';

const EXAMPLES = ['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned'];

describe('canonicalize,fold-batchnorm,fuse-bias,fuse-activation against onnxruntime-node', () => {
  it.each(EXAMPLES)('example %s', async (name) => {
    const r = await checkPipelineAgainstOrt(readFileSync(new URL(`../../examples/${name}.onnx`, import.meta.url)), name);
    expect(r.opsAfter).toBeLessThan(r.opsBefore);
    expect(r.relError).toBeLessThan(1e-4);
  });

  it.each(['squeezenet', 'resnet50'])('light %s', async (name) => {
    const bytes = randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${name}.onnx`), 11, { dropFinalSoftmax: true });
    const r = await checkPipelineAgainstOrt(bytes, name);
    console.log(`${name}: ops ${r.opsBefore} -> ${r.opsAfter}, relative error vs onnxruntime ${r.relError.toExponential(2)}`);
    expect(r.relError).toBeLessThan(1e-4);
  }, 120_000);
});
