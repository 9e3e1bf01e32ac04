// The interpreter against onnxruntime-node on the same inputs: the example models, and the light
// models with their ConstantOfShape weights replaced by seeded random values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../importer/import.js';
import { Tensor } from '../ir/tensor.js';
import { randomizeConstantOfShape } from '../testing/randomize.js';
import { runOrt } from '../testing/ort.js';
import { rng } from '../util/random.js';
import { interpret } from './interpret.js';
import { normwiseRelError } from './compare.js';
import { LIGHT_DIR as LIGHT, LIGHT_MODELS } from '../testing/light-models.js';

async function compare(bytes: Uint8Array, label: string, batch: number): Promise<number> {
  const { module } = importOnnx(bytes, { file: label });
  const f = module.funcs[0]!;
  const r = rng(7);
  const inputs = f.args.map((a) => {
    const shape = a.type.shape.map((d) => (typeof d === 'number' ? d : batch));
    return Tensor.from('f32', shape, Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => r() * 2 - 1));
  });
  const ours = interpret(f, inputs);
  const names = f.argAttrs.map((a) => (a.get('name') as { value: string }).value);
  const theirs = Object.values(await runOrt(bytes, Object.fromEntries(names.map((n, i) => [n, inputs[i]!]))));
  const err = Math.max(...ours.map((t, i) => (expect(t.shape).toEqual(theirs[i]!.shape), normwiseRelError(t, theirs[i]!))));
  console.log(`${label}: largest relative error vs onnxruntime-node ${err.toExponential(2)}`);
  return err;
}

const EXAMPLES = ['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned'];

describe('interpreter vs onnxruntime-node', () => {
  it.each(EXAMPLES)('example %s', async (name) => {
    const bytes = readFileSync(new URL(`../../examples/${name}.onnx`, import.meta.url));
    expect(await compare(bytes, name, 3)).toBeLessThan(1e-4);
  });

  it.each(LIGHT_MODELS)('light %s with random weights', async (name) => {
    // The final softmax is dropped: with random weights it saturates to exact 0s and 1s, which would hide errors.
    const bytes = randomizeConstantOfShape(readFileSync(`${LIGHT}light_${name}.onnx`), 11, { dropFinalSoftmax: true });
    expect(await compare(bytes, name, 1)).toBeLessThan(1e-4);
  }, 300_000);
});
