// `npm start`: imports a bundled pruned model, runs it in sparsec's reference interpreter and in
// onnxruntime-node on the same seeded input, and prints both results and their largest difference.
import { readFileSync } from 'node:fs';
import { importOnnx } from '../src/importer/import.js';
import { compareTensors } from '../src/interp/compare.js';
import { interpret } from '../src/interp/interpret.js';
import { Tensor } from '../src/ir/tensor.js';
import { runOrt } from '../src/testing/ort.js';
import { rng } from '../src/util/random.js';

const name = process.argv[2] ?? 'resnet-pruned';
const path = new URL(`../examples/${name}.onnx`, import.meta.url).pathname;
const bytes = readFileSync(path);

let t0 = performance.now();
const { module, folded } = importOnnx(bytes, { file: `examples/${name}.onnx` });
const f = module.funcs[0]!;
let weights = 0, nonzeros = 0;
for (const op of f.ops) {
  const v = op.attr('value');
  if (op.name === 'nn.constant' && v?.kind === 'dense' && v.value.size > 64) {
    weights += v.value.size;
    nonzeros += v.value.countNonzero();
  }
}
console.log(`imported examples/${name}.onnx in ${(performance.now() - t0).toFixed(0)} ms: ${f.ops.length} ops (${folded} folded), ` +
  `${weights} weights, ${(100 * (1 - nonzeros / weights)).toFixed(1)}% zero`);

// A seeded input with the batch dim set to 1.
const arg = f.args[0]!;
const shape = arg.type.shape.map((d) => (typeof d === 'number' ? d : 1));
const r = rng(42);
const x = Tensor.from('f32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));

t0 = performance.now();
const [ours] = interpret(f, [x]);
const tInterp = performance.now() - t0;
const inputName = (f.argAttrs[0]!.get('name') as { value: string }).value;
t0 = performance.now();
const theirs = Object.values(await runOrt(bytes, { [inputName]: x }))[0]!;
const tOrt = performance.now() - t0;

const fmt = (t: Tensor) => Array.from({ length: Math.min(t.size, 10) }, (_, i) => (t.get(i) as number).toFixed(5).padStart(9)).join(' ');
console.log(`input ${inputName}: f32[${shape.join('x')}], seeded random in [-1, 1)`);
console.log(`sparsec interpreter   (${tInterp.toFixed(0).padStart(4)} ms): ${fmt(ours!)}`);
console.log(`onnxruntime-node      (${tOrt.toFixed(0).padStart(4)} ms): ${fmt(theirs)}`);
const c = compareTensors(ours!, theirs, { rtol: 1e-4, atol: 1e-5 });
console.log(`largest difference: ${c.maxAbsError.toExponential(2)} absolute, ${c.maxRelError.toExponential(2)} relative -> ${c.ok ? 'match' : 'MISMATCH'}`);
process.exitCode = c.ok ? 0 : 1;
