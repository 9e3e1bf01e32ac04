// `npm run bench:profile -- <key>` (keys in bench/models.ts BENCH_CASES): where a compiled benchmark model spends
// its time, kernel by kernel (each step exported and timed on its own, median of repeated calls).
import { importOnnx } from '../src/importer/import.js';
import { runPipeline } from '../src/pass/manager.js';
import { parsePipeline } from '../src/pass/pipeline.js';
import { passRegistry } from '../src/pass/registry.js';
import { rng } from '../src/util/random.js';
import { DEFAULT_COMPILE_PIPELINE } from '../src/cli/pipelines.js';
import { compileWasm } from '../targets/wasm/compile.js';
import { hostMath } from '../targets/wasm/runtime.js';
import { BENCH_CASES } from './models.js';

const which = process.argv[2] ?? 'bert';
const entry = BENCH_CASES.find((c) => c.key === which);
if (!entry) throw new Error(`unknown model '${which}' (${BENCH_CASES.map((c) => c.key).join(', ')})`);
const { make, shapes } = entry;
const { module } = importOnnx(make(), { shapes });
runPipeline(module, parsePipeline(DEFAULT_COMPILE_PIPELINE, passRegistry()), { log: () => undefined });
const { wasm, manifest } = compileWasm(module.funcs[0]!, { exportSteps: true });
const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: hostMath() });
const memory = instance.exports['memory'] as WebAssembly.Memory;
const r = rng(1);
manifest.inputs.forEach((slot) => {
  const n = slot.shape.reduce((a, b) => a * b, 1);
  new Float32Array(memory.buffer, slot.offset, n).set(Float32Array.from({ length: n }, () => r() * 2 - 1));
});
(instance.exports['run'] as () => void)();
const rows = manifest.kernels.map((k, i) => {
  const f = instance.exports[`step${i}`] as () => void;
  const times: number[] = [];
  for (let t = 0; t < 15; t++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ...k, ms: times[7]! };
});
const total = rows.reduce((a, b) => a + b.ms, 0);
const byKernel = new Map<string, number>();
for (const row of rows) byKernel.set(`${row.kernel} [${row.format.replace(/ \(.*/, '')}]`, (byKernel.get(`${row.kernel} [${row.format.replace(/ \(.*/, '')}]`) ?? 0) + row.ms);
console.log(`${which}: ${rows.length} steps, ${total.toFixed(2)} ms in all`);
for (const [k, ms] of [...byKernel].sort((a, b) => b[1] - a[1])) console.log(`  ${(100 * ms / total).toFixed(1).padStart(5)}%  ${ms.toFixed(3).padStart(8)} ms  ${k}`);
// Multiply-adds of a product or convolution call (dense count: what the layer would cost unpruned).
const macsOf = (loc: string | undefined, op: string): number | undefined => {
  const d = manifest.plan.calls.find((c) => c.loc === loc && c.op === op)?.dims;
  if (!d) return undefined;
  if (d['CK'] !== undefined) return d['N']! * d['M']! * d['CK']! * d['P']!;
  if (d['K'] !== undefined) return d['M']! * d['K']! * d['N']!;
  return undefined;
};
console.log('slowest steps (GMAC/s counts the dense multiply-adds):');
for (const row of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 8)) {
  const macs = macsOf(row.loc, row.op);
  const rate = macs === undefined ? '' : ` ${(macs / row.ms / 1e6).toFixed(2)} GMAC/s`;
  console.log(`  ${row.ms.toFixed(3).padStart(8)} ms${rate}  ${row.kernel} ${row.op}${row.loc ? ` "${row.loc}"` : ''} ${row.format}${row.schedule ? ` ${JSON.stringify(row.schedule)}` : ''}`);
}
