// The trained digits examples: the held-back test set is what the seeded split gives, and the models'
// accuracy on it (quoted in README and docs/pruning.md) is what the interpreter and onnxruntime-node
// both measure. Retraining (`npm run examples`, minutes) is not part of the tests.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../src/importer/import.js';
import { interpret } from '../../src/interp/interpret.js';
import { readTensorFile } from '../../src/onnx/proto.js';
import { argmaxRows, readLabels } from '../../src/sensitivity/data.js';
import { runOrt } from '../../src/testing/ort.js';
import { loadDigits, testSetFiles } from './make.js';

const pixels = readTensorFile('examples/digits/input_0.pb').tensor, labels = readLabels('examples/digits/labels.pb');
const accuracy = (logits: Parameters<typeof argmaxRows>[0]) => argmaxRows(logits).reduce((n, c, i) => n + (c === labels[i] ? 1 : 0), 0) / labels.length;

describe('digits examples', () => {
  it('examples/digits/ is the seeded held-back split of the mnist package', () => {
    for (const [file, bytes] of Object.entries(testSetFiles(loadDigits()))) {
      expect(Buffer.compare(Buffer.from(bytes), readFileSync(`examples/digits/${file}`)), `${file}: run \`npm run examples\``).toBe(0);
    }
    expect(pixels.shape).toEqual([500, 1, 28, 28]);
    expect([...Array(10).keys()].map((d) => labels.filter((l) => l === d).length)).toEqual(Array(10).fill(50));
  });

  it.each([['mlp', 0.96], ['cnn', 0.976]] as const)('digits-%s.onnx: top-1 accuracy %s on the held-back digits, interpreter and onnxruntime alike', async (name, want) => {
    const file = `examples/digits-${name}.onnx`;
    const ours = interpret(importOnnxFile(file).module.funcs[0]!, [pixels])[0]!;
    const ort = (await runOrt(readFileSync(file), { pixels }))['logits']!;
    expect(accuracy(ours)).toBe(want);
    expect(accuracy(ort)).toBe(want);
  }, 60_000);
});
