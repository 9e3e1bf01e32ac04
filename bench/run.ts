// `npm run bench [-- --json] [--only TEXT] [--tune [--budget S] [--db FILE]] [--weight-dtype f16] [--target webgpu]`: median latency of
// sparsec-wasm, onnxruntime-web (wasm backend, 1 thread, SIMD) and onnxruntime-node (1 intra-op
// thread), measured in this process interleaved in rounds, and the ratio onnxruntime-web / sparsec. With --tune each model
// is tuned first (choices from the tuning database, the rest measured within the budget) and both
// the default and the tuned model are timed; the ratio is the tuned one's. GB/s: the model's weight
// bytes (as its kernels store them) over its time, against the bandwidth the cost model's probe
// measures. Rows the wasm target cannot compile yet say why. With --weight-dtype f16 sparsec's models
// have their dense product weights rounded to f16 (lossy: each row says the output error it causes,
// and the check against onnxruntime allows it).
import * as ortWeb from 'onnxruntime-web';
import ortNode from 'onnxruntime-node';
import { importOnnx } from '../src/importer/import.js';
import { Tensor } from '../src/ir/tensor.js';
import { normwiseRelError } from '../src/interp/compare.js';
import { roundWeightsToHalf } from '../src/lower/weight-dtype.js';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { rng } from '../src/util/random.js';
import { DEFAULT_COMPILE_PIPELINE } from '../src/cli/pipelines.js';
import { loadTarget } from '../targets/index.js';
import { BENCH_CASES } from './models.js';
import type { KernelPlan } from '../src/lower/plan.js';
import { sameChoice } from '../src/lower/select.js';
import { tune } from '../src/tune/tune.js';
import { appendRecords, defaultDbPath, machineFingerprint, readDb, tuningVersion } from '../src/tune/db.js';
import { version } from '../src/cli/main.js';
import { probeWasm } from '../targets/wasm/probe.js';
import { enableRelaxedSimd } from '../targets/wasm/features.js';

interface Row { name: string; sparsec?: number; tuned?: number; ortWeb?: number; ortNode?: number; ratio?: number; gbps?: number; note?: string }

const json = process.argv.includes('--json');
const argAfter = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const tuneModels = process.argv.includes('--tune');
const halfWeights = argAfter('--weight-dtype') === 'f16';
const budgetS = Number(argAfter('--budget') ?? 60);
const dbPath = argAfter('--db') ?? defaultDbPath();
const log = (s: string) => void (json ? process.stderr.write(s + '\n') : console.log(s));

/**
 * Median milliseconds of each runner, timed interleaved: after three warm-up runs each, 12 rounds in
 * which every runner runs for about `slice` ms (at least once), in a rotating order. On a shared
 * machine whose speed drifts (this VM's varies up to 2x from one second to the next), drift then
 * falls on all runtimes alike instead of on whichever was timed at the wrong moment.
 */
