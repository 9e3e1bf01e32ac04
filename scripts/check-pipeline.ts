// Runs the standard pass pipeline on the example models and the light models (seeded random
// weights, final softmax dropped) and compares with onnxruntime-node on the original models.
// Usage: npm run check:pipeline [-- "pipeline"]
import { readFileSync } from 'node:fs';
import { LIGHT_DIR, LIGHT_MODELS } from '../src/testing/light-models.js';
import { checkPipelineAgainstOrt, STANDARD_PIPELINE } from '../src/testing/pipeline-check.js';
import { randomizeConstantOfShape } from '../src/testing/randomize.js';

const pipeline = process.argv[2] ?? STANDARD_PIPELINE;
const models: [string, () => Uint8Array][] = [
  ...['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned'].map((n): [string, () => Uint8Array] => [n, () => readFileSync(new URL(`../examples/${n}.onnx`, import.meta.url))]),
  ...LIGHT_MODELS.map((n): [string, () => Uint8Array] => [`light_${n}`, () => randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${n}.onnx`), 11, { dropFinalSoftmax: true })]),
];
console.log(`pipeline: ${pipeline}`);
let worst = 0;
for (const [name, bytes] of models) {
  const t0 = performance.now();
  const r = await checkPipelineAgainstOrt(bytes(), name, pipeline);
  worst = Math.max(worst, r.relError);
  const stats = r.records.flatMap((x) => [...x.stats].map(([k, v]) => `${v} ${k}`)).join(', ');
  console.log(`${name.padEnd(20)} ops ${String(r.opsBefore).padStart(4)} -> ${String(r.opsAfter).padStart(4)}  rel error vs onnxruntime ${r.relError.toExponential(2)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)  ${stats}`);
}
console.log(`largest relative error: ${worst.toExponential(2)}`);
process.exitCode = worst < 1e-4 ? 0 : 1;
