// Every registered pass must leave results unchanged: each runs over a corpus (the example models,
// light models with seeded random weights, ONNX node-test models, and the passes' own golden-test
// modules) and the interpreter's outputs before and after are compared on seeded random inputs.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PASSES } from '../../passes/index.js';
import { findTests } from '../conformance/conformance.js';
import { importOnnx, importOnnxFile } from '../importer/import.js';
import type { Module } from '../ir/core.js';
import { parseModule } from '../ir/parser.js';
import type { Tensor } from '../ir/tensor.js';
import { interpret } from '../interp/interpret.js';
import { LIGHT_DIR } from '../testing/light-models.js';
import { randomizeConstantOfShape } from '../testing/randomize.js';
import { checkPassSemantics, randomInputs } from './semantics.js';

interface Item { label: string; module: () => Module }

const root = new URL('../../', import.meta.url);
const corpus: Item[] = [
  ...['mlp-sparse90', 'mlp-2of4', 'resnet-pruned', 'squeezenet-pruned'].map((n) => ({ label: `examples/${n}`, module: () => importOnnxFile(new URL(`examples/${n}.onnx`, root).pathname).module })),
  // vgg19 and alexnet take 30+ s per interpreter run; `npm run check:pipeline` covers them.
  ...['squeezenet', 'inception_v1', 'resnet50'].map((n) => ({
    label: `light ${n} (random weights)`,
    module: () => importOnnx(randomizeConstantOfShape(readFileSync(`${LIGHT_DIR}light_${n}.onnx`), 3), { file: n }).module,
  })),
  ...readdirSync(new URL('ir-tests/passes/', root)).flatMap((f) =>
    readFileSync(new URL(`ir-tests/passes/${f}`, root), 'utf8').split('// -----').map((text, i) => ({ label: `ir-tests/passes/${f} case ${i + 1}`, module: () => parseModule(text) }))),
];

function nodeTestModels(): Item[] {
  const dirs = findTests(['node', 'pytorch-converted', 'pytorch-operator'].map((s) => new URL(`../shared/onnx-tests/${s}`, root).pathname));
  const out: Item[] = [];
  for (const d of dirs) {
    try {
      const m = importOnnxFile(`${d}/model.onnx`).module;
      out.push({ label: d.split('/').pop()!, module: () => m });
    } catch {
      // models that need specialisation or are unsupported are not part of this corpus
    }
  }
  return out;
}

/** The passes that must keep results (lossy ones, like prune, change them by design). */
const KEEPING = BUILTIN_PASSES.filter((p) => !p.lossy);

describe('every pass preserves results', () => {
  it.each(corpus.map((c) => [c.label, c] as const))('%s', (_label, item) => {
    const m = item.module();
    const inputs = randomInputs(m, 9, 2);
    const before = interpret(m, inputs);
    for (const pass of KEEPING) {
      const r = checkPassSemantics(pass, m, { inputs, before, label: item.label });
      expect(r.ok, r.message).toBe(true);
    }
  }, 120_000);

  it('over the ONNX node-test models', () => {
    const items = nodeTestModels();
    expect(items.length).toBeGreaterThan(300);
    let changed = 0;
    for (const item of items) {
      const m = item.module();
      let inputs: Tensor[], before: Tensor[];
      try {
        inputs = randomInputs(m, 4, 2);
        before = interpret(m, inputs);
      } catch {
        continue; // random data outside an op's domain (gather indices, ...): not a pass question
      }
      for (const pass of KEEPING) {
        const r = checkPassSemantics(pass, m, { inputs, before, label: item.label });
        expect(r.ok, r.message).toBe(true);
        if (r.changed) changed++;
      }
    }
    expect(changed).toBeGreaterThan(0);
  }, 300_000);
});
