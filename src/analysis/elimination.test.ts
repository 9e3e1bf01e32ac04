// Channel elimination on pruned models: outputs match onnxruntime-node on the original model, the
// parameter count drops, and nothing removable is left behind (a second run finds nothing).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../importer/import.js';
import { runPipeline } from '../pass/manager.js';
import { parsePipeline } from '../pass/pipeline.js';
import { passRegistry } from '../pass/registry.js';
import { denseNetLike, shuffleNetLike } from '../testing/arch-models.js';
import { LIGHT_DIR } from '../testing/light-models.js';
import { checkPipelineAgainstOrt } from '../testing/pipeline-check.js';
import { randomizeConstantOfShape } from '../testing/randomize.js';
import { planElimination } from './elimination.js';

const PIPELINE = 'canonicalize,fold-batchnorm,mask-propagation,channel-elimination';

async function check(bytes: Uint8Array, label: string): Promise<{ before: number; after: number }> {
  const r = await checkPipelineAgainstOrt(bytes, label, PIPELINE);
  const st = new Map(r.records.flatMap((x) => [...x.stats]));
  const before = st.get('parameters before')!, after = st.get('parameters after')!;
  console.log(`${label}: parameters ${before} -> ${after} (-${(100 * (1 - after / before)).toFixed(1)}%), relative error vs onnxruntime ${r.relError.toExponential(2)}`);
  expect(r.relError).toBeLessThan(1e-4);
  // Idempotent: after elimination nothing is left to remove.
  const { module } = importOnnx(bytes, { file: label });
  runPipeline(module, parsePipeline(PIPELINE, passRegistry()), { log: () => undefined });
  expect(planElimination(module.funcs[0]!).removed.size).toBe(0);
  return { before, after };
}

describe('channel elimination', () => {
  it.each(['mlp-sparse90', 'resnet-pruned', 'squeezenet-pruned'])('example %s', async (name) => {
    const { before, after } = await check(readFileSync(new URL(`../../examples/${name}.onnx`, import.meta.url)), name);
    expect(after).toBeLessThan(before);
  });

  it.each(['resnet50', 'squeezenet', 'inception_v1', 'vgg19'])('light %s with 30 to 50 percent of conv channels zeroed', async (name) => {
    const bytes = randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${name}.onnx`), 11, { dropFinalSoftmax: true, zeroChannels: { min: 0.3, max: 0.5 } });
    const { before, after } = await check(bytes, name);
    expect(after / before).toBeLessThan(0.8);
  }, 300_000);

  it('dense concatenation (DenseNet-style)', async () => {
    const { before, after } = await check(denseNetLike(), 'dense_concat');
    expect(after).toBeLessThan(before);
  });

  it('channel shuffle with grouped and depthwise convs (ShuffleNet-style) stays exact', async () => {
    await check(shuffleNetLike(), 'channel_shuffle');
  });
});