async function interleavedMedians(runners: readonly (() => unknown)[], slice = 120): Promise<number[]> {
  for (const f of runners) for (let i = 0; i < 3; i++) await f();
  const times: number[][] = runners.map(() => []);
  for (let round = 0; round < 12; round++) {
    for (let j = 0; j < runners.length; j++) {
      const i = (round + j) % runners.length, f = runners[i]!;
      const end = performance.now() + slice;
      do {
        const t = performance.now();
        await f();
        times[i]!.push(performance.now() - t);
      } while (performance.now() < end);
    }
  }
  return times.map((t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]!);
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
  const node = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const nodeFeeds = { [inputName]: new ortNode.Tensor('float32', data, shape) };
  const runners: (() => unknown)[] = [() => web.run(webFeeds), () => node.run(nodeFeeds)];
  try {
    const { module } = importOnnx(bytes, { shapes });
    runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
    const rounding = halfWeights ? roundWeightsToHalf(module) : undefined;
    const allowed = 1e-4 + 2 * (rounding?.outputError ?? 0);
    const target = await loadTarget('wasm');
    const x = new Tensor('f32', shape, data);
    const theirs = (await node.run(nodeFeeds))[node.outputNames[0]!]!.data as Float32Array;
    /** Compiles a plan, checks it against onnxruntime: its run (synchronous, as a caller of the wasm loader's run() would) and the weight bytes it reads. */
    const load = async (plan: KernelPlan) => {
      const artifact = target.compile(plan);
      const run = (await target.instantiate((name) => artifact.files[name])).runSync!;
      const ours = run([x])[0]!;
      const rel = normwiseRelError(ours, new Tensor('f32', ours.shape, theirs));
      if (rel > allowed) throw new Error(`output differs from onnxruntime (relative ${rel.toExponential(2)})`);
      const weightBytes = (JSON.parse(artifact.files['manifest.json'] as string) as { weightBytes: number }).weightBytes;
      return { run: () => run([x]), weightBytes, artifact };
    };
    const base = target.plan(module.funcs[0]!);
    const models = [await load(base)];
    if (tuneModels) {
      const t = await tune(base, target, { budgetMs: 1000 * budgetS, db: dbLookup, log: (l) => process.stderr.write(`  ${l}\n`) });
      appendRecords(dbPath, t.records);
      // The same choices as the default: the same model, not timed twice (its two timings would differ by noise only).
      const same = t.plan.calls.every((pc, i) => pc.call.kernel === base.calls[i]!.call.kernel && sameChoice(pc.call, base.calls[i]!.call));
      if (!same) models.push(await load(t.plan));
    }
    const [webMs, nodeMs, ...ours] = await interleavedMedians([...runners, ...models.map((m) => m.run)]);
    row.ortWeb = webMs;
    row.ortNode = nodeMs;
    row.sparsec = ours[0]!;
    if (tuneModels) row.tuned = ours[ours.length - 1]!;
    const best = models[models.length - 1]!, bestMs = ours[ours.length - 1]!;
    row.ratio = row.ortWeb! / bestMs;
    row.gbps = best.weightBytes / bestMs / 1e6;
    row.note = [...new Set(best.artifact.kernels.map((k) => k.format.replace(/ \(.*/, '')))].join('+');
    if (rounding) row.note += `; ${rounding.weights} weight(s) f16 (lossy: output error ${rounding.outputError.toExponential(1)})`;
  } catch (e) {
    const [webMs, nodeMs] = await interleavedMedians(runners);
    row.ortWeb = webMs;
    row.ortNode = nodeMs;
    row.note = `not compiled: ${(e as Error).message}`;
  }
  return row;
}

if (argAfter('--target') === 'webgpu') {
  // the WebGPU rows: both runtimes in headless Chromium (bench/webgpu.ts)
  const { benchWebGpu } = await import('./webgpu.js');
  await benchWebGpu(process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined, log);
  process.exit(0);
}

// Relaxed SIMD on (in Node 20, V8's flag) before any runtime loads, so every row and every runtime runs under the same engine settings.
const relaxed = await enableRelaxedSimd();
const rates = await probeWasm();
const dbLookup = { records: readDb(dbPath), target: 'wasm', machine: machineFingerprint(), sparsec: tuningVersion(version()) };
log(`this machine (the cost model's probe): ${(rates.bytesPerMs / 1e6).toFixed(2)} GB/s streaming, ${(rates.opsPerMs / 1e6).toFixed(2)} G SIMD instructions/s; relaxed SIMD ${relaxed ? 'on' : 'unavailable'}${tuneModels ? `; tuning with ${budgetS} s per model, database ${dbPath}` : ''}`);
const rows: Row[] = [];
log(`benchmark                          sparsec-wasm${tuneModels ? '  tuned    ' : ''}  ort-web   ort-node  ort-web/sparsec  weights GB/s  kernels`);
// `--only <text>`: the rows whose name contains it.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]! : undefined;
for (const { name, make, shapes } of BENCH_CASES.filter((c) => !only || c.name.toLowerCase().includes(only.toLowerCase()))) {
  const row = await bench(name, make(), shapes);
  rows.push(row);
  const ms = (x?: number) => (x === undefined ? '-' : `${x.toFixed(3)} ms`).padStart(9);
  const gbps = row.gbps === undefined ? '-' : `${row.gbps.toFixed(2)} (${Math.round((100 * row.gbps * 1e6) / rates.bytesPerMs)}%)`;
  log(`${name.padEnd(34)} ${ms(row.sparsec)}${tuneModels ? ` ${ms(row.tuned)}` : ''}  ${ms(row.ortWeb)} ${ms(row.ortNode)}  ${(row.ratio ? row.ratio.toFixed(2) + 'x' : '-').padStart(15)}  ${gbps.padStart(12)}  ${row.note ?? ''}`);
}
if (json) console.log(JSON.stringify(rows, null, 2));
