// Channel elimination on models with pruned channels: the example models, and the light models with
// seeded random weights in which 30-50% of every conv's output channels are zeroed. Compares with
// onnxruntime-node on the original model and prints the parameter and multiply-add savings.
// Usage: npm run check:elimination [-- model names...]
import { readFileSync } from 'node:fs';
import { LIGHT_DIR } from '../src/testing/light-models.js';
import { checkPipelineAgainstOrt } from '../src/testing/pipeline-check.js';
import { randomizeConstantOfShape } from '../src/testing/randomize.js';

export const ELIMINATION_PIPELINE = 'canonicalize,fold-batchnorm,mask-propagation,channel-elimination';
const wanted = process.argv.slice(2);
const models: [string, () => Uint8Array][] = [
  ...['mlp-sparse90', 'resnet-pruned', 'squeezenet-pruned'].map((n): [string, () => Uint8Array] => [n, () => readFileSync(new URL(`../examples/${n}.onnx`, import.meta.url))]),
  ...['resnet50', 'squeezenet', 'inception_v1', 'vgg19'].map((n): [string, () => Uint8Array] => [`light_${n}`, () => randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${n}.onnx`), 11, { dropFinalSoftmax: true, zeroChannels: { min: 0.3, max: 0.5 } })]),
].filter(([n]) => wanted.length === 0 || wanted.some((w) => n.includes(w)));
let worst = 0;
for (const [name, bytes] of models) {
  const t0 = performance.now();
  const r = await checkPipelineAgainstOrt(bytes(), name, ELIMINATION_PIPELINE);
  const st = new Map(r.records.flatMap((x) => [...x.stats]));
  const pb = st.get('parameters before')!, pa = st.get('parameters after')!, mb = st.get('multiply-adds before')!, ma = st.get('multiply-adds after')!;
  worst = Math.max(worst, r.relError);
  console.log(`${name.padEnd(18)} params ${(pb / 1e6).toFixed(3)}M -> ${(pa / 1e6).toFixed(3)}M (-${(100 * (1 - pa / pb)).toFixed(1)}%)  MACs ${(mb / 1e6).toFixed(1)}M -> ${(ma / 1e6).toFixed(1)}M (-${(100 * (1 - ma / mb)).toFixed(1)}%)  channels removed ${st.get('channels removed (summed over tensors)') ?? 0}  rel error ${r.relError.toExponential(2)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`largest relative error: ${worst.toExponential(2)}`);
process.exitCode = worst < 1e-4 ? 0 : 1;
