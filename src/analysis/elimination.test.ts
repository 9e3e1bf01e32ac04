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
import { A, OnnxGraphBuilder } from '../onnx/build.js';
import { Tensor } from '../ir/tensor.js';
import { normal, rng } from '../util/random.js';

const PIPELINE = 'canonicalize,fold-batchnorm,mask-propagation,channel-elimination';

async function check(bytes: Uint8Array, label: string, pipeline = PIPELINE): Promise<{ before: number; after: number }> {
  const r = await checkPipelineAgainstOrt(bytes, label, pipeline);
  const st = new Map(r.records.flatMap((x) => [...x.stats]));
  const before = st.get('parameters before')!, after = st.get('parameters after')!;
  console.log(`${label}: parameters ${before} -> ${after} (-${(100 * (1 - after / before)).toFixed(1)}%), relative error vs onnxruntime ${r.relError.toExponential(2)}`);
  expect(r.relError).toBeLessThan(1e-4);
  // Idempotent: after elimination nothing is left to remove.
  const { module } = importOnnx(bytes, { file: label });
  runPipeline(module, parsePipeline(pipeline, passRegistry()), { log: () => undefined });
  expect(planElimination(module.funcs[0]!, { foldPadded: pipeline.includes('fold-padded=true') }).removed.size).toBe(0);
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

  it('with fold-padded, a constant channel into a padded conv folds exactly: its bias plus a per-position border map', async () => {
    // conv1 (3 -> 8, pads 1) with filters 1, 4 and 6 zeroed -> batch norm (their beta makes them
    // constant) -> ReLU -> conv2 (8 -> 6, asymmetric pads, stride 2) and conv3 (8 -> 4, pads 2, dilation 2)
    const r = rng(9);
    const g = new OnnxGraphBuilder('padded_constant');
    const x = g.input('x', 'f32', [1, 3, 10, 9]);
    const w1 = normal(r, 8 * 27, 0.3);
    for (const m of [1, 4, 6]) w1.fill(0, m * 27, (m + 1) * 27);
    const h = g.op('Conv', [x, g.initializer('w1', new Tensor('f32', [8, 3, 3, 3], w1))], { pads: A.ints([1, 1, 1, 1]) });
    const bn = (k: string, v: Float32Array) => g.initializer(k, new Tensor('f32', [8], v));
    const a = g.op('Relu', [g.op('BatchNormalization', [h, bn('scale', normal(r, 8, 1)), bn('beta', Float32Array.from({ length: 8 }, (_, i) => 0.5 + i / 8)), bn('mean', normal(r, 8, 0.1)), bn('var', Float32Array.from({ length: 8 }, () => 1 + r()))])]);
    g.op('Conv', [a, g.initializer('w2', new Tensor('f32', [6, 8, 3, 3], normal(r, 6 * 72, 0.3))), g.initializer('b2', new Tensor('f32', [6], normal(r, 6, 0.1)))], { pads: A.ints([2, 1, 0, 1]), strides: A.ints([2, 2]) }, 'y');
    g.op('Conv', [a, g.initializer('w3', new Tensor('f32', [4, 8, 3, 3], normal(r, 4 * 72, 0.3)))], { pads: A.ints([2, 2, 2, 2]), dilations: A.ints([2, 2]) }, 'z');
    g.output('y', 'f32');
    g.output('z', 'f32');
    const bytes = g.model(13);
    const folding = 'canonicalize,fold-batchnorm,mask-propagation,channel-elimination{fold-padded=true}';
    // by default the constant channels stay (padding): nothing is removed
    expect((await check(bytes, 'padded_constant (default)')).after).toBe((await check(bytes, 'padded_constant (default)')).before);
    const { before, after } = await check(bytes, 'padded_constant', folding);
    // conv1 loses 3 filters (and their folded batch-norm entries), conv2 and conv3 3 input channels
    // each; the border maps ([1, 6, 5, 5] and [1, 4, 10, 9]) and conv3's new bias are constants too
    expect(after - before).toBe(6 * 25 + 4 * 90 + 4 - (3 * 27 + 3 + 3 * 6 * 9 + 3 * 4 * 9));
    const { module } = importOnnx(bytes);
    const st = new Map(runPipeline(module, parsePipeline(folding, passRegistry()), { log: () => undefined }).flatMap((x) => [...x.stats]));
    expect(st.get('multiply-adds after')! - st.get('multiply-adds before')!).toBe(-(3 * 90 * 27 + 3 * 6 * 25 * 9 + 3 * 4 * 90 * 9));
    expect(module.funcs[0]!.ops.filter((o) => o.name === 'nn.add').length).toBe(2);
  });

  it('channel shuffle with grouped and depthwise convs (ShuffleNet-style) stays exact', async () => {
    await check(shuffleNetLike(), 'channel_shuffle');
  });
});
