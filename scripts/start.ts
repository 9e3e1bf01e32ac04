// `npm start`: imports a bundled pruned model, runs it in sparsec's reference interpreter and in
// onnxruntime-node on the same seeded input, and prints both results and their largest difference.
import { readFileSync } from 'node:fs';
import { importOnnx } from '../src/importer/import.js';
import { compareTensors } from '../src/interp/compare.js';
import { interpret } from '../src/interp/interpret.js';
import { Tensor } from '../src/ir/tensor.js';
import { runOrt } from '../src/testing/ort.js';
import { rng } from '../src/util/random.js';
import * as ortWeb from 'onnxruntime-web';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { DEFAULT_COMPILE_PIPELINE } from '../src/cli/pipelines.js';
import { loadTarget } from '../targets/index.js';

const name = process.argv[2] ?? 'mlp-sparse90';
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

// Compile to WebAssembly with the default pipeline, run, check against the interpreter, and time it
// next to onnxruntime-web (wasm backend, one thread).
t0 = performance.now();
const { module: toCompile } = importOnnx(bytes, { file: `examples/${name}.onnx`, shapes: { [inputName]: shape } });
runPipeline(toCompile, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
const target = await loadTarget('wasm');
const artifact = target.compile(target.plan(toCompile.funcs[0]!));
const loaded = await target.instantiate((name) => artifact.files[name]);
const compiled = { run: loaded.runSync! };
const wasmBytes = (artifact.files['model.wasm'] as Uint8Array).byteLength;
const tCompile = performance.now() - t0;
const [fromWasm] = compiled.run([x]);
const cw = compareTensors(fromWasm!, ours!, { rtol: 1e-4, atol: 1e-5 });
console.log(`compiled to wasm in ${tCompile.toFixed(0)} ms (${(wasmBytes / 1024).toFixed(0)} KiB, kernels: ${[...new Set(artifact.kernels.map((k) => k.kernel))].join(', ')}); vs the interpreter: ${cw.maxAbsError.toExponential(2)} absolute -> ${cw.ok ? 'match' : 'MISMATCH'}`);
ortWeb.env.wasm.numThreads = 1;
const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], logSeverityLevel: 3 });
const feeds = { [inputName]: new ortWeb.Tensor('float32', x.data as Float32Array, shape) };
const med = async (f: () => unknown) => {
  for (let i = 0; i < 5; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < 200; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); }
  return ts.sort((a, b) => a - b)[100]!;
};
const tWasm = await med(() => compiled.run([x]));
const tWeb = await med(() => web.run(feeds));
console.log(`latency (median of 200): sparsec-wasm ${(tWasm * 1000).toFixed(0)} us, onnxruntime-web ${(tWeb * 1000).toFixed(0)} us -> ${(tWeb / tWasm).toFixed(2)}x`);
process.exitCode = c.ok && cw.ok ? 0 : 1;
