// The "light" model-zoo graphs (ResNet-50, SqueezeNet, VGG-19, AlexNet, Inception-v1): import,
// verify, and run with the documented input, matching output_0.pb.
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../importer/import.js';
import { documentedInput, LIGHT_DIR as LIGHT, LIGHT_MODELS } from '../testing/light-models.js';
import { verify } from '../ir/verifier.js';
import { readTensorFile } from '../onnx/proto.js';
import { compareTensors } from './compare.js';
import { interpret } from './interpret.js';

describe('light models', () => {
  it.each(LIGHT_MODELS)('%s matches output_0.pb', (name) => {
    const { module } = importOnnxFile(`${LIGHT}light_${name}.onnx`);
    expect(verify(module)).toEqual([]);
    const t0 = performance.now();
    const [y] = interpret(module, [documentedInput()]);
    const want = readTensorFile(`${LIGHT}light_${name}_output_0.pb`).tensor;
    const c = compareTensors(y!, want, { rtol: 1e-3, atol: 1e-7 });
    console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s, max rel error ${c.maxRelError.toExponential(2)}`);
    expect(c.mismatch).toBeUndefined();
  }, 300_000);
});
