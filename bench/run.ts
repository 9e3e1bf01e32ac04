// `npm run bench [-- --json]`: median latency of sparsec-wasm, onnxruntime-web (wasm backend, 1
// thread, SIMD) and onnxruntime-node (1 intra-op thread), measured in this process, and the ratio
// onnxruntime-web / sparsec. Rows the wasm target cannot compile yet say why.
import * as ortWeb from 'onnxruntime-web';
import ortNode from 'onnxruntime-node';
import { importOnnx } from '../src/importer/import.js';
import { Tensor } from '../src/ir/tensor.js';
import { normwiseRelError } from '../src/interp/compare.js';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { rng } from '../src/util/random.js';
import { DEFAULT_COMPILE_PIPELINE } from '../src/cli/pipelines.js';
import { loadTarget } from '../targets/index.js';
import { BENCH_CASES } from './models.js';

interface Row { name: string; sparsec?: number; ortWeb?: number; ortNode?: number; ratio?: number; note?: string }

const json = process.argv.includes('--json');
const log = (s: string) => void (json ? process.stderr.write(s + '\n') : console.log(s));

/** Median milliseconds of f over repeated runs (at least 5, about `budget` ms in all, after warm-up). */
async function median(f: () => unknown, budget = 1500): Promise<number> {
  for (let i = 0; i < 3; i++) await f();
  const times: number[] = [];
  const end = performance.now() + budget;
  while (times.length < 5 || (performance.now() < end && times.length < 500)) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function bench(name: string, bytes: Uint8Array, shapes: Record<string, number[]>): Promise<Row> {
  const row: Row = { name };
  const inputName = Object.keys(shapes)[0]!;
  const shape = shapes[inputName]!;
  const r = rng(1);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.simd = true;
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const webFeeds = { [inputName]: new ortWeb.Tensor('float32', data, shape) };
  row.ortWeb = await median(() => web.run(webFeeds));
  const node = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const nodeFeeds = { [inputName]: new ortNode.Tensor('float32', data, shape) };
  row.ortNode = await median(() => node.run(nodeFeeds));
  try {
    const { module } = importOnnx(bytes, { shapes });
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
    const target = await loadTarget('wasm');
    const artifact = target.compile(target.plan(module.funcs[0]!));
    const loaded = await target.instantiate((name) => artifact.files[name]);
    // Timed synchronously, as a caller of the wasm loader's run() would.
    const model = { run: loaded.runSync! };
    const x = new Tensor('f32', shape, data);
    // Check against onnxruntime before timing.
    const ours = model.run([x])[0]!;
    const theirs = (await node.run(nodeFeeds))[node.outputNames[0]!]!.data as Float32Array;
    const rel = normwiseRelError(ours, new Tensor('f32', ours.shape, theirs));
    if (rel > 1e-4) throw new Error(`output differs from onnxruntime (relative ${rel.toExponential(2)})`);
    row.sparsec = await median(() => model.run([x]));
    row.ratio = row.ortWeb / row.sparsec;
    row.note = [...new Set(artifact.kernels.map((k) => k.format.replace(/ \(.*/, '')))].join('+');
  } catch (e) {
    row.note = `not compiled: ${(e as Error).message}`;
  }
  return row;
}

const rows: Row[] = [];
log('benchmark                          sparsec-wasm  ort-web   ort-node  ort-web/sparsec  kernels');
// `--only <text>`: the rows whose name contains it.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]! : undefined;
for (const { name, make, shapes } of BENCH_CASES.filter((c) => !only || c.name.toLowerCase().includes(only.toLowerCase()))) {
  const row = await bench(name, make(), shapes);
  rows.push(row);
  const ms = (x?: number) => (x === undefined ? '-' : `${x.toFixed(3)} ms`).padStart(9);
  log(`${name.padEnd(34)} ${ms(row.sparsec)}  ${ms(row.ortWeb)} ${ms(row.ortNode)}  ${(row.ratio ? row.ratio.toFixed(2) + 'x' : '-').padStart(15)}  ${row.note ?? ''}`);
}
if (json) console.log(JSON.stringify(rows, null, 2));
